import { DAY_MS } from "../../protocol/limits";
import { readSettings } from "../sites/settings";

/** What one run of the retention job removed. */
export interface Purged {
  carts: number;
  events: number;
  shoppers: number;
}

// The funnel stage an event counts towards, or NULL: the same rule the live stats use. Purchases
// are not folded: the stats count them from `orders`, which this job keeps.
const STAGE = `CASE WHEN type IN ('cart', 'checkout') THEN type
  WHEN type = 'moment' AND json_extract(data, '$.kind') = 'step' THEN 'step:' || json_extract(data, '$.code') END`;

/**
 * The daily retention job. For each site, with its cart lifetime (7 days by default):
 * - a shopper whose cart is gone (expired, purchased or emptied and not changed since) and who sent
 *   nothing for that long loses every event; what the funnel needs is first folded into
 *   `funnel_daily` (one count per shopper, stage and day, and the steps' positions), so stats of
 *   any past range still add up and list the steps in the same order;
 * - expired carts are deleted (reads already skip them);
 * - a browser's identity row (email, name) goes once it has no cart and no events left.
 * Per site it is one D1 batch, so a run that stops half-way leaves nothing half-folded.
 * Recovery sequences and messages stay: they are the merchant's record of what was sent and
 * what came back (erasable per shopper through the privacy API).
 *
 * @example
 * await purgeExpired(env.DB, Date.now()); // { carts: 12, events: 340, shoppers: 9 }
 */
export async function purgeExpired(db: D1Database, now: number): Promise<Purged> {
  const total: Purged = { carts: 0, events: 0, shoppers: 0 };
  const { results: sites } = await db.prepare("SELECT id, settings FROM sites").all<{ id: number; settings: string }>();
  for (const site of sites) {
    const cutoff = now - readSettings(site.settings).cartTtlDays * DAY_MS;
    // Shoppers whose last event is older than the cutoff and who have no live cart.
    const gone = `SELECT aid FROM events WHERE site_id = ?1 GROUP BY aid HAVING max(at) <= ?2
      AND aid NOT IN (SELECT aid FROM carts WHERE site_id = ?1 AND expires_at > ?3)`;
    const [, events, carts, shoppers] = await db.batch([
      db
        // Per day and stage, the shoppers who first reached it that day; per day and step also
        // "rank:" (the sum of the step's positions in those shoppers' checkouts) and "ranked:"
        // (how many shoppers that sum covers), from which the stats order the steps.
        .prepare(
          `WITH firsts AS (
             SELECT aid, ${STAGE} AS stage, min(at) AS first_at FROM events
             WHERE site_id = ?1 AND aid IN (${gone}) GROUP BY aid, stage
           ), steps AS (
             SELECT substr(stage, 6) AS step, first_at, rank() OVER (PARTITION BY aid ORDER BY first_at) AS position
             FROM firsts WHERE stage LIKE 'step:%'
           )
           INSERT INTO funnel_daily (site_id, day, stage, shoppers)
           SELECT ?1, first_at / ${DAY_MS}, stage, count(*) FROM firsts WHERE stage IS NOT NULL GROUP BY first_at / ${DAY_MS}, stage
           UNION ALL
           SELECT ?1, first_at / ${DAY_MS}, 'rank:' || step, sum(position) FROM steps GROUP BY first_at / ${DAY_MS}, step
           UNION ALL
           SELECT ?1, first_at / ${DAY_MS}, 'ranked:' || step, count(*) FROM steps GROUP BY first_at / ${DAY_MS}, step
           ON CONFLICT (site_id, day, stage) DO UPDATE SET shoppers = shoppers + excluded.shoppers`,
        )
        .bind(site.id, cutoff, now),
      db.prepare(`DELETE FROM events WHERE site_id = ?1 AND aid IN (${gone})`).bind(site.id, cutoff, now),
      db.prepare("DELETE FROM carts WHERE site_id = ? AND expires_at <= ?").bind(site.id, now),
      db
        // Ingest writes a shopper row in the same transaction as its events, so a row with
        // neither events nor a cart is one this job (or an erasure) emptied.
        .prepare(
          `DELETE FROM shoppers WHERE site_id = ?1
           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.site_id = ?1 AND e.aid = shoppers.aid)
           AND NOT EXISTS (SELECT 1 FROM carts c WHERE c.site_id = ?1 AND c.aid = shoppers.aid)`,
        )
        .bind(site.id),
    ]);
    total.events += events?.meta.changes ?? 0;
    total.carts += carts?.meta.changes ?? 0;
    total.shoppers += shoppers?.meta.changes ?? 0;
  }
  return total;
}
