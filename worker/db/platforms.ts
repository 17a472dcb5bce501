// The platforms' tables: `platform_refs` (which browser had which platform cart), `platform_receipts`
// (each webhook delivery taken, once) and the site's `platform_secret`. The webhook routes in
// worker/platforms/ and the merchant API read and write them through the functions here.
import type { Platform } from "../../protocol/types";
import { recountOrderDay } from "./rollups";

/** The key the site's platform signs webhooks with, or null when none was generated or set. */
export const platformSecretOf = (db: D1Database, site: number) => platformSecretStatement(db, site).first<string | null>("platform_secret");

/** The statement of `platformSecretOf`, for a batch of reads (the dashboard's). */
export const platformSecretStatement = (db: D1Database, site: number) =>
  db.prepare("SELECT platform_secret FROM sites WHERE id = ?").bind(site);

/** Replaces the site's platform secret (a new random one, or the platform's own). */
export const savePlatformSecret = (db: D1Database, site: number, secret: string) =>
  db.prepare("UPDATE sites SET platform_secret = ? WHERE id = ?").bind(secret, site).run();

/**
 * The statement ingest adds to a batch for a `ref` event (after the event's own row): the token,
 * already without `?key=`, now points at this browser too. Its time is the stored event's, so a
 * redelivered batch (whose times are corrected anew) leaves the same row.
 */
export const refStatement = (db: D1Database, site: number, eventId: string, platform: Platform, ref: string, aid: string) =>
  db
    .prepare(
      `INSERT INTO platform_refs (site_id, platform, ref, aid, at)
       SELECT ?1, ?3, ?4, ?5, at FROM events WHERE site_id = ?1 AND id = ?2
       ON CONFLICT (site_id, platform, ref, aid) DO UPDATE SET at = max(platform_refs.at, excluded.at)`,
    )
    .bind(site, eventId, platform, ref, aid);

/**
 * A paid order's browser, once a browser reports one of the tokens the order named after the
 * order came (the order's webhook found nobody then): added to ingest's batch after `refStatement`.
 */
export const lateRefStatement = (db: D1Database, site: number, platform: Platform, ref: string, aid: string) =>
  db
    .prepare(
      `UPDATE orders SET aid = ?4 WHERE site_id = ?1 AND aid IS NULL
         AND order_id IN (SELECT order_id FROM platform_order_refs WHERE site_id = ?1 AND platform = ?2 AND ref = ?3)`,
    )
    .bind(site, platform, ref, aid);

/**
 * Records a paid platform order before anyone is told of it: the order (without a browser yet)
 * and the tokens it named, in one batch, so a browser that reports a token from now on finds it.
 */
export const recordPlatformOrder = (
  db: D1Database,
  site: number,
  platform: Platform,
  o: { orderId: string; total: number; currency: string; at: number },
  refs: string[],
  now: number,
) =>
  db.batch([
    db
      .prepare("INSERT OR IGNORE INTO orders (site_id, order_id, aid, total, currency, at, source) VALUES (?, ?, NULL, ?, ?, ?, 'server')")
      .bind(site, o.orderId, o.total, o.currency, o.at),
    ...refs.map((ref) =>
      db
        .prepare("INSERT OR IGNORE INTO platform_order_refs (site_id, platform, ref, order_id, at) VALUES (?, ?, ?, ?, ?)")
        .bind(site, platform, ref, o.orderId, now),
    ),
    recountOrderDay(db, site, o.orderId),
  ]);

/** Ties an order that has no browser yet to this one (the most recent to report one of its tokens). */
export const linkOrder = (db: D1Database, site: number, orderId: string, aid: string) =>
  db.batch([
    db.prepare("UPDATE orders SET aid = ? WHERE site_id = ? AND order_id = ? AND aid IS NULL").bind(aid, site, orderId),
    recountOrderDay(db, site, orderId),
  ]);

/**
 * The browsers that reported any of these tokens, most recent report first, with the email each
 * is known by (its own, else that of another browser of the same signed-in user), or null.
 */
export async function browsersWithRefs(
  db: D1Database,
  site: number,
  platform: Platform,
  refs: string[],
): Promise<{ aid: string; email: string | null }[]> {
  if (!refs.length) return [];
  const marks = refs.map(() => "?").join(", ");
  const { results } = await db
    .prepare(
      `SELECT r.aid, coalesce(s.email, (SELECT o.email FROM shoppers o WHERE o.site_id = s.site_id AND o.user_id = s.user_id
                AND o.email IS NOT NULL ORDER BY o.identified_at DESC LIMIT 1)) AS email
       FROM platform_refs r LEFT JOIN shoppers s ON s.site_id = r.site_id AND s.aid = r.aid
       WHERE r.site_id = ? AND r.platform = ? AND r.ref IN (${marks})
       GROUP BY r.aid ORDER BY max(r.at) DESC LIMIT 20`,
    )
    .bind(site, platform, ...refs)
    .all<{ aid: string; email: string | null }>();
  return results;
}

/** The most recently seen browser identified with this email (normal form), with its last activity. */
export const latestBrowserOf = (db: D1Database, site: number, email: string) =>
  db
    .prepare("SELECT aid, last_seen FROM shoppers WHERE site_id = ? AND email = ? ORDER BY last_seen DESC LIMIT 1")
    .bind(site, email)
    .first<{ aid: string; last_seen: number }>();

/** Whether this delivery was already taken. */
export const receiptOf = (db: D1Database, site: number, platform: Platform, delivery: string) =>
  db
    .prepare("SELECT outcome, order_id FROM platform_receipts WHERE site_id = ? AND platform = ? AND delivery = ?")
    .bind(site, platform, delivery)
    .first<{ outcome: string; order_id: string | null }>();

/** Records a delivery as taken, once (a concurrent duplicate changes nothing). */
export const saveReceipt = (
  db: D1Database,
  r: { site: number; platform: Platform; delivery: string; at: number; outcome: string; orderId?: string },
) =>
  db
    .prepare(
      "INSERT OR IGNORE INTO platform_receipts (site_id, platform, delivery, received_at, outcome, order_id) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(r.site, r.platform, r.delivery, r.at, r.outcome, r.orderId ?? null)
    .run();
