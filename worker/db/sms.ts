// SMS in the recovery sequence (issue 15): what the person's object and the text consumer read
// about numbers, and a text's own columns on `messages`. Consents are written with the batch that
// carries them (browsers.ts); the suppression list is `sms_suppressions` (suppressions.ts).
import { withSequenceRollups } from "./rollups";
import type { SuppressWhy } from "./suppressions";

/**
 * Why a site may no longer text a number, or null when it may.
 *
 * @example
 * await phoneSuppression(env.DB, site.id, "+34600111222"); // "stop", "withdrawn", "undeliverable" or null
 */
export const phoneSuppression = (db: D1Database, site: number, phone: string): Promise<SuppressWhy | null> =>
  db.prepare("SELECT why FROM sms_suppressions WHERE site_id = ?1 AND phone = ?2").bind(site, phone).first<SuppressWhy | null>("why");

/**
 * A browser's SMS consents, newest first: the number, when and where it was given.
 *
 * @example
 * await consentsOf(env.DB, site.id, aid); // [{ phone: "+34600111222", given_at, origin: "https://shop.example", event_id }]
 */
export const consentsOf = (db: D1Database, site: number, aid: string) =>
  db
    .prepare("SELECT phone, given_at, origin, event_id FROM sms_consents WHERE site_id = ?1 AND aid = ?2 ORDER BY given_at DESC")
    .bind(site, aid)
    .all<{ phone: string; given_at: number; origin: string | null; event_id: string }>()
    .then((r) => r.results);

/**
 * A text the provider took: its body is kept as the subject (what the dashboard lists), with the
 * language it was written in and the number it went to.
 *
 * @example
 * await markTextSent(env.DB, id, Date.now(), "SM123", body, "es", "+34600111222");
 */
export const markTextSent = (db: D1Database, id: string, at: number, providerId: string, body: string, language: string, phone: string) =>
  withSequenceRollups(
    db,
    { message: id },
    db
      .prepare(
        `UPDATE messages SET status = 'sent', sent_at = ?, provider_id = ?, subject = ?, language = ?, phone = ?, error = NULL
         WHERE id = ? AND status = 'queued'`,
      )
      .bind(at, providerId, body, language, phone, id),
  );

/** The person's (a phone-keyed one's) sequence rows follow them to the email that now covers them. */
export const moveSequences = (db: D1Database, ids: string[], email: string) =>
  db.prepare("UPDATE sequences SET email = ?1 WHERE id IN (SELECT value FROM json_each(?2))").bind(email, JSON.stringify(ids)).run();

/**
 * The channel a message went by (`email` for rows from before texts), or null for no such message.
 *
 * @example
 * await messageChannel(env.DB, link.message_id); // "sms"
 */
export const messageChannel = (db: D1Database, id: string) =>
  db.prepare("SELECT channel FROM messages WHERE id = ?").bind(id).first<"email" | "sms" | null>("channel");

/**
 * The words of a text, fixed by its first delivery: `body` is kept unless an earlier delivery kept
 * its own, and whichever was kept first is returned.
 *
 * @example
 * const words = await pinText(env.DB, id, () => render()); // the first delivery's, on every redelivery
 */
export async function pinText(db: D1Database, id: string, write: () => Promise<string>): Promise<string> {
  const kept = await db.prepare("SELECT text_body FROM messages WHERE id = ?").bind(id).first<string | null>("text_body");
  if (kept) return kept;
  const body = await write();
  return (
    (await db
      .prepare("UPDATE messages SET text_body = coalesce(text_body, ?2) WHERE id = ?1 RETURNING text_body")
      .bind(id, body)
      .first<string>("text_body")) ?? body
  );
}

/**
 * The emails of the browsers that consented with a number: the people a phone-keyed person's
 * orders are about too (the same shopper gave the number on one device and the email on another).
 *
 * @example
 * await emailsWithPhone(env.DB, site.id, "+34600111222"); // ["ana@example.com"]
 */
export const emailsWithPhone = (db: D1Database, site: number, phone: string): Promise<string[]> =>
  db
    .prepare(
      `SELECT DISTINCT s.email FROM sms_consents c JOIN shoppers s ON s.site_id = c.site_id AND s.aid = c.aid
       WHERE c.site_id = ?1 AND c.phone = ?2 AND s.email IS NOT NULL`,
    )
    .bind(site, phone)
    .all<{ email: string }>()
    .then((r) => r.results.map((row) => row.email));

/**
 * The number a browser that gave no email consented with (its latest consent not withdrawn since),
 * or null: the key of the person an order reported for that browser is about (recovery/orders.ts).
 *
 * @example
 * await phoneOnlyBrowser(env.DB, site.id, aid); // "+34600111222"
 */
export const phoneOnlyBrowser = (db: D1Database, site: number, aid: string) =>
  db
    .prepare(
      `SELECT k.phone FROM sms_consents k JOIN shoppers s ON s.site_id = k.site_id AND s.aid = k.aid
       WHERE k.site_id = ?1 AND k.aid = ?2 AND s.email IS NULL AND k.given_at > coalesce(s.sms_withdrawn_at, 0)
       ORDER BY k.given_at DESC LIMIT 1`,
    )
    .bind(site, aid)
    .first<string | null>("phone");
