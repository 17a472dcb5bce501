// The `dashboard_sessions` table: which signed dashboard cookies are still live (http/auth.ts).
// Rows are keyed by the SHA-256 of the cookie's session id, never the id itself.

/**
 * Records a new session until `expiresAt`, and drops the site's sessions that have expired (a
 * merchant signs in rarely: this keeps the table to the live ones without a job of its own).
 *
 * @example
 * await openSession(env.DB, site.id, await sha256Hex(sid), Date.now(), Date.now() + 12 * 3600_000);
 */
export const openSession = (db: D1Database, site: number, id: string, now: number, expiresAt: number) =>
  db.batch([
    db.prepare("DELETE FROM dashboard_sessions WHERE site_id = ? AND expires_at < ?").bind(site, now),
    db.prepare("INSERT INTO dashboard_sessions (id, site_id, created_at, expires_at) VALUES (?, ?, ?, ?)").bind(id, site, now, expiresAt),
  ]);

/**
 * Whether the session is live: recorded for this site, not expired, not ended.
 *
 * @example
 * if (!(await sessionIsLive(env.DB, site.id, idHash, Date.now()))) return signedOut(c);
 */
export const sessionIsLive = async (db: D1Database, site: number, id: string, now: number): Promise<boolean> =>
  (await liveSessionStatement(db, site, id, now).first()) !== null;

/**
 * The statement of `sessionIsLive` (a row when the session is live), for a batch with the site's secret.
 *
 * @example
 * const [secret, live] = await env.DB.batch([secretStatement(env.DB, site), liveSessionStatement(env.DB, site.id, idHash, Date.now())]);
 */
export const liveSessionStatement = (db: D1Database, site: number, id: string, now: number) =>
  db.prepare("SELECT 1 AS live FROM dashboard_sessions WHERE id = ? AND site_id = ? AND expires_at > ?").bind(id, site, now);

/**
 * Ends one session: every copy of its cookie stops working.
 *
 * @example
 * await closeSession(env.DB, idHash);
 */
export const closeSession = (db: D1Database, id: string) => db.prepare("DELETE FROM dashboard_sessions WHERE id = ?").bind(id).run();
