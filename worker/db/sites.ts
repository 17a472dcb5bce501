// The `sites` table: a shop that uses Cartback, its public key, its secret, its origins and
// settings, as stored (JSON text). worker/sites/sites.ts reads them into a `Site`.

export interface SiteRow {
  id: number;
  key: string;
  name: string;
  /** JSON array of origins. */
  origins: string;
  /** JSON object of the settings the site set. */
  settings: string;
}

export const siteRowByKey = (db: D1Database, key: string) =>
  db.prepare("SELECT id, key, name, origins, settings FROM sites WHERE key = ?").bind(key).first<SiteRow>();

export const siteRowById = (db: D1Database, id: number) =>
  db.prepare("SELECT id, key, name, origins, settings FROM sites WHERE id = ?").bind(id).first<SiteRow>();

/** Every site (the retention job walks them). */
export const allSiteRows = (db: D1Database) =>
  db
    .prepare("SELECT id, key, name, origins, settings FROM sites")
    .all<SiteRow>()
    .then((r) => r.results);

/** The site's secret (never cached, never sent anywhere). */
export const secretOf = (db: D1Database, site: { id: number }) => secretStatement(db, site).first<string>("secret");

/**
 * The statement of `secretOf`, for a batch that reads a merchant's data with it (one round trip).
 *
 * @example
 * const [secret, rows] = await env.DB.batch([secretStatement(env.DB, site), read]);
 */
export const secretStatement = (db: D1Database, site: { id: number }) => db.prepare("SELECT secret FROM sites WHERE id = ?").bind(site.id);

/** A site's stored settings as written (defaults not filled in), for a change to merge into. */
export const storedSettings = async (db: D1Database, site: number): Promise<Record<string, unknown>> =>
  JSON.parse((await db.prepare("SELECT settings FROM sites WHERE id = ?").bind(site).first<string>("settings")) ?? "{}");

/** Writes a site's settings, and its origins when given, in one statement: both or neither. */
export const saveSettings = (db: D1Database, site: number, settings: Record<string, unknown>, origins?: string[]) =>
  db
    .prepare("UPDATE sites SET settings = ?, origins = coalesce(?, origins) WHERE id = ?")
    .bind(JSON.stringify(settings), origins ? JSON.stringify(origins) : null, site)
    .run();

/**
 * The sites changed (or created) after `version`, newest first, at most `limit`: what a cache of
 * sites must forget. The version is moved by triggers (migration 0024) at every change.
 *
 * @example
 * const rows = await sitesChangedSince(env.DB, 41, 101); // [{ key: "pk_…", version: 43 }, …]
 */
export const sitesChangedSince = (db: D1Database, version: number, limit: number) =>
  db
    .prepare("SELECT key, version FROM sites WHERE version > ? ORDER BY version DESC LIMIT ?")
    .bind(version, limit)
    .all<{ key: string; version: number }>()
    .then((r) => r.results);
