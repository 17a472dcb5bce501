// The local mailer's outbox (`MAIL_PROVIDER=outbox`), readable at /dev/outbox.

export interface OutboxMail {
  id: string;
  created_at: number;
  to: string;
  from: string;
  subject: string;
  headers: Record<string, string>;
  html: string;
  text: string;
}

type OutboxRow = Omit<OutboxMail, "headers"> & { headers: string };
const toMail = (row: OutboxRow): OutboxMail => ({ ...row, headers: JSON.parse(row.headers) as Record<string, string> });

/** Keeps a mail; the id is the idempotency key, so a resend is stored once. */
export const keepMail = (db: D1Database, site: number | undefined, mail: Omit<OutboxMail, "created_at">, at: number) =>
  db
    .prepare(
      `INSERT OR IGNORE INTO dev_outbox (id, site_id, created_at, "to", "from", subject, headers, html, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(mail.id, site ?? null, at, mail.to, mail.from, mail.subject, JSON.stringify(mail.headers), mail.html, mail.text)
    .run();

/** The latest 200 mails, newest first. */
export const latestMails = (db: D1Database) =>
  db
    .prepare(`SELECT id, created_at, "to", "from", subject, headers, html, text FROM dev_outbox ORDER BY created_at DESC LIMIT 200`)
    .all<OutboxRow>()
    .then((r) => r.results.map(toMail));

export const mailById = (db: D1Database, id: string) =>
  db
    .prepare(`SELECT id, created_at, "to", "from", subject, headers, html, text FROM dev_outbox WHERE id = ?`)
    .bind(id)
    .first<OutboxRow>()
    .then((row) => row && toMail(row));
