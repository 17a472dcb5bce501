// The retention job's statements: fold what the funnel needs into `funnel_daily`, then delete
// the events, expired carts and identity rows of shoppers whose cart is gone.

/**
 * Purges one site's shoppers who have no live cart and sent nothing since `cutoff`, in one D1
 * batch (all or nothing), and its carts expired by `now`. Returns how many rows went.
 *
 * @example
 * await purgeSite(env.DB, site.id, now - 7 * DAY_MS, now); // { events: 340, carts: 12, shoppers: 9 }
 */
export async function purgeSite(db: D1Database, site: number, cutoff: number, now: number) {
  // Shoppers whose last event is older than the cutoff and who have no live cart.
  const gone = `SELECT aid FROM events WHERE site_id = ?1 GROUP BY aid HAVING max(at) <= ?2
    AND aid NOT IN (SELECT aid FROM carts WHERE site_id = ?1 AND expires_at > ?3)`;
  const [refs, events, carts, shoppers] = await db.batch([
    // A browser's platform tokens go with its events: nothing else can match a webhook to it.
    db.prepare(`DELETE FROM platform_refs WHERE site_id = ?1 AND aid IN (${gone})`).bind(site, cutoff, now),
    db.prepare(`DELETE FROM events WHERE site_id = ?1 AND aid IN (${gone})`).bind(site, cutoff, now),
    db.prepare("DELETE FROM carts WHERE site_id = ? AND expires_at <= ?").bind(site, now),
    db
      // Ingest writes a shopper row in the same transaction as its events, so a row with
      // neither events nor a cart is one this job (or an erasure) emptied.
      .prepare(
        `DELETE FROM shoppers WHERE site_id = ?1
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.site_id = ?1 AND e.aid = shoppers.aid)
         AND NOT EXISTS (SELECT 1 FROM carts c WHERE c.site_id = ?1 AND c.aid = shoppers.aid)`,
      )
      .bind(site),
    // A browser's SMS consent goes with its identity row (its number is personal data too).
    db
      .prepare(
        "DELETE FROM sms_consents WHERE site_id = ?1 AND NOT EXISTS (SELECT 1 FROM shoppers s WHERE s.site_id = ?1 AND s.aid = sms_consents.aid)",
      )
      .bind(site),
  ]);
  return {
    events: events?.meta.changes ?? 0,
    carts: carts?.meta.changes ?? 0,
    shoppers: shoppers?.meta.changes ?? 0,
    refs: refs?.meta.changes ?? 0,
  };
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
