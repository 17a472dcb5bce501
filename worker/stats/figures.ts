import { DAY_MS } from "../../protocol/limits";
import { majorText } from "../../protocol/money";
import { type InterruptedOrder, interruptedOrderRows, statsRows } from "../db/stats";

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
}

type Channel = "email" | "sms";

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
 * Sums of positions add up, so the retention job folds them per day like the counts. A step known
 * only from rows folded before positions were (none ranked) comes after the others. Ties: more
 * shoppers first, then by name.
 */
function inCheckoutOrder(steps: StepRow[]): StepRow[] {
  const place = (r: StepRow) => (r.ranked ? r.positions / r.ranked : Number.POSITIVE_INFINITY);
  return [...steps].sort((a, b) => place(a) - place(b) || b.shoppers - a.shoppers || (a.step < b.step ? -1 : a.step > b.step ? 1 : 0));
}

/**
 * Every figure of the stats page for one site and range, recomputed from the stored facts:
 * `sequences` (one per abandonment of a reachable shopper, holdout included), `messages` and
 * `events`. Abandonments are placed in the range by the time the cart went quiet.
 */
export async function computeStats(db: D1Database, site: number, range: Range): Promise<Stats> {
  const [from, to] = rangeMs(range);
  const [cube, times, sends, conversions, funnel, steps] = await statsRows(db, site, from, to);
  type Cell = {
    day: number;
    reason: string;
    holdout: number;
    currency: string;
    carts: number;
    value: number;
    recovered: number;
    revenue: number;
  };
  const rows = <T>(r: D1Result | undefined) => (r?.results ?? []) as T[];
  const cells = rows<Cell>(cube);
  /** Sums the cells' fields by a key. */
  const sum = (key: (c: Cell) => string, fields: (c: Cell) => Record<string, number>) => {
    const out = new Map<string, Record<string, number>>();
    for (const c of cells) {
      const acc = out.get(key(c)) ?? {};
      for (const [f, n] of Object.entries(fields(c))) acc[f] = (acc[f] ?? 0) + n;
      out.set(key(c), acc);
    }
    return out;
  };
  const treatedOnly = (c: Cell, n: number) => (c.holdout ? 0 : n);
  const groups = sum(
    (c) => (c.holdout ? "h" : "t"),
    (c) => ({ carts: c.carts, value: c.value, recovered: c.recovered, revenue: c.revenue }),
  );
  const t = { carts: 0, value: 0, recovered: 0, revenue: 0, ...groups.get("t") };
  const h = { carts: 0, value: 0, recovered: 0, revenue: 0, ...groups.get("h") };
  const byReason = sum(
    (c) => c.reason,
    (c) => ({ carts: c.carts, value: c.value, treated: treatedOnly(c, c.carts), recovered: treatedOnly(c, c.recovered) }),
  );
  const byDay = sum(
    (c) => String(c.day),
    (c) => ({ abandoned: c.carts, value: c.value, recovered: treatedOnly(c, c.recovered), revenue: treatedOnly(c, c.revenue) }),
  );
  const byCurrency = sum(
    (c) => c.currency,
    (c) => ({ carts: c.carts }),
  );
  const stages = Object.fromEntries(rows<{ type: string; shoppers: number }>(funnel).map((r) => [r.type, r.shoppers]));
  const sent = rows<{ step: number; channel: Channel; sent: number; clicked: number }>(sends);
  const converted = rows<{ step: number | null; channel: Channel | null; converted: number; revenue: number }>(conversions);
  /** Sums of sends, clicks, conversions and revenue over the rows `pick` keeps. */
  const total = (pick: (r: { step: number | null; channel: Channel | null }) => boolean) => {
    const s = sent.filter(pick);
    const c = converted.filter(pick);
    const add = <R>(list: R[], f: (r: R) => number) => list.reduce((n, r) => n + f(r), 0);
    return {
      sent: add(s, (r) => r.sent),
      clicked: add(s, (r) => r.clicked),
      converted: add(c, (r) => r.converted),
      revenue: add(c, (r) => r.revenue),
    };
  };
  const channels = [...new Set([...sent.map((r) => r.channel), ...converted.flatMap((r) => (r.channel ? [r.channel] : []))])].sort();
  const stepNumbers = [...new Set([...sent.map((r) => r.step), ...converted.flatMap((r) => (r.step === null ? [] : [r.step]))])].sort(
    (a, b) => a - b,
  );

  return {
    range,
    currency: [...byCurrency].sort((a, b) => (b[1].carts ?? 0) - (a[1].carts ?? 0))[0]?.[0] ?? null,
    abandoned: { carts: t.carts + h.carts, value: t.value + h.value },
    treated: { carts: t.carts, recovered: t.recovered, rate: rate(t.recovered, t.carts), revenue: t.revenue },
    holdout: { carts: h.carts, recovered: h.recovered, rate: rate(h.recovered, h.carts) },
    lift: lift(t.recovered, t.carts, h.recovered, h.carts),
    medianTimeToRecoverMs: median(rows<{ t: number }>(times).map((r) => r.t)),
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
      { stage: "cart", shoppers: stages.cart ?? 0 },
      { stage: "checkout", shoppers: stages.checkout ?? 0 },
      ...inCheckoutOrder(rows<StepRow>(steps)).map((r) => ({ stage: `step:${r.step}`, shoppers: r.shoppers })),
      { stage: "purchase", shoppers: stages.purchase ?? 0 },
    ],
    daily: [...byDay]
      .sort((x, y) => Number(x[0]) - Number(y[0]))
      .map(([d, r]) => ({
        day: new Date(Number(d) * DAY).toISOString().slice(0, 10),
        abandoned: r.abandoned ?? 0,
        value: r.value ?? 0,
        recovered: r.recovered ?? 0,
        revenue: r.revenue ?? 0,
      })),
    messages: stepNumbers.map((step) => ({ step, ...total((r) => r.step === step) })),
    channels: channels.map((channel) => ({ channel, ...total((r) => r.channel === channel) })),
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
