// What the stats read: sequences, messages, events, orders and what the retention job folded into
// `funnel_daily`. The queries are here; the arithmetic is in worker/stats/figures.ts.
import { DAY_MS } from "../../protocol/limits";

const DAY = DAY_MS;

/**
 * The funnel stage an event counts towards, or NULL: one rule for the live stats and for the
 * retention job that folds purged events into `funnel_daily`. Purchases are not a stage here: the
 * stats count them from `orders`, which is never purged.
 */
export const STAGE = `CASE WHEN type IN ('cart', 'checkout') THEN type
  WHEN type = 'moment' AND json_extract(data, '$.kind') = 'step' THEN 'step:' || json_extract(data, '$.code') END`;

/**
 * The rows behind every figure of one site and range, in one D1 batch: the sequences cube, times
 * to recover, sends and clicks per step, conversions per step, the funnel, the checkout steps.
 */
export function statsRows(db: D1Database, site: number, from: number, to: number) {
  const inRange = "s.site_id = ?1 AND s.abandoned_at >= ?2 AND s.abandoned_at < ?3";
  const bind = (sql: string) => db.prepare(sql).bind(site, from, to);
  // One pass over the range, grouped finely; headline, reasons, days and currency are summed
  // from it in figures.ts rather than by four scans in D1.
  return db.batch([
    bind(`SELECT s.abandoned_at / ${DAY} AS day, s.reason, s.holdout, s.currency, count(*) AS carts, coalesce(sum(s.value), 0) AS value,
            count(s.recovered_order_id) AS recovered, coalesce(sum(s.recovered_value), 0) AS revenue
          FROM sequences s WHERE ${inRange} GROUP BY day, s.reason, s.holdout, s.currency`),
    bind(
      `SELECT s.recovered_at - s.abandoned_at AS t FROM sequences s WHERE ${inRange} AND s.holdout = 0 AND s.recovered_at IS NOT NULL ORDER BY t`,
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
            FROM sequences s WHERE ${inRange} AND s.holdout = 0 AND s.recovered_order_id IS NOT NULL)
          GROUP BY step, channel`),
    // Cart and checkout: live events, plus what the retention job folded into funnel_daily when it
    // purged older ones. Purchase: the `orders` table, which holds the script's purchases and the
    // orders the shop's server reported (POST /v1/sites/:key/orders), one row per order id, and is
    // never purged (an erasure only clears its aid). A buyer is counted once by browser id; an order
    // without one (the server did not know it, or the shopper was erased) counts as one buyer.
    // funnel_daily's "purchase" rows, folded before this rule, are left out: `orders` has them too.
    bind(
      `SELECT type, sum(shoppers) AS shoppers FROM (
         SELECT ${STAGE} AS type, count(DISTINCT aid) AS shoppers FROM events WHERE site_id = ?1 AND type IN ('cart', 'checkout') AND at >= ?2 AND at < ?3 GROUP BY 1
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
export async function interruptedOrderRows(
  db: D1Database,
  site: number,
  [from, to]: [number, number],
  { search, limit = 50, offset = 0 }: { search?: string; limit?: number; offset?: number } = {},
): Promise<InterruptedOrder[]> {
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
