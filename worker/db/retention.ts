// The retention job's statements: delete the events, expired carts and identity rows of shoppers
// whose cart is gone, a slice of the site's shoppers at a time (issue 21.3). The figures need none
// of it: the rollups (rollups.ts) counted it when it came.

/** Shoppers looked at per slice: each statement of a slice reads and deletes at most their rows. */
export const SLICE = 500;

/** What one slice of a purge did. */
export interface Slice {
  events: number;
  carts: number;
  shoppers: number;
  refs: number;
  /** Whether the site's last shopper was in this slice (the next slice starts the next pass). */
  done: boolean;
  /** The longest statement of the slice, as D1 timed it (ms). */
  longestMs: number;
}

/**
 * Purges one slice of a site's shoppers, in aid order after where the last slice stopped (a cursor
 * in `retention_cursors`, so a run cut short resumes there): the events and platform tokens of those
 * who have no live cart and sent nothing since `cutoff`, their carts expired by `now`, and the
 * identity rows left with neither. One D1 batch (all or nothing, cursor included); every statement
 * reads one index range of at most `SLICE` shoppers, whatever the site's history.
 *
 * @example
 * while (!(await purgeSlice(env.DB, site.id, now - 7 * DAY_MS, now)).done);
 */
export async function purgeSlice(db: D1Database, site: number, cutoff: number, now: number, size = SLICE): Promise<Slice> {
  const from = (await db.prepare("SELECT aid FROM retention_cursors WHERE site_id = ?").bind(site).first<string>("aid")) ?? "";
  const to = await db
    .prepare("SELECT max(aid) AS aid FROM (SELECT aid FROM shoppers WHERE site_id = ?1 AND aid > ?2 ORDER BY aid LIMIT ?3)")
    .bind(site, from, size)
    .first<string | null>("aid");
  if (to === null || to === undefined) {
    await db.prepare("DELETE FROM retention_cursors WHERE site_id = ?").bind(site).run();
    return { events: 0, carts: 0, shoppers: 0, refs: 0, done: true, longestMs: 0 };
  }
  const slice = "site_id = ?1 AND aid > ?4 AND aid <= ?5";
  // Shoppers of the slice whose last event is older than the cutoff and who have no live cart.
  const gone = `SELECT s.aid FROM shoppers s WHERE s.${slice}
    AND coalesce((SELECT max(e.at) FROM events e WHERE e.site_id = ?1 AND e.aid = s.aid), ?2 + 1) <= ?2
    AND NOT EXISTS (SELECT 1 FROM carts c WHERE c.site_id = ?1 AND c.aid = s.aid AND c.expires_at > ?3)`;
  const bind = (sql: string) => db.prepare(sql).bind(site, cutoff, now, from, to);
  const results = await db.batch([
    // A browser's platform tokens go with its events: nothing else can match a webhook to it.
    bind(`DELETE FROM platform_refs WHERE ${slice} AND aid IN (${gone})`),
    bind(`DELETE FROM events WHERE ${slice} AND aid IN (${gone})`),
    bind(`DELETE FROM carts WHERE ${slice} AND expires_at <= ?3`),
    // Ingest writes a shopper row in the same transaction as its events, so a row with
    // neither events nor a cart is one this job (or an erasure) emptied.
    bind(`DELETE FROM shoppers WHERE ${slice}
      AND NOT EXISTS (SELECT 1 FROM events e WHERE e.site_id = ?1 AND e.aid = shoppers.aid)
      AND NOT EXISTS (SELECT 1 FROM carts c WHERE c.site_id = ?1 AND c.aid = shoppers.aid)`),
    // A browser's SMS consent goes with its identity row (its number is personal data too).
    bind(
      `DELETE FROM sms_consents WHERE ${slice} AND NOT EXISTS (SELECT 1 FROM shoppers s WHERE s.site_id = ?1 AND s.aid = sms_consents.aid)`,
    ),
    bind(`INSERT INTO retention_cursors (site_id, aid) VALUES (?1, ?5) ON CONFLICT (site_id) DO UPDATE SET aid = excluded.aid`),
  ]);
  const [refs, events, carts, shoppers] = results.map((r) => r.meta.changes ?? 0);
  return {
    events: events ?? 0,
    carts: carts ?? 0,
    shoppers: shoppers ?? 0,
    refs: refs ?? 0,
    done: false,
    longestMs: Math.max(...results.map((r) => r.meta.duration ?? 0)),
  };
}

/**
 * Purges a whole site, slice after slice (see `purgeSlice`), until a full pass is done or
 * `deadline` (ms since the epoch) passes; a pass cut short resumes at the next call.
 *
 * @example
 * await purgeSite(env.DB, site.id, now - 7 * DAY_MS, now); // { events: 340, carts: 12, shoppers: 9, refs: 0, done: true, longestMs: 3 }
 */
export async function purgeSite(db: D1Database, site: number, cutoff: number, now: number, deadline = Number.POSITIVE_INFINITY) {
  const total = { events: 0, carts: 0, shoppers: 0, refs: 0, done: false, longestMs: 0, slices: 0 };
  while (!total.done && Date.now() < deadline) {
    const slice = await purgeSlice(db, site, cutoff, now);
    total.events += slice.events;
    total.carts += slice.carts;
    total.shoppers += slice.shoppers;
    total.refs += slice.refs;
    total.done = slice.done;
    total.longestMs = Math.max(total.longestMs, slice.longestMs);
    total.slices++;
  }
  return total;
}

/**
 * Forgets platform webhook receipts taken before `before`, on every site, and the tokens the
 * orders of that time named: a platform stops redelivering long before (Shopify within 48 hours),
 * a browser reports its token long before, and what a delivery did stays in its rows.
 *
 * @example
 * await forgetReceipts(env.DB, now - 30 * DAY_MS); // 120
 */
export async function forgetReceipts(db: D1Database, before: number): Promise<number> {
  const [receipts] = await db.batch([
    db.prepare("DELETE FROM platform_receipts WHERE received_at < ?").bind(before),
    db.prepare("DELETE FROM platform_order_refs WHERE at < ?").bind(before),
  ]);
  return receipts?.meta.changes ?? 0;
}
