// What the mail providers say back (migration 0025): each site's feedback keys, the receipts of
// feedback deliveries, a message's outcome (with its rollups), soft-bounce counts and the site's
// paused flag. worker/mail/feedback/ decides; these functions are its only SQL.
import { DAY_MS } from "../../protocol/limits";
import type { Outcome } from "../mail/feedback/outcome";
import { withSequenceRollups } from "./rollups";

/** A site's feedback keys, as stored. */
export interface FeedbackKeys {
  resend_secret: string | null;
  postmark_user: string | null;
  postmark_password: string | null;
  /** JSON array of SNS topic ARNs. */
  ses_topics: string | null;
}

/**
 * The keys a site's feedback is checked with, or null when none was ever set.
 *
 * @example
 * const keys = await feedbackKeys(env.DB, site.id); // { resend_secret: "whsec_…", … } | null
 */
export const feedbackKeys = (db: D1Database, site: number) =>
  db
    .prepare("SELECT resend_secret, postmark_user, postmark_password, ses_topics FROM mail_feedback_keys WHERE site_id = ?")
    .bind(site)
    .first<FeedbackKeys>();

/**
 * Sets some of a site's feedback keys; a field left undefined keeps what was stored.
 *
 * @example
 * await saveFeedbackKeys(env.DB, site.id, { resend_secret: "whsec_…" });
 */
export const saveFeedbackKeys = (db: D1Database, site: number, keys: Partial<FeedbackKeys>) =>
  db
    .prepare(
      `INSERT INTO mail_feedback_keys (site_id, resend_secret, postmark_user, postmark_password, ses_topics) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (site_id) DO UPDATE SET resend_secret = coalesce(?2, resend_secret), postmark_user = coalesce(?3, postmark_user),
         postmark_password = coalesce(?4, postmark_password), ses_topics = coalesce(?5, ses_topics)`,
    )
    .bind(site, keys.resend_secret ?? null, keys.postmark_user ?? null, keys.postmark_password ?? null, keys.ses_topics ?? null)
    .run();

/**
 * What was taken before under this provider's event id: null (never), or the hash of its body.
 *
 * @example
 * const seen = await receiptOf(env.DB, "resend", svixId); // "ab12…" | null
 */
export const receiptOf = (db: D1Database, provider: string, eventId: string) =>
  db
    .prepare("SELECT body_hash FROM mail_feedback_receipts WHERE provider = ? AND event_id = ?")
    .bind(provider, eventId)
    .first<string>("body_hash");

/**
 * Records a feedback delivery as taken, after its effects (which are idempotent, so a delivery that
 * failed half-way and is redelivered finishes the work).
 *
 * @example
 * await keepReceipt(env.DB, "resend", svixId, site.id, hash, Date.now());
 */
export const keepReceipt = (db: D1Database, provider: string, eventId: string, site: number, hash: string, at: number) =>
  db
    .prepare("INSERT OR IGNORE INTO mail_feedback_receipts (provider, event_id, site_id, body_hash, at) VALUES (?, ?, ?, ?, ?)")
    .bind(provider, eventId, site, hash, at)
    .run();

/** The SQL rank of an outcome (worker/mail/feedback/outcome.ts OUTCOME_RANK). */
const RANK = (x: string) =>
  `CASE ${x} WHEN 'delayed' THEN 1 WHEN 'delivered' THEN 2 WHEN 'soft_bounce' THEN 3 WHEN 'hard_bounce' THEN 4 WHEN 'complained' THEN 5 ELSE 0 END`;

/**
 * A site's email message that feedback is about: ours by id when the provider gave it back, else
 * the latest email sent to that address on the site.
 *
 * @example
 * const m = await feedbackMessage(env.DB, site.id, "seq-1-0", "ana@example.com"); // { id, email } | null
 */
export async function feedbackMessage(db: D1Database, site: number, messageId: string | undefined, email: string) {
  if (messageId) {
    const own = await db
      .prepare("SELECT id, email FROM messages WHERE id = ? AND site_id = ? AND channel = 'email'")
      .bind(messageId, site)
      .first<{ id: string; email: string }>();
    if (own) return own;
  }
  return db
    .prepare(
      "SELECT id, email FROM messages WHERE site_id = ? AND email = ? AND channel = 'email' AND sent_at IS NOT NULL ORDER BY sent_at DESC LIMIT 1",
    )
    .bind(site, email)
    .first<{ id: string; email: string }>();
}

/**
 * Records an outcome on a message unless one of higher or equal rank is there, with its rollups:
 * true when it changed the message.
 *
 * @example
 * await recordOutcome(env.DB, message.id, "hard_bounce", Date.now());
 */
export async function recordOutcome(db: D1Database, id: string, outcome: Outcome, at: number): Promise<boolean> {
  const write = db
    .prepare(`UPDATE messages SET outcome = ?2, outcome_at = ?3 WHERE id = ?1 AND ${RANK("outcome")} < ${RANK("?2")}`)
    .bind(id, outcome, at);
  return (await withSequenceRollups(db, { message: id }, write)).meta.changes > 0;
}

/**
 * Counts a soft bounce of an address once (by the provider's event id) and answers how many it had
 * in the window ending `at`.
 *
 * @example
 * if ((await countSoftBounce(env.DB, site.id, email, eventId, Date.now(), 30 * DAY_MS)) >= 3) …
 */
export async function countSoftBounce(db: D1Database, site: number, email: string, eventId: string, at: number, windowMs: number) {
  const [, counted] = await db.batch([
    db.prepare("INSERT OR IGNORE INTO mail_soft_bounces (site_id, email, event_id, at) VALUES (?, ?, ?, ?)").bind(site, email, eventId, at),
    db.prepare("SELECT count(*) AS n FROM mail_soft_bounces WHERE site_id = ? AND email = ? AND at > ?").bind(site, email, at - windowMs),
  ]);
  return (counted?.results?.[0] as { n: number } | undefined)?.n ?? 0;
}

/** A site's paused flag: when sending paused itself and why, and when the merchant last resumed it. */
export interface PauseRow {
  paused_at: number | null;
  why: string | null;
  resumed_at: number | null;
}

/**
 * Whether (and why) a site's email sending is paused.
 *
 * @example
 * const pause = await pauseOf(env.DB, site.id); if (pause?.paused_at) …
 */
export const pauseOf = (db: D1Database, site: number) =>
  db.prepare("SELECT paused_at, why, resumed_at FROM mail_pauses WHERE site_id = ?").bind(site).first<PauseRow>();

/**
 * Pauses a site's email sending: true when this call did (it was not paused already).
 *
 * @example
 * if (await pauseSending(env.DB, site.id, Date.now(), "complaint rate 0.4 %")) notify();
 */
export async function pauseSending(db: D1Database, site: number, at: number, why: string): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO mail_pauses (site_id, paused_at, why) VALUES (?1, ?2, ?3)
       ON CONFLICT (site_id) DO UPDATE SET paused_at = ?2, why = ?3 WHERE paused_at IS NULL`,
    )
    .bind(site, at, why)
    .run();
  return result.meta.changes > 0;
}

/**
 * The merchant resumes sending: the flag is cleared and the time kept, so the complaints counted
 * before do not pause it again by themselves.
 *
 * @example
 * await resumeSending(env.DB, site.id, Date.now());
 */
export const resumeSending = (db: D1Database, site: number, at: number) =>
  db
    .prepare(
      `INSERT INTO mail_pauses (site_id, paused_at, why, resumed_at) VALUES (?1, NULL, NULL, ?2)
       ON CONFLICT (site_id) DO UPDATE SET paused_at = NULL, why = NULL, resumed_at = ?2`,
    )
    .bind(site, at)
    .run();

/**
 * The rollups the warnings are decided on, for days [fromDay, toDay): recovery emails sent, and
 * emails by outcome, per day (placed, like every message figure, on the day the cart went quiet).
 *
 * @example
 * const rows = await mailHealthRows(env.DB, site.id, today - 6, today + 1);
 */
export const mailHealthRows = (db: D1Database, site: number, fromDay: number, toDay: number) =>
  db
    .prepare(
      `SELECT day, 'sent' AS what, sum(v) AS n FROM rollups WHERE site_id = ?1 AND day >= ?2 AND day < ?3 AND kind = 'messages'
         AND json_extract(dim, '$[1]') = 'email' GROUP BY day
       UNION ALL
       SELECT day, json_extract(dim, '$[0]'), sum(n) FROM rollups WHERE site_id = ?1 AND day >= ?2 AND day < ?3 AND kind = 'outcome'
         GROUP BY day, json_extract(dim, '$[0]')`,
    )
    .bind(site, fromDay, toDay)
    .all<{ day: number; what: string; n: number }>()
    .then((r) => r.results);

/** Days since 1970-01-01 UTC of a time. */
export const dayOf = (at: number): number => Math.floor(at / DAY_MS);
