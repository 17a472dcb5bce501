// `sms_statuses`: each text's delivery status as the provider's callbacks report it.

/** A text's latest status, by rank. */
export interface SmsStatusRow {
  provider_id: string;
  site_id: number;
  status: string;
  error_code: number | null;
  at: number;
}

/**
 * Stores a reported status unless one of a higher or equal rank is stored already: callbacks come
 * in any order and more than once, and the answer must not depend on which came last.
 *
 * @example
 * await recordSmsStatus(env.DB, { providerId: "SM…", site: 1, status: "delivered", rank: 70, errorCode: null }, Date.now());
 */
export const recordSmsStatus = (
  db: D1Database,
  s: { providerId: string; site: number; status: string; rank: number; errorCode: number | null },
  at: number,
) =>
  db
    .prepare(
      `INSERT INTO sms_statuses (provider_id, site_id, status, rank, error_code, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
       ON CONFLICT (provider_id) DO UPDATE SET status = excluded.status, rank = excluded.rank, error_code = excluded.error_code, at = excluded.at
       WHERE excluded.rank > sms_statuses.rank`,
    )
    .bind(s.providerId, s.site, s.status, s.rank, s.errorCode, at)
    .run();

/**
 * The latest status the provider reported for a message, by the provider's id.
 *
 * @example
 * const s = await smsStatusOf(env.DB, providerId); // { status: "delivered", error_code: null, … } | null
 */
export const smsStatusOf = (db: D1Database, providerId: string) =>
  db
    .prepare("SELECT provider_id, site_id, status, error_code, at FROM sms_statuses WHERE provider_id = ?1")
    .bind(providerId)
    .first<SmsStatusRow>();

/**
 * The latest status of a text by our own id (`Sms.id`), for the sequence and the stats, which know
 * texts by that id.
 *
 * @example
 * const s = await smsStatusOfText(env.DB, sms.id); // null until the provider has said something
 */
export const smsStatusOfText = (db: D1Database, id: string) =>
  db
    .prepare(
      `SELECT st.provider_id, st.site_id, st.status, st.error_code, st.at FROM sms_sends se
       JOIN sms_statuses st ON st.provider_id = se.provider_id WHERE se.id = ?1`,
    )
    .bind(id)
    .first<SmsStatusRow>();
