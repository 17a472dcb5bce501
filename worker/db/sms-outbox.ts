// `dev_sms_outbox`: the local SMS provider's texts (`SMS_PROVIDER=outbox`), read at /dev/outbox.

/** A text as the local outbox keeps it. */
export interface OutboxSms {
  id: string;
  site_id: number;
  created_at: number;
  to: string;
  body: string;
}

/**
 * Keeps a text; its id is the idempotency key, so a resend is stored once.
 *
 * @example
 * await keepSms(env.DB, { id: "m_1", site_id: 1, to: "+34600111222", body: "…" }, Date.now());
 */
export const keepSms = (db: D1Database, sms: Omit<OutboxSms, "created_at">, at: number) =>
  db
    .prepare(`INSERT OR IGNORE INTO dev_sms_outbox (id, site_id, created_at, "to", body) VALUES (?1, ?2, ?3, ?4, ?5)`)
    .bind(sms.id, sms.site_id, at, sms.to, sms.body)
    .run();

/**
 * The latest 200 texts, newest first.
 *
 * @example
 * const texts = await latestSms(env.DB);
 */
export const latestSms = (db: D1Database) =>
  db
    .prepare(`SELECT id, site_id, created_at, "to", body FROM dev_sms_outbox ORDER BY created_at DESC, id LIMIT 200`)
    .all<OutboxSms>()
    .then((r) => r.results);
