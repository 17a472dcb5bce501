// What one shopper is, across the tables, for a privacy export or erasure: every browser, address
// and account found by email or user id, and the statements that read or remove their rows.
import { normalEmail } from "../../protocol/email";

/** Who a privacy request is about, as found: browsers, addresses (normal form) and accounts. */
export interface Identity {
  aids: string[];
  emails: string[];
  userIds: string[];
}

// Addresses are stored in their normal form (protocol/email.ts; migration 0007 fixed older rows),
// yet every lookup here compares lower(email), whatever casing a row holds: a shopper's object made
// before then keeps the casing first seen and writes sequences, messages and links with it, and a
// batch queued by the previous version is stored as it was typed. An export or erase that misses
// a row is a breach; a scan of one site's index range, for a request this rare, is cheap.
// (SQLite's lower() folds only ASCII, which every address that passes EMAIL_PATTERN is.)

/** Every browser (aid) and email (normal form) known for a shopper given by email or by the shop's user id. */
export async function identities(db: D1Database, site: number, who: { email?: string; userId?: string }): Promise<Identity> {
  const { results } = await db
    .prepare(
      "SELECT aid, email, user_id FROM shoppers WHERE site_id = ?1 AND ((?2 IS NOT NULL AND lower(email) = ?2) OR (?3 IS NOT NULL AND user_id = ?3))",
    )
    .bind(site, who.email ?? null, who.userId ?? null)
    .all<{ aid: string; email: string | null; user_id: string | null }>();
  const emails = new Set(results.flatMap((r) => (r.email ? [normalEmail(r.email)] : [])));
  if (who.email) emails.add(who.email);
  // The account cart is kept by user id, also for a signed-in shopper who never sent an event.
  const userIds = new Set(results.flatMap((r) => (r.user_id ? [r.user_id] : [])));
  if (who.userId) userIds.add(who.userId);
  return { aids: results.map((r) => r.aid), emails: [...emails], userIds: [...userIds] };
}

const list = (values: string[]) => (values.length ? values : [""]);
const marks = (values: string[]) =>
  list(values)
    .map(() => "?")
    .join(", ");

/** Every row about the shopper, table by table (events with their data parsed). */
export async function exportRows(db: D1Database, site: number, { aids, emails }: Identity) {
  const [shoppers, carts, events, orders, sequences, messages, suppressed, refs, consents] = await db.batch([
    db.prepare(`SELECT * FROM shoppers WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db.prepare(`SELECT * FROM carts WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db
      .prepare(`SELECT id, aid, type, at, data FROM events WHERE site_id = ? AND aid IN (${marks(aids)}) ORDER BY at`)
      .bind(site, ...list(aids)),
    db.prepare(`SELECT * FROM orders WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db.prepare(`SELECT * FROM sequences WHERE site_id = ? AND lower(email) IN (${marks(emails)})`).bind(site, ...list(emails)),
    db.prepare(`SELECT * FROM messages WHERE site_id = ? AND lower(email) IN (${marks(emails)})`).bind(site, ...list(emails)),
    db
      .prepare(`SELECT email, created_at, source FROM suppressions WHERE site_id = ? AND lower(email) IN (${marks(emails)})`)
      .bind(site, ...list(emails)),
    db
      .prepare(`SELECT platform, ref, aid, at FROM platform_refs WHERE site_id = ? AND aid IN (${marks(aids)}) ORDER BY at`)
      .bind(site, ...list(aids)),
    db
      .prepare(
        `SELECT aid, phone, given_at, origin, event_id FROM sms_consents WHERE site_id = ? AND aid IN (${marks(aids)}) ORDER BY given_at`,
      )
      .bind(site, ...list(aids)),
  ]);
  return {
    shoppers: shoppers?.results,
    carts: carts?.results,
    events: (events?.results as { data: string }[] | undefined)?.map((e) => ({ ...e, data: JSON.parse(e.data) })),
    orders: orders?.results,
    sequences: sequences?.results,
    messages: messages?.results,
    suppressed: suppressed?.results,
    platformRefs: refs?.results,
    smsConsents: consents?.results,
  };
}

/**
 * Removes every row about the shopper in one batch, but the suppression (the opt-out must
 * outlive the erasure) and the shop's orders (only their tie to the browser goes).
 */
export async function eraseRows(db: D1Database, site: number, { aids, emails }: Identity) {
  const results = await db.batch([
    db.prepare(`DELETE FROM events WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db.prepare(`DELETE FROM carts WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db.prepare(`DELETE FROM shoppers WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db.prepare(`DELETE FROM platform_refs WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    // The shop keeps its own orders; ours only tie them to this shopper's browsers.
    db.prepare(`UPDATE orders SET aid = NULL WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db.prepare(`DELETE FROM messages WHERE site_id = ? AND lower(email) IN (${marks(emails)})`).bind(site, ...list(emails)),
    db.prepare(`DELETE FROM sequences WHERE site_id = ? AND lower(email) IN (${marks(emails)})`).bind(site, ...list(emails)),
    db.prepare(`DELETE FROM links WHERE site_id = ? AND lower(email) IN (${marks(emails)})`).bind(site, ...list(emails)),
    db.prepare(`DELETE FROM dev_outbox WHERE site_id = ? AND lower("to") IN (${marks(emails)})`).bind(site, ...list(emails)),
    // The number and its consent go with the browser; a STOP or a withdrawal stays (sms_suppressions).
    db.prepare(`DELETE FROM sms_consents WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
  ]);
  const [events, carts, shoppers, platformRefs, , messages, sequences] = results.map((r) => r.meta.changes);
  return { shoppers, carts, events, sequences, messages, platformRefs };
}
