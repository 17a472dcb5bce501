// The recovery ledger: every statement on `sequences`, `messages` and `suppressions`. The person's
// object writes sequences and claims; the mail path marks what it sent; the link path records a
// click; the rest only read. Each write is idempotent, so a retried effect changes nothing twice.
import type { Claim, PaidOrder, Sequence, StopReason } from "../recovery/person";
import { withSequenceRollups } from "./rollups";
import { oneRow, row, rowSql } from "./rows";

export type MessageStatus = "queued" | "sent" | "cancelled" | "failed";

/** A `messages` row as the merchant API and the dev outbox list it. */
export interface MessageRow {
  id: string;
  sequence_id: string;
  email: string;
  step: number;
  kind: "recovery" | "merchant_notice" | "test";
  template: string | null;
  status: MessageStatus;
  due_at: number;
  queued_at: number;
  sent_at: number | null;
  clicked_at: number | null;
  cancel_reason: string | null;
  error: string | null;
  attempts: number;
  subject: string | null;
}

// A sequence's writes as row statements (rows.ts): one write runs them over one row, the stats
// bench's seed over a batch of sequences, the same SQL.
const START = rowSql(
  `INSERT OR IGNORE INTO sequences (id, site_id, email, aid, abandoned_at, started_at, value, currency, reason, status, holdout, stop_reason)
   SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 FROM ROWS`,
);
const CREDIT = rowSql(
  `UPDATE sequences SET recovered_order_id = ?1, recovered_value = ?2, recovered_at = ?3 FROM ROWS WHERE sequences.id = ?4 AND recovered_order_id IS NULL
     AND NOT EXISTS (SELECT 1 FROM sequences s WHERE s.site_id = sequences.site_id AND s.recovered_order_id = ?1)`,
);
const CLAIM = rowSql(
  `INSERT OR IGNORE INTO messages (id, sequence_id, site_id, email, step, kind, template, status, due_at, queued_at, abandoned_at, channel, phone)
   SELECT ?1, ?2, ?3, ?4, ?5, 'recovery', ?6, 'queued', ?7, ?8, ?9, ?10, ?11 FROM ROWS`,
);
const SENT = rowSql(
  `UPDATE messages SET status = 'sent', sent_at = ?1, provider_id = ?2, subject = ?3, language = ?4, error = NULL FROM ROWS
   WHERE messages.id = ?5 AND status = 'queued'`,
);
const CLICK = rowSql("UPDATE messages SET clicked_at = ?1 FROM ROWS WHERE messages.id = ?2 AND clicked_at IS NULL");

/**
 * The row of `startSequence` (rows.ts), for many sequences in one statement.
 *
 * @example
 * await db.batch(withSequencesStatements(db, ids, mergedStatements(db, ids.map((id, i) => [startRow(db, site, emails[i], sequences[i], at)]))));
 */
export const startRow = (site: number, email: string, s: Sequence, at: number) =>
  // An excluded cart keeps why in stop_reason: the stats count it by rule (rollups.ts).
  row(
    START,
    s.id,
    site,
    email,
    s.aid,
    s.basedOn,
    at,
    s.value,
    s.currency,
    s.reason,
    s.status,
    s.status === "holdout" ? 1 : 0,
    s.excluded ?? null,
  );

/** The statement of `startSequence`, for a batch that adds its rollups (rollups.ts withSequenceStatements). */
export const startStatement = (db: D1Database, site: number, email: string, s: Sequence, at: number) =>
  oneRow(db, startRow(site, email, s, at));

/** A new sequence (a holdout one too: it is the baseline of the lift). */
export const startSequence = (db: D1Database, site: number, email: string, s: Sequence, at: number) =>
  withSequenceRollups(db, { sequence: s.id }, startStatement(db, site, email, s, at));

export const stopSequence = (db: D1Database, id: string, why: StopReason, at: number) =>
  db
    .prepare("UPDATE sequences SET status = 'stopped', stop_reason = ?, stopped_at = ? WHERE id = ? AND status IN ('active', 'completed')")
    .bind(why, at, id)
    .run();

export const completeSequence = (db: D1Database, id: string) =>
  db.prepare("UPDATE sequences SET status = 'completed' WHERE id = ? AND status = 'active'").bind(id).run();

/**
 * Credits an order to a sequence, once: true when this call did it. An order already credited to
 * another sequence of the site is not credited again: a platform's order can reach two persons
 * (the order's email and the browser's, when they differ), and the revenue must count once.
 */
export async function creditSequence(db: D1Database, id: string, order: PaidOrder): Promise<boolean> {
  const result = await withSequenceRollups(db, { sequence: id }, creditStatement(db, id, order));
  return result.meta.changes > 0;
}

/** The row of `creditSequence` (see `startRow`). */
export const creditRow = (id: string, order: PaidOrder) => row(CREDIT, order.orderId, order.total, order.at, id);

/** The statement of `creditSequence`. */
export const creditStatement = (db: D1Database, id: string, order: PaidOrder) => oneRow(db, creditRow(id, order));

/**
 * One sequence by its primary key, or null (the stats bench's anchor read).
 *
 * @example
 * await sequenceRow(env.DB, "seq-bench-7");
 */
export const sequenceRow = (db: D1Database, id: string) => db.prepare("SELECT * FROM sequences WHERE id = ?").bind(id).first();

/** A claimed step: its row is what the mail consumer checks before anything else. */
export const claimMessage = (db: D1Database, site: number, email: string, c: Claim, at: number) =>
  withSequenceRollups(db, { sequence: c.sequenceId }, claimStatement(db, site, email, c, at));

/** The row of `claimMessage` (see `startRow`). */
export const claimRow = (site: number, email: string, c: Claim, at: number) =>
  row(CLAIM, c.id, c.sequenceId, site, email, c.step, c.template, c.dueAt, at, c.abandonedAt, c.channel ?? "email", c.phone ?? null);

/** The statement of `claimMessage`. */
export const claimStatement = (db: D1Database, site: number, email: string, c: Claim, at: number) =>
  oneRow(db, claimRow(site, email, c, at));

/**
 * Where each of these messages stands; a claimed id with no row is null.
 *
 * @example
 * await claimStates(env.DB, ["seq-0", "seq-1"]); // { "seq-0": "sent", "seq-1": null }
 */
export async function claimStates(db: D1Database, ids: string[]): Promise<Record<string, MessageStatus | null>> {
  const { results } = await db
    .prepare("SELECT id, status FROM messages WHERE id IN (SELECT value FROM json_each(?))")
    .bind(JSON.stringify(ids))
    .all<{ id: string; status: MessageStatus }>();
  const found = new Map(results.map((r) => [r.id, r.status]));
  return Object.fromEntries(ids.map((id) => [id, found.get(id) ?? null]));
}

/** Where a message stands, or null when there is no such message. */
export const messageState = (db: D1Database, id: string) =>
  db
    .prepare("SELECT status, sequence_id, channel FROM messages WHERE id = ?")
    .bind(id)
    .first<{ status: MessageStatus; sequence_id: string; channel: "email" | "sms" }>();

/** The template (the reason's message) a message was written with, or null. */
export const messageTemplate = (db: D1Database, id: string) =>
  db.prepare("SELECT template FROM messages WHERE id = ?").bind(id).first<string | null>("template");

/** A message the provider took, with the language it was written in (its link pages speak it). */
export const markSent = (db: D1Database, id: string, at: number, providerId: string | undefined, subject: string, language?: string) =>
  withSequenceRollups(db, { message: id }, sentStatement(db, id, at, providerId, subject, language));

/** The row of `markSent` (see `startRow`). */
export const sentRow = (id: string, at: number, providerId: string | undefined, subject: string, language?: string) =>
  row(SENT, at, providerId ?? null, subject, language ?? null, id);

/** The statement of `markSent`. */
export const sentStatement = (db: D1Database, id: string, at: number, providerId: string | undefined, subject: string, language?: string) =>
  oneRow(db, sentRow(id, at, providerId, subject, language));

/**
 * The language a message was written in, or null (sent before languages, or not sent).
 *
 * @example
 * await messageLanguage(env.DB, link.message_id); // "es"
 */
/** What a recovery link's message was: its reason's template and its step (what it offered). */
export const messageStep = (db: D1Database, id: string) =>
  db.prepare("SELECT template, step FROM messages WHERE id = ?").bind(id).first<{ template: string | null; step: number }>();

export const messageLanguage = (db: D1Database, id: string | null) =>
  db.prepare("SELECT language FROM messages WHERE id = ?").bind(id).first<string | null>("language");

/**
 * Takes the right to hand a queued message (an email or a text) to the provider, until `until`:
 * true for one caller at a time, so two deliveries of one job running at once make one call. A holder that died leaves it to expire; one that failed gives it back (`releaseSend`).
 *
 * @example
 * if (!(await leaseSend(env.DB, id, Date.now(), Date.now() + 60_000))) throw new Error("another delivery is sending it");
 */
export async function leaseSend(db: D1Database, id: string, now: number, until: number): Promise<boolean> {
  const result = await db
    .prepare("UPDATE messages SET sending_until = ?3 WHERE id = ?1 AND status = 'queued' AND coalesce(sending_until, 0) < ?2")
    .bind(id, now, until)
    .run();
  return result.meta.changes > 0;
}

/** Gives a lease back after a failed send, so the retry need not wait for it to expire. */
export const releaseSend = (db: D1Database, id: string) =>
  db.prepare("UPDATE messages SET sending_until = NULL WHERE id = ?").bind(id).run();

export const markCancelled = (db: D1Database, id: string, why: string) =>
  db.prepare("UPDATE messages SET status = 'cancelled', cancel_reason = ? WHERE id = ? AND status = 'queued'").bind(why, id).run();

export const markFailed = (db: D1Database, id: string, error: string) =>
  db.prepare("UPDATE messages SET status = 'failed', error = ? WHERE id = ? AND status = 'queued'").bind(error, id).run();

/** A send that failed and will be retried. */
export const noteAttempt = (db: D1Database, id: string, error: string) =>
  db.prepare("UPDATE messages SET attempts = attempts + 1, error = ? WHERE id = ?").bind(error, id).run();

/** A person's click on a message's link: true the first time only. */
export async function recordClick(db: D1Database, id: string | null, at: number): Promise<boolean> {
  const result = await withSequenceRollups(db, { message: id }, clickStatement(db, id, at));
  return result.meta.changes > 0;
}

/** The row of `recordClick` (see `startRow`). */
export const clickRow = (id: string | null, at: number) => row(CLICK, at, id);

/** The statement of `recordClick`. */
export const clickStatement = (db: D1Database, id: string | null, at: number) => oneRow(db, clickRow(id, at));

/** Recovery messages a site queued since `since`, all addresses together (the site's daily cap). */
export const recoverySentSince = async (db: D1Database, site: number, since: number): Promise<number> =>
  (await db
    .prepare("SELECT count(*) AS n FROM messages WHERE site_id = ? AND kind = 'recovery' AND queued_at > ?")
    .bind(site, since)
    .first<number>("n")) ?? 0;

/** Steps claimed between `from` and `to` and still not sent: lost between the claim and the queue. */
export const stuckMessages = (db: D1Database, from: number, to: number, limit: number) =>
  db
    .prepare(
      `SELECT id, site_id, email, channel FROM messages WHERE kind = 'recovery' AND status = 'queued' AND sent_at IS NULL AND queued_at < ?1 AND queued_at > ?2 LIMIT ?3`,
    )
    .bind(to, from, limit)
    .all<{ id: string; site_id: number; email: string; channel: "email" | "sms" }>()
    .then((r) => r.results);

/** A site's latest messages, newest first, optionally of one status. */
export const recentMessages = (db: D1Database, site: number, status?: MessageStatus) =>
  db
    .prepare(
      `SELECT id, sequence_id, email, step, kind, template, status, due_at, queued_at, sent_at, clicked_at, cancel_reason, error, attempts, subject
       FROM messages WHERE site_id = ?1 AND (?2 IS NULL OR status = ?2) ORDER BY queued_at DESC LIMIT 100`,
    )
    .bind(site, status ?? null)
    .all<MessageRow>()
    .then((r) => r.results);

/** Messages that could not be delivered, on every site (the dev outbox shows them). */
export const failedMessages = (db: D1Database) =>
  db
    .prepare("SELECT id, email, status, error, attempts, queued_at FROM messages WHERE status = 'failed' ORDER BY queued_at DESC LIMIT 50")
    .all<Pick<MessageRow, "id" | "email" | "status" | "error" | "attempts" | "queued_at">>()
    .then((r) => r.results);

export const isSuppressed = async (db: D1Database, site: number, email: string): Promise<boolean> =>
  (await db.prepare("SELECT 1 AS yes FROM suppressions WHERE site_id = ? AND email = ?").bind(site, email).first()) !== null;

/** Why an address is suppressed: the shopper's link or one-click unsubscribe, the merchant, or the
 * mail provider's hard bounce (or three soft ones) or spam complaint (worker/mail/feedback/). */
export type SuppressionSource = "link" | "one_click" | "merchant" | "bounce" | "complaint";

/** Never forgotten: the opt-out outlives every erasure. The first source stays. */
export const suppress = (db: D1Database, site: number, email: string, source: SuppressionSource, at: number) =>
  db
    .prepare("INSERT OR IGNORE INTO suppressions (site_id, email, created_at, source) VALUES (?, ?, ?, ?)")
    .bind(site, email, at, source)
    .run();

/**
 * Whether what a recovery link is about was bought: on that browser, or the sequence stopped for
 * a purchase, or an order was credited to it (a shopper who came back elsewhere first, then bought).
 */
export async function linkBought(db: D1Database, site: number, aid: string | null, sequenceId: string | null): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT (SELECT status FROM carts WHERE site_id = ?1 AND aid = ?2) AS cart,
              (SELECT stop_reason FROM sequences WHERE id = ?3) AS stop,
              (SELECT recovered_order_id FROM sequences WHERE id = ?3) AS recovered`,
    )
    .bind(site, aid, sequenceId)
    .first<{ cart: string | null; stop: string | null; recovered: string | null }>();
  return row?.cart === "purchased" || row?.stop === "purchased" || Boolean(row?.recovered);
}
