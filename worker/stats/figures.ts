const DAY = 86_400_000;

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
  const inRange = "s.site_id = ?1 AND s.abandoned_at >= ?2 AND s.abandoned_at < ?3";
  const bind = (sql: string) => db.prepare(sql).bind(site, from, to);
  // One pass over the range, grouped finely; headline, reasons, days and currency are summed
  // from it here rather than by four scans in D1.
  const [cube, times, sends, conversions, funnel, steps] = await db.batch([
    bind(`SELECT s.abandoned_at / ${DAY} AS day, s.reason, s.holdout, s.currency, count(*) AS carts, coalesce(sum(s.value), 0) AS value,
            count(s.recovered_order_id) AS recovered, coalesce(sum(s.recovered_value), 0) AS revenue
          FROM sequences s WHERE ${inRange} GROUP BY day, s.reason, s.holdout, s.currency`),
    bind(
      `SELECT s.recovered_at - s.abandoned_at AS t FROM sequences s WHERE ${inRange} AND s.holdout = 0 AND s.recovered_at IS NOT NULL ORDER BY t`,
    ),
    // Each recovery message carries its sequence's abandonment time (migration 0006): one index range.
    bind(`SELECT m.step, count(m.sent_at) AS sent, count(m.clicked_at) AS clicked FROM messages m
          WHERE m.site_id = ?1 AND m.kind = 'recovery' AND m.abandoned_at >= ?2 AND m.abandoned_at < ?3 GROUP BY m.step ORDER BY m.step`),
    // A recovery is credited to the last message sent before the order.
    bind(`SELECT (SELECT max(m.step) FROM messages m WHERE m.sequence_id = s.id AND m.kind = 'recovery' AND m.sent_at IS NOT NULL AND m.sent_at <= s.recovered_at) AS step,
            count(*) AS converted, coalesce(sum(s.recovered_value), 0) AS revenue
          FROM sequences s WHERE ${inRange} AND s.holdout = 0 AND s.recovered_order_id IS NOT NULL GROUP BY step`),
    // Cart and checkout: live events, plus what the retention job folded into funnel_daily when it
    // purged older ones. Purchase: the `orders` table, which holds the script's purchases and the
    // orders the shop's server reported (POST /v1/sites/:key/orders), one row per order id, and is
    // never purged (an erasure only clears its aid). A buyer is counted once by browser id; an order
    // without one (the server did not know it, or the shopper was erased) counts as one buyer.
    // funnel_daily's "purchase" rows, folded before this rule, are left out: `orders` has them too.
    bind(
      `SELECT type, sum(shoppers) AS shoppers FROM (
         SELECT type, count(DISTINCT aid) AS shoppers FROM events WHERE site_id = ?1 AND type IN ('cart', 'checkout') AND at >= ?2 AND at < ?3 GROUP BY type
         UNION ALL
         SELECT stage, shoppers FROM funnel_daily WHERE site_id = ?1 AND day >= ?2 / ${DAY} AND day < ?3 / ${DAY} AND stage IN ('cart', 'checkout')
         UNION ALL
         SELECT 'purchase', count(DISTINCT coalesce(aid, 'order:' || order_id)) FROM orders WHERE site_id = ?1 AND at >= ?2 AND at < ?3
       ) GROUP BY type`,
    ),
    // Per step: shoppers, and the step's position in each of their checkouts, for the order the
    // steps are shown in (see STEP_ORDER). A shopper's positions are taken over all of their events,
    // as the retention job does when it folds them into funnel_daily ("rank:" and "ranked:" rows),
    // so the order of a past range survives the purge.
    bind(`SELECT step, sum(shoppers) AS shoppers, sum(ranked) AS ranked, sum(positions) AS positions FROM (
            SELECT step, count(*) AS shoppers, count(*) AS ranked, sum(position) AS positions FROM (
              SELECT step, seen, rank() OVER (PARTITION BY aid ORDER BY first_at) AS position FROM (
                SELECT aid, json_extract(data, '$.code') AS step, min(at) AS first_at, max(at >= ?2 AND at < ?3) AS seen FROM events
                WHERE site_id = ?1 AND type = 'moment' AND json_extract(data, '$.kind') = 'step'
                  AND aid IN (SELECT aid FROM events WHERE site_id = ?1 AND type = 'moment' AND at >= ?2 AND at < ?3)
                GROUP BY aid, step
              )
            ) WHERE seen GROUP BY step
            UNION ALL
            SELECT substr(stage, 6), shoppers, 0, 0 FROM funnel_daily WHERE site_id = ?1 AND day >= ?2 / ${DAY} AND day < ?3 / ${DAY} AND stage LIKE 'step:%'
            UNION ALL
            SELECT substr(stage, 8), 0, shoppers, 0 FROM funnel_daily WHERE site_id = ?1 AND day >= ?2 / ${DAY} AND day < ?3 / ${DAY} AND stage LIKE 'ranked:%'
            UNION ALL
            SELECT substr(stage, 6), 0, 0, shoppers FROM funnel_daily WHERE site_id = ?1 AND day >= ?2 / ${DAY} AND day < ?3 / ${DAY} AND stage LIKE 'rank:%'
          ) GROUP BY step`),
  ]);
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
  const sent = rows<{ step: number; sent: number; clicked: number }>(sends);
  const converted = rows<{ step: number | null; converted: number; revenue: number }>(conversions);
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
    messages: stepNumbers.map((step) => {
      const s = sent.find((r) => r.step === step);
      const c = converted.find((r) => r.step === step);
      return { step, sent: s?.sent ?? 0, clicked: s?.clicked ?? 0, converted: c?.converted ?? 0, revenue: c?.revenue ?? 0 };
    }),
  };
}

export interface InterruptedOrder {
  sequenceId: string;
  email: string;
  abandonedAt: number;
  value: number;
  currency: string;
  reason: string;
  status: string;
  messagesSent: number;
  recoveredOrderId: string | null;
  recoveredValue: number | null;
}

/** Interrupted orders, newest first, optionally only those whose email contains `search`. */
export async function interruptedOrders(
  db: D1Database,
  site: number,
  range: Range,
  { search, limit = 50, offset = 0 }: { search?: string; limit?: number; offset?: number } = {},
): Promise<InterruptedOrder[]> {
  const [from, to] = rangeMs(range);
  const like = search ? `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const { results } = await db
    .prepare(
      `SELECT s.id AS sequenceId, s.email, s.abandoned_at AS abandonedAt, s.value, s.currency, s.reason,
         CASE WHEN s.recovered_order_id IS NOT NULL THEN 'recovered' WHEN s.holdout = 1 THEN 'holdout'
              WHEN s.status = 'stopped' THEN 'stopped: ' || s.stop_reason ELSE s.status END AS status,
         (SELECT count(*) FROM messages m WHERE m.sequence_id = s.id AND m.sent_at IS NOT NULL) AS messagesSent,
         s.recovered_order_id AS recoveredOrderId, s.recovered_value AS recoveredValue
       FROM sequences s WHERE s.site_id = ?1 AND s.abandoned_at >= ?2 AND s.abandoned_at < ?3 AND (?4 IS NULL OR s.email LIKE ?4 ESCAPE '\\')
       ORDER BY s.abandoned_at DESC LIMIT ?5 OFFSET ?6`,
    )
    .bind(site, from, to, like, limit, offset)
    .all<InterruptedOrder>();
  return results;
}

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
      (r.value / 100).toFixed(2),
      r.currency,
      r.reason,
      r.status,
      r.messagesSent,
      r.recoveredOrderId,
      r.recoveredValue === null ? "" : (r.recoveredValue / 100).toFixed(2),
    ]
      .map(cell)
      .join(","),
  );
  return `${[header.join(","), ...lines].join("\r\n")}\r\n`;
}
