import { shopperStub } from "./shopper";

/** A cart quiet this long without a sequence is past every site's threshold (at most 24 h). */
const QUIET_FOR_MS = 25 * 3_600_000;
/** Shoppers woken per run: a safety net, not the clock. */
const MAX_WAKES = 1000;

interface Forgotten {
  site_id: number;
  email: string;
  aid: string;
  value: number;
  currency: string;
  expires_at: number;
  updated_at: number;
}

/**
 * The daily safety net under the alarms: a reachable shopper whose cart has been quiet for more
 * than a day, with no sequence started since, is told again what D1 knows of that cart. The
 * alarm is the clock; this only catches an object that lost its state or its alarm (a bug, a
 * failed deploy), so such a cart is followed up a day late rather than never. Telling an object
 * what it already knows changes nothing, so a false alarm costs one call.
 *
 * @example
 * await wakeForgottenShoppers(env, Date.now()); // 0 on a healthy collector
 */
export async function wakeForgottenShoppers(env: Env, now: number): Promise<number> {
  const { results } = await env.DB.prepare(
    `SELECT s.site_id, s.email, c.aid, c.value, c.currency, c.expires_at, c.updated_at
     FROM carts c JOIN shoppers s ON s.site_id = c.site_id AND s.aid = c.aid
     WHERE c.status = 'active' AND c.value > 0 AND c.expires_at > ?1 AND c.updated_at < ?2 AND s.email IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM sequences q WHERE q.site_id = c.site_id AND q.email = s.email AND q.abandoned_at >= c.updated_at)
     LIMIT ${MAX_WAKES}`,
  )
    .bind(now, now - QUIET_FOR_MS)
    .all<Forgotten>();
  await Promise.all(
    results.map((r) =>
      shopperStub(env, r.site_id, r.email).observe({
        site: r.site_id,
        email: r.email,
        aid: r.aid,
        activityAt: r.updated_at,
        cart: { status: "active", value: r.value, currency: r.currency, expiresAt: r.expires_at },
      }),
    ),
  );
  return results.length;
}
