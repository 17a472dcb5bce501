/**
 * Deletes carts whose time is up (7 days after their last change, by default), so the collector
 * forgets a cart when the browser does. Runs from the daily cron; reads also skip expired carts.
 *
 * @example
 * await purgeExpiredCarts(env.DB, Date.now());
 */
export async function purgeExpiredCarts(db: D1Database, now: number): Promise<number> {
  const result = await db.prepare("DELETE FROM carts WHERE expires_at <= ?").bind(now).run();
  return result.meta.changes;
}
