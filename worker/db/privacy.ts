// What one shopper is, across the tables, for a privacy export or erasure: every browser, address,
// consented number and account found by email, user id or number, and the statements that read or
// remove their rows.
import { readLines } from "../../protocol/cart-changes";
import { normalEmail } from "../../protocol/email";
import { asSent } from "./cart-events";
import { erasureRollups, orderDaysOf } from "./rollups";
import { PHONE_KEY } from "./schema";

/** Who a privacy request is about, as found: browsers, addresses (normal form), numbers (E.164) and accounts. */
export interface Identity {
  aids: string[];
  emails: string[];
  phones: string[];
  userIds: string[];
}

/**
 * The keys their sequences, messages, links and Durable Objects go by: each address, and `tel:`
 * and each number (a shopper who gave only a number is a person of their own, recovery/person.ts).
 *
 * @example
 * personKeys({ aids: [], emails: ["ana@example.com"], phones: ["+34600111222"], userIds: [] }); // ["ana@example.com", "tel:+34600111222"]
 */
export const personKeys = ({ emails, phones }: Identity): string[] => [...emails, ...phones.map((p) => `${PHONE_KEY}${p}`)];

// Addresses are stored in their normal form (protocol/email.ts; migration 0007 fixed older rows),
// yet every lookup here compares lower(email), whatever casing a row holds: a shopper's object made
// before then keeps the casing first seen and writes sequences, messages and links with it, and a
// batch queued by the previous version is stored as it was typed. An export or erase that misses
// a row is a breach; a scan of one site's index range, for a request this rare, is cheap.
// (SQLite's lower() folds only ASCII, which every address that passes EMAIL_PATTERN is.)

/**
 * Every browser (aid), email (normal form) and consented number known for a shopper given by email,
 * by the shop's user id or by number: the numbers they (or the browsers that match) consented with,
 * then every browser that matches or gave one of those numbers, and what those browsers gave.
 */
export async function identities(
  db: D1Database,
  site: number,
  who: { email?: string; userId?: string; phone?: string },
): Promise<Identity> {
  const matches = "(?2 IS NOT NULL AND lower(email) = ?2) OR (?3 IS NOT NULL AND user_id = ?3)";
  const args = [site, who.email ?? null, who.userId ?? null, who.phone ?? null];
  // Consented numbers, and those a text's link tied a browser to (shoppers.phone_tie).
  const numbers = await db
    .prepare(
      `SELECT phone FROM sms_consents WHERE site_id = ?1
         AND ((?4 IS NOT NULL AND phone = ?4) OR aid IN (SELECT aid FROM shoppers WHERE site_id = ?1 AND (${matches})))
       UNION SELECT phone_tie FROM shoppers WHERE site_id = ?1 AND phone_tie IS NOT NULL AND (${matches})`,
    )
    .bind(...args)
    .all<{ phone: string }>();
  // A number whose browsers are gone (erased before, or never stored) still has its person and texts.
  const phones = new Set(numbers.results.map((r) => r.phone));
  if (who.phone) phones.add(who.phone);
  const { results } = await db
    .prepare(
      `SELECT aid, email, user_id FROM shoppers WHERE site_id = ?1 AND (${matches}
         OR phone_tie IN (SELECT value FROM json_each(?4))
         OR aid IN (SELECT aid FROM sms_consents WHERE site_id = ?1 AND phone IN (SELECT value FROM json_each(?4))))`,
    )
    .bind(site, who.email ?? null, who.userId ?? null, JSON.stringify([...phones]))
    .all<{ aid: string; email: string | null; user_id: string | null }>();
  const emails = new Set(results.flatMap((r) => (r.email ? [normalEmail(r.email)] : [])));
  if (who.email) emails.add(who.email);
  // The account cart is kept by user id, also for a signed-in shopper who never sent an event.
  const userIds = new Set(results.flatMap((r) => (r.user_id ? [r.user_id] : [])));
  if (who.userId) userIds.add(who.userId);
  return { aids: results.map((r) => r.aid), emails: [...emails], phones: [...phones], userIds: [...userIds] };
}

const list = (values: string[]) => (values.length ? values : [""]);
const marks = (values: string[]) =>
  list(values)
    .map(() => "?")
    .join(", ");

/** Every row about the shopper, table by table (events with their data parsed). */
export async function exportRows(db: D1Database, site: number, who: Identity) {
  const { aids, emails, phones } = who;
  const keys = personKeys(who);
  const [shoppers, carts, events, orders, sequences, messages, suppressed, refs, consents, textsStopped, adConsents] = await db.batch([
    db.prepare(`SELECT * FROM shoppers WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db.prepare(`SELECT * FROM carts WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db
      .prepare(`SELECT id, aid, type, at, client_at, data FROM events WHERE site_id = ? AND aid IN (${marks(aids)}) ORDER BY at`)
      .bind(site, ...list(aids)),
    db.prepare(`SELECT * FROM orders WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db.prepare(`SELECT * FROM sequences WHERE site_id = ? AND lower(email) IN (${marks(keys)})`).bind(site, ...list(keys)),
    db.prepare(`SELECT * FROM messages WHERE site_id = ? AND lower(email) IN (${marks(keys)})`).bind(site, ...list(keys)),
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
    db.prepare(`SELECT phone, at, why FROM sms_suppressions WHERE site_id = ? AND phone IN (${marks(phones)})`).bind(site, ...list(phones)),
    db.prepare(`SELECT person, phone, ads, at FROM ad_consents WHERE site_id = ? AND person IN (${marks(keys)})`).bind(site, ...list(keys)),
  ]);
  // Carts as the shopper had them: the stored changes rebuilt, and lines read whatever form they were stored in.
  const cartRows = (carts?.results ?? []) as { aid: string; lines_of: string | null; currency: string; lines: string }[];
  return {
    shoppers: shoppers?.results,
    carts: cartRows.map((c) => ({ ...c, lines: JSON.stringify(readLines(c.lines)) })),
    events: asSent((events?.results ?? []) as Parameters<typeof asSent>[0], cartRows),
    orders: orders?.results,
    sequences: sequences?.results,
    messages: messages?.results,
    suppressed: suppressed?.results,
    platformRefs: refs?.results,
    smsConsents: consents?.results,
    smsSuppressed: textsStopped?.results,
    adConsents: adConsents?.results,
  };
}

/**
 * Removes every row about the shopper in one batch, but the suppression (the opt-out must
 * outlive the erasure) and the shop's orders (only their tie to the browser goes).
 */
export async function eraseRows(db: D1Database, site: number, who: Identity) {
  const { aids, emails, phones } = who;
  const keys = personKeys(who);
  // The figures forget what the stats would no longer find: the browsers' funnel and the person's sequences.
  const rollups = erasureRollups(db, site, aids, keys, await orderDaysOf(db, site, aids));
  const results = await db.batch([
    ...rollups.before,
    db.prepare(`DELETE FROM events WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db.prepare(`DELETE FROM carts WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db.prepare(`DELETE FROM shoppers WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db.prepare(`DELETE FROM platform_refs WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    // The shop keeps its own orders; ours only tie them to this shopper's browsers.
    db.prepare(`UPDATE orders SET aid = NULL WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    db.prepare(`DELETE FROM messages WHERE site_id = ? AND lower(email) IN (${marks(keys)})`).bind(site, ...list(keys)),
    db.prepare(`DELETE FROM sequences WHERE site_id = ? AND lower(email) IN (${marks(keys)})`).bind(site, ...list(keys)),
    db.prepare(`DELETE FROM links WHERE site_id = ? AND lower(email) IN (${marks(keys)})`).bind(site, ...list(keys)),
    db.prepare(`DELETE FROM dev_outbox WHERE site_id = ? AND lower("to") IN (${marks(emails)})`).bind(site, ...list(emails)),
    // The soft bounces counted for the address go with it; a suppression they made stays (issue 22).
    db.prepare(`DELETE FROM mail_soft_bounces WHERE site_id = ? AND email IN (${marks(emails)})`).bind(site, ...list(emails)),
    // The number and its consent go with the browser; a STOP or a withdrawal stays (sms_suppressions).
    db.prepare(`DELETE FROM sms_consents WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
    // What the provider said of each text, then the record of the sends themselves, and the local SMS outbox.
    db
      .prepare(
        `DELETE FROM sms_statuses WHERE site_id = ? AND provider_id IN (SELECT provider_id FROM sms_sends WHERE site_id = ? AND "to" IN (${marks(phones)}))`,
      )
      .bind(site, site, ...list(phones)),
    db.prepare(`DELETE FROM sms_sends WHERE site_id = ? AND "to" IN (${marks(phones)})`).bind(site, ...list(phones)),
    db.prepare(`DELETE FROM dev_sms_outbox WHERE site_id = ? AND "to" IN (${marks(phones)})`).bind(site, ...list(phones)),
    // A yes to ads goes with the person: with no row, they are in no audience (docs/segments.md).
    db.prepare(`DELETE FROM ad_consents WHERE site_id = ? AND person IN (${marks(keys)})`).bind(site, ...list(keys)),
    ...rollups.after,
  ]);
  const [events, carts, shoppers, platformRefs, , messages, sequences] = results.slice(rollups.before.length).map((r) => r.meta.changes);
  return { shoppers, carts, events, sequences, messages, platformRefs };
}
