// `sms_sends`: which provider message each text became. A row is claimed before the provider is
// called and completed with the provider's id after, so a redelivered job can tell "sent, here is
// the id" from "an attempt may have reached the provider" from "never tried".

/** A claimed text; `provider_id` is null until the provider's answer was recorded. */
export interface SmsSendRow {
  id: string;
  site_id: number;
  to: string;
  started_at: number;
  provider_id: string | null;
}

/**
 * The send of a text by its id, if one was ever claimed.
 *
 * @example
 * const row = await smsSendOf(env.DB, sms.id);
 * if (row?.provider_id) return { providerId: row.provider_id }; // sent before: never again
 */
export const smsSendOf = (db: D1Database, id: string) =>
  db.prepare(`SELECT id, site_id, "to", started_at, provider_id FROM sms_sends WHERE id = ?1`).bind(id).first<SmsSendRow>();

/**
 * Claims a text for an attempt; false when it was claimed before (by an earlier or a concurrent
 * attempt), which must then find out what became of that one instead of sending.
 *
 * @example
 * if (await claimSmsSend(env.DB, { id, site, to }, Date.now())) await create();
 */
export const claimSmsSend = async (db: D1Database, sms: { id: string; site: number; to: string }, at: number): Promise<boolean> =>
  (
    await db
      .prepare(`INSERT OR IGNORE INTO sms_sends (id, site_id, "to", started_at) VALUES (?1, ?2, ?3, ?4)`)
      .bind(sms.id, sms.site, sms.to, at)
      .run()
  ).meta.changes === 1;

/**
 * Takes over a claim whose attempt is known to have created nothing and is no longer running:
 * only the attempt that still sees the old claim wins, so two cannot take it over together.
 *
 * @example
 * if (await reclaimSmsSend(env.DB, id, row.started_at, Date.now())) await create();
 */
export const reclaimSmsSend = async (db: D1Database, id: string, was: number, at: number): Promise<boolean> =>
  (
    await db
      .prepare("UPDATE sms_sends SET started_at = ?3 WHERE id = ?1 AND started_at = ?2 AND provider_id IS NULL")
      .bind(id, was, at)
      .run()
  ).meta.changes === 1;

/**
 * Gives a claim back when the provider is known not to have created a message (a 429, a refusal),
 * so that the next attempt sends without waiting for the claim to go stale.
 *
 * @example
 * await releaseSmsSend(env.DB, id, claimedAt);
 */
export const releaseSmsSend = (db: D1Database, id: string, claimedAt: number) =>
  db.prepare("DELETE FROM sms_sends WHERE id = ?1 AND started_at = ?2 AND provider_id IS NULL").bind(id, claimedAt).run();

/**
 * Records the provider's id of a text, once: the first id recorded stays.
 *
 * @example
 * await recordSmsSent(env.DB, sms.id, "SM0123…", Date.now());
 */
export const recordSmsSent = (db: D1Database, id: string, providerId: string, at: number) =>
  db.prepare("UPDATE sms_sends SET provider_id = ?2, sent_at = ?3 WHERE id = ?1 AND provider_id IS NULL").bind(id, providerId, at).run();

/**
 * The text a provider message was recorded for, if any: a message already claimed by one text is
 * never taken by another that happens to read the same.
 *
 * @example
 * if ((await smsTextOf(env.DB, "SM…")) !== sms.id) continue; // someone else's message
 */
export const smsTextOf = (db: D1Database, providerId: string) =>
  db.prepare("SELECT id FROM sms_sends WHERE provider_id = ?1").bind(providerId).first<string>("id");
