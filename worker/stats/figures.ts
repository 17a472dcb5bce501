import { DAY_MS } from "../../protocol/limits";
import { majorText } from "../../protocol/money";
import { dashboardRows } from "../db/dashboard";
import { type RollupRow, rollupRows, rollupStatement } from "../db/rollups";
import { type InterruptedOrder, interruptedOrderRows } from "../db/stats";
import { type MailFigures, mailFigures } from "./mail";

export type { InterruptedOrder };

const DAY = DAY_MS;

/** A date range in whole UTC days, both ends included. */
export interface Range {
  from: string; // YYYY-MM-DD
  to: string;
}

export const rangeMs = ({ from, to }: Range): [number, number] => [Date.parse(`${from}T00:00:00Z`), Date.parse(`${to}T00:00:00Z`) + DAY];

export interface Lift {
  /** Treated minus holdout recovery rate, in percentage points. */
  points: number;
  /** 95% confidence interval of `points` (normal approximation for a difference of proportions). */
  ci95: [number, number];
  /** Recoveries the messages added over what the holdout's rate predicts. */
  incrementalRecoveries: number;
}

export interface Stats {
  range: Range;
  currency: string | null;
  abandoned: { carts: number; value: number };
  /** Carts the site's exclusion rules or its audience gave no recovery (docs/audience.md), by
   * rule: not in `abandoned`, nor in either arm of the lift. */
  excluded: { carts: number; value: number; reasons: { why: string; carts: number; value: number }[] };
  treated: { carts: number; recovered: number; rate: number | null; revenue: number };
  holdout: { carts: number; recovered: number; rate: number | null };
  lift: Lift | null;
  medianTimeToRecoverMs: number | null;
  reasons: { reason: string; carts: number; value: number; recovered: number; rate: number | null }[];
  funnel: { stage: string; shoppers: number }[];
  daily: { day: string; abandoned: number; value: number; recovered: number; revenue: number }[];
  messages: { step: number; sent: number; clicked: number; converted: number; revenue: number }[];
  /** The same by the channel the messages went by (a recovery counts for its last message's). */
  channels: { channel: Channel; sent: number; clicked: number; converted: number; revenue: number }[];
  /** Recovery emails sent and what the providers reported of them (delivered, bounced, complained), with the rates, per day. */
  mail: MailFigures;
}

const rate = (part: number, whole: number): number | null => (whole ? part / whole : null);

/**
 * The lift of recovery over the holdout, with a 95% interval. Null without both groups.
 *
 * @example
 * lift(30, 100, 2, 20); // treated 30% vs holdout 10%: 20 points, interval about [5.4, 34.6]
 */
export function lift(recovered: number, treated: number, naturallyRecovered: number, held: number): Lift | null {
  if (!treated || !held) return null;
  const pt = recovered / treated;
  const ph = naturallyRecovered / held;
  const se = Math.sqrt((pt * (1 - pt)) / treated + (ph * (1 - ph)) / held);
  const points = (pt - ph) * 100;
  return { points, ci95: [points - 196 * se, points + 196 * se], incrementalRecoveries: (pt - ph) * treated };
}

export function median(sorted: number[]): number | null {
  if (!sorted.length) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

interface StepRow {
  step: string;
  shoppers: number;
  /** Shoppers whose position in the checkout is known, and the sum of those positions. */
  ranked: number;
  positions: number;
}

/**
 * STEP_ORDER. Steps in the order shoppers go through them: by their average position in a
 * shopper's checkout (1 for the step a shopper reached first, 2 for the next new one, …). Positions
 * are bounded, so a shopper who left for two days between steps weighs no more than any other
 * (times since the checkout started would let one such gap reorder the funnel); one who skipped a
 * step (a saved address) or went back to an earlier one moves the averages a little, not the order.
 * Sums of positions add up, so the rollups keep them per day like the counts. A step known only
 * from rows folded before positions were (none ranked) comes after the others. Ties: more
 * shoppers first, then by name.
 */
function inCheckoutOrder(steps: StepRow[]): StepRow[] {
  const place = (r: StepRow) => (r.ranked ? r.positions / r.ranked : Number.POSITIVE_INFINITY);
  return [...steps].sort((a, b) => place(a) - place(b) || b.shoppers - a.shoppers || (a.step < b.step ? -1 : a.step > b.step ? 1 : 0));
}

/**
 * The median of a histogram of [bucket, count, sum of the values] (worker/db/rollups.ts
 * TTR_BUCKET): the mean of the middle value's bucket, or of the two middle values' buckets. Exact
 * when those buckets hold equal values; otherwise within a bucket, the precision it is shown in.
 *
 * @example
 * histogramMedian([[60, 1, 3_600_000], [120, 1, 7_200_000], [1560, 1, 93_600_000]]); // 7_200_000
 */
export function histogramMedian(buckets: [bucket: number, n: number, sum: number][]): number | null {
  const sorted = buckets.filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((t, [, n]) => t + n, 0);
  if (!total) return null;
  /** The mean of the bucket holding the k-th value (0-based). */
  const at = (k: number) => {
    let seen = 0;
    for (const [, n, sum] of sorted) {
      seen += n;
      if (k < seen) return sum / n;
    }
    return 0;
  };
  return total % 2 ? at((total - 1) / 2) : (at(total / 2 - 1) + at(total / 2)) / 2;
}

type Channel = "email" | "sms";

/** Adds `fields` into the entry of `key` in `map`. */
function addTo<K>(map: Map<K, Record<string, number>>, key: K, fields: Record<string, number>) {
  const acc = map.get(key) ?? {};
  for (const [f, n] of Object.entries(fields)) acc[f] = (acc[f] ?? 0) + n;
  map.set(key, acc);
}

/**
 * Every figure of the stats page for one site and range, from the rollups (worker/db/rollups.ts):
 * sequences (one per abandonment of a reachable shopper, holdout included) and their messages,
 * placed in the range by the time the cart went quiet, and the funnel by the day each shopper first
 * reached each stage (README, Stats for merchants).
 */
export async function computeStats(db: D1Database, site: number, range: Range): Promise<Stats> {
  const [from, to] = rangeMs(range);
  return statsOf(await rollupRows(db, site, from / DAY, to / DAY), range);
}

/**
 * `computeStats` as a read for a batch (`statement`) and what makes the stats of its result (`stats`).
 *
 * @example
 * const read = statsRead(env.DB, site.id, range); const [result] = await env.DB.batch([read.statement]); read.stats(result);
 */
export function statsRead(db: D1Database, site: number, range: Range) {
  const [from, to] = rangeMs(range);
  return {
    statement: rollupStatement(db, site, from / DAY, to / DAY),
    stats: (result: D1Result | undefined): Stats => statsOf((result?.results ?? []) as RollupRow[], range),
  };
}

/**
 * The dashboard's figures and lists for a range, read in one D1 batch (db/dashboard.ts).
 *
 * @example
 * const { stats, orders, drops, pool, platformSecret } = await dashboardData(env.DB, site.id, range, "ana");
 */
export async function dashboardData(db: D1Database, site: number, range: Range, search?: string) {
  const { rollups, ...rest } = await dashboardRows(db, site, rangeMs(range), { search, limit: 100 });
  return { stats: statsOf(rollups, range), ...rest };
}

/**
 * The excluded carts' figure from its rows by rule: totals, and the rules by carts (most first).
 *
 * @example
 * excludedFigure([{ why: "not_customer", carts: 2, value: 5000 }]); // { carts: 2, value: 5000, reasons: [...] }
 */
export function excludedFigure(reasons: { why: string; carts: number; value: number }[]): Stats["excluded"] {
  const listed = reasons.filter((r) => r.carts || r.value).sort((a, b) => b.carts - a.carts || a.why.localeCompare(b.why));
  return {
    carts: listed.reduce((n, r) => n + r.carts, 0),
    value: listed.reduce((n, r) => n + r.value, 0),
    reasons: listed,
  };
}

/** Every figure of a range from its rollup rows. */
function statsOf(rows: RollupRow[], range: Range): Stats {
  type Sums = Record<string, number>;
  const cube = new Map<string, Sums>(); // [reason, holdout, currency]
  const days = new Map<number, Sums>();
  const sends = new Map<string, Sums>(); // [step, channel]
  const stages = new Map<string, Sums>();
  const ranks = new Map<string, Sums>();
  const ttr = new Map<number, Sums>();
  const excluded = new Map<string, Sums>(); // [why]
  for (const r of rows) {
    const dim = JSON.parse(r.dim) as (string | number)[];
    const holdout = dim[1] === 1;
    if (r.kind === "abandoned") {
      addTo(cube, r.dim, { carts: r.n, value: r.v });
      addTo(days, r.day, { abandoned: r.n, value: r.v });
    } else if (r.kind === "excluded") addTo(excluded, String(dim[0]), { carts: r.n, value: r.v });
    else if (r.kind === "recovered") {
      addTo(cube, r.dim, { recovered: r.n, revenue: r.v });
      if (!holdout) addTo(days, r.day, { recovered: r.n, revenue: r.v });
    } else if (r.kind === "messages") addTo(sends, r.dim, { messages: r.n, sent: r.v });
    else if (r.kind === "clicked") addTo(sends, r.dim, { clicked: r.n });
    else if (r.kind === "converted") addTo(sends, r.dim, { converted: r.n, revenue: r.v });
    else if (r.kind === "stage") addTo(stages, String(dim[0]), { shoppers: r.n });
    else if (r.kind === "rank") addTo(ranks, String(dim[0]), { ranked: r.n, positions: r.v });
    else if (r.kind === "ttr") addTo(ttr, Number(dim[0]), { n: r.n, sum: r.v });
  }
  const cells = [...cube].map(([dim, c]) => {
    const [reason, holdout, currency] = JSON.parse(dim) as [string, number, string];
    return { reason, holdout, currency, carts: c.carts ?? 0, value: c.value ?? 0, recovered: c.recovered ?? 0, revenue: c.revenue ?? 0 };
  });
  const group = (holdout: number) =>
    cells
      .filter((c) => c.holdout === holdout)
      .reduce(
        (t, c) => ({
          carts: t.carts + c.carts,
          value: t.value + c.value,
          recovered: t.recovered + c.recovered,
          revenue: t.revenue + c.revenue,
        }),
        {
          carts: 0,
          value: 0,
          recovered: 0,
          revenue: 0,
        },
      );
  const t = group(0);
  const h = group(1);
  const byReason = new Map<string, Sums>();
  const byCurrency = new Map<string, Sums>();
  for (const c of cells) {
    addTo(byReason, c.reason, { carts: c.carts, value: c.value, treated: c.holdout ? 0 : c.carts, recovered: c.holdout ? 0 : c.recovered });
    addTo(byCurrency, c.currency, { carts: c.carts });
  }
  const sent = [...sends].map(([dim, s]) => {
    const [step, channel] = JSON.parse(dim) as [number, Channel];
    return {
      step,
      channel,
      messages: s.messages ?? 0,
      sent: s.sent ?? 0,
      clicked: s.clicked ?? 0,
      converted: s.converted ?? 0,
      revenue: s.revenue ?? 0,
    };
  });
  /** Sums of sends, clicks, conversions and revenue over the rows `pick` keeps. */
  const total = (pick: (r: { step: number; channel: Channel }) => boolean) =>
    sent.filter(pick).reduce(
      (a, r) => ({
        sent: a.sent + r.sent,
        clicked: a.clicked + r.clicked,
        converted: a.converted + r.converted,
        revenue: a.revenue + r.revenue,
      }),
      {
        sent: 0,
        clicked: 0,
        converted: 0,
        revenue: 0,
      },
    );
  // A step or channel is listed once a message was claimed in it or a recovery credited to it.
  const listed = sent.filter((r) => r.messages || r.converted);
  const channels = [...new Set(listed.map((r) => r.channel))].sort();
  const stepNumbers = [...new Set(listed.map((r) => r.step))].sort((a, b) => a - b);
  const steps: StepRow[] = [...stages]
    .filter(([stage]) => stage.startsWith("step:"))
    .map(([stage, s]) => ({
      step: stage.slice(5),
      shoppers: s.shoppers ?? 0,
      ranked: ranks.get(stage.slice(5))?.ranked ?? 0,
      positions: ranks.get(stage.slice(5))?.positions ?? 0,
    }));
  const shoppersAt = (stage: string) => stages.get(stage)?.shoppers ?? 0;

  return {
    range,
    currency: [...byCurrency].sort((a, b) => (b[1].carts ?? 0) - (a[1].carts ?? 0) || a[0].localeCompare(b[0]))[0]?.[0] ?? null,
    abandoned: { carts: t.carts + h.carts, value: t.value + h.value },
    excluded: excludedFigure([...excluded].map(([why, e]) => ({ why, carts: e.carts ?? 0, value: e.value ?? 0 }))),
    treated: { carts: t.carts, recovered: t.recovered, rate: rate(t.recovered, t.carts), revenue: t.revenue },
    holdout: { carts: h.carts, recovered: h.recovered, rate: rate(h.recovered, h.carts) },
    lift: lift(t.recovered, t.carts, h.recovered, h.carts),
    medianTimeToRecoverMs: histogramMedian([...ttr].map(([bucket, s]) => [bucket, s.n ?? 0, s.sum ?? 0])),
    reasons: [...byReason]
      .map(([reason, r]) => ({
        reason,
        carts: r.carts ?? 0,
        value: r.value ?? 0,
        recovered: r.recovered ?? 0,
        rate: rate(r.recovered ?? 0, r.treated ?? 0),
      }))
      .sort((x, y) => y.carts - x.carts || x.reason.localeCompare(y.reason)),
    funnel: [
      { stage: "cart", shoppers: shoppersAt("cart") },
      { stage: "checkout", shoppers: shoppersAt("checkout") },
      ...inCheckoutOrder(steps).map((r) => ({ stage: `step:${r.step}`, shoppers: r.shoppers })),
      { stage: "purchase", shoppers: shoppersAt("purchase") },
    ],
    daily: [...days]
      .filter(([, r]) => r.abandoned)
      .sort((x, y) => x[0] - y[0])
      .map(([d, r]) => ({
        day: new Date(d * DAY).toISOString().slice(0, 10),
        abandoned: r.abandoned ?? 0,
        value: r.value ?? 0,
        recovered: r.recovered ?? 0,
        revenue: r.revenue ?? 0,
      })),
    messages: stepNumbers.map((step) => ({ step, ...total((r) => r.step === step) })),
    channels: channels.map((channel) => ({ channel, ...total((r) => r.channel === channel) })),
    mail: mailFigures(rows),
  };
}

/**
 * The interrupted orders of a range, newest first, searchable by email.
 *
 * @example
 * await interruptedOrders(env.DB, site.id, { from: "2026-11-01", to: "2026-11-30" }, { search: "ana" });
 */
export const interruptedOrders = (
  db: D1Database,
  site: number,
  range: Range,
  options?: { search?: string; limit?: number; offset?: number },
) => interruptedOrderRows(db, site, rangeMs(range), options);

/** CSV for spreadsheets. Cells that a spreadsheet would run as a formula are defused with a quote. */
export function toCsv(rows: InterruptedOrder[]): string {
  const cell = (value: unknown): string => {
    let text = value === null || value === undefined ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const header = [
    "abandoned_at",
    "email",
    "value",
    "currency",
    "reason",
    "status",
    "messages_sent",
    "recovered_order_id",
    "recovered_value",
  ];
  const lines = rows.map((r) =>
    [
      new Date(r.abandonedAt).toISOString(),
      r.email,
      majorText(r.value, r.currency),
      r.currency,
      r.reason,
      r.status,
      r.messagesSent,
      r.recoveredOrderId,
      r.recoveredValue === null ? "" : majorText(r.recoveredValue, r.currency),
    ]
      .map(cell)
      .join(","),
  );
  return `${[header.join(","), ...lines].join("\r\n")}\r\n`;
}
