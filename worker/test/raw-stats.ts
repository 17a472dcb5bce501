// The reference for the rollups' property (worker/stats/rollups.test.ts): every figure of the stats
// recomputed from the raw rows by the queries the stats ran before rollups (main 0161327), with
// the funnel's definition of issue 21 (first reach per shopper; buyers per day) over
// `shadow_events`, which the property keeps as every event ever stored, less what an erasure took.
import { DAY_MS } from "../../protocol/limits";
import { STAGE } from "../db/rollups";
import { excludedFigure, lift, median, type Range, rangeMs, type Stats } from "../stats/figures";
import { mailFiguresOf } from "../stats/mail";

const DAY = DAY_MS;
type Channel = "email" | "sms";
const rate = (part: number, whole: number): number | null => (whole ? part / whole : null);

function rawRows(db: D1Database, site: number, from: number, to: number) {
  const inRange = "s.site_id = ?1 AND s.abandoned_at >= ?2 AND s.abandoned_at < ?3";
  const bind = (sql: string) => db.prepare(sql).bind(site, from, to);
  // One pass over the range, grouped finely; headline, reasons, days and currency are summed
  // from it in figures.ts rather than by four scans in D1.
  return db.batch([
    bind(`SELECT s.abandoned_at / ${DAY} AS day, s.reason, s.holdout, s.currency, count(*) AS carts, coalesce(sum(s.value), 0) AS value,
            count(s.recovered_order_id) AS recovered, coalesce(sum(s.recovered_value), 0) AS revenue
          FROM sequences s WHERE ${inRange} AND s.status <> 'excluded' GROUP BY day, s.reason, s.holdout, s.currency`),
    bind(
      `SELECT s.recovered_at - s.abandoned_at AS t FROM sequences s WHERE ${inRange} AND s.status <> 'excluded' AND s.holdout = 0 AND s.recovered_at IS NOT NULL ORDER BY t`,
    ),
    // Each recovery message carries its sequence's abandonment time (migration 0006): one index range.
    bind(`SELECT m.step, m.channel, count(m.sent_at) AS sent, count(m.clicked_at) AS clicked FROM messages m
          WHERE m.site_id = ?1 AND m.kind = 'recovery' AND m.abandoned_at >= ?2 AND m.abandoned_at < ?3
          GROUP BY m.step, m.channel ORDER BY m.step`),
    // A recovery is credited to the last message sent before the order: its step and its channel.
    bind(`SELECT step, channel, count(*) AS converted, coalesce(sum(revenue), 0) AS revenue FROM (
            SELECT (SELECT max(m.step) FROM messages m WHERE m.sequence_id = s.id AND m.kind = 'recovery' AND m.sent_at IS NOT NULL AND m.sent_at <= s.recovered_at) AS step,
              (SELECT m.channel FROM messages m WHERE m.sequence_id = s.id AND m.kind = 'recovery' AND m.sent_at IS NOT NULL AND m.sent_at <= s.recovered_at
                ORDER BY m.step DESC LIMIT 1) AS channel,
              s.recovered_value AS revenue
            FROM sequences s WHERE ${inRange} AND s.status <> 'excluded' AND s.holdout = 0 AND s.recovered_order_id IS NOT NULL)
          GROUP BY step, channel`),
    // Funnel (issue 21): a shopper (a browser, and again after a purge removed its events: the
    // shadow table renames those) counts on the day they first reached a stage; buyers per day.
    bind(
      `WITH firsts AS (SELECT aid, ${STAGE} AS stage, min(at) AS first_at FROM shadow_events WHERE site_id = ?1 GROUP BY aid, stage)
       SELECT stage AS type, count(*) AS shoppers FROM firsts WHERE stage IN ('cart', 'checkout') AND first_at >= ?2 AND first_at < ?3 GROUP BY stage
       UNION ALL
       SELECT 'purchase', coalesce(sum(n), 0) FROM (SELECT count(DISTINCT coalesce(aid, 'order:' || order_id)) AS n FROM orders
         WHERE site_id = ?1 AND at >= ?2 AND at < ?3 GROUP BY at / ${DAY})`,
    ),
    bind(`WITH firsts AS (SELECT aid, ${STAGE} AS stage, min(at) AS first_at FROM shadow_events WHERE site_id = ?1 GROUP BY aid, stage)
          SELECT step, count(*) AS shoppers, count(*) AS ranked, sum(position) AS positions FROM (
            SELECT substr(stage, 6) AS step, first_at, rank() OVER (PARTITION BY aid ORDER BY first_at) AS position FROM firsts WHERE stage LIKE 'step:%'
          ) WHERE first_at >= ?2 AND first_at < ?3 GROUP BY step`),
    // Mail feedback (issue 22.3): recovery emails by the day their cart went quiet, sent and by outcome.
    bind(`SELECT m.abandoned_at / ${DAY} AS day, count(m.sent_at) AS sent,
            count(*) FILTER (WHERE m.outcome IN ('delivered', 'complained')) AS delivered, count(*) FILTER (WHERE m.outcome = 'hard_bounce') AS hard,
            count(*) FILTER (WHERE m.outcome = 'soft_bounce') AS soft, count(*) FILTER (WHERE m.outcome = 'complained') AS complained
          FROM messages m WHERE m.site_id = ?1 AND m.kind = 'recovery' AND m.channel = 'email' AND m.abandoned_at >= ?2 AND m.abandoned_at < ?3
          GROUP BY day`),
    // Carts the site's rules or audience excluded (issue 22): counted by rule, in no other figure.
    bind(`SELECT s.stop_reason AS why, count(*) AS carts, coalesce(sum(s.value), 0) AS value FROM sequences s
          WHERE ${inRange} AND s.status = 'excluded' GROUP BY s.stop_reason`),
  ]);
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

export async function rawStats(db: D1Database, site: number, range: Range): Promise<Stats> {
  const [from, to] = rangeMs(range);
  const [cube, times, sends, conversions, funnel, steps, mail, excluded] = await rawRows(db, site, from, to);
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
    currency: [...byCurrency].sort((a, b) => (b[1].carts ?? 0) - (a[1].carts ?? 0) || a[0].localeCompare(b[0]))[0]?.[0] ?? null,
    abandoned: { carts: t.carts + h.carts, value: t.value + h.value },
    excluded: excludedFigure(rows<{ why: string; carts: number; value: number }>(excluded)),
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
    mail: mailFiguresOf(
      new Map(
        rows<{ day: number; sent: number; delivered: number; hard: number; soft: number; complained: number }>(mail).map(
          ({ day, ...c }) => [day, c],
        ),
      ),
    ),
  };
}
