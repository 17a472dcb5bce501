// The `sites` table: a shop that uses Cartback, its public key, its secret, its origins and settings.
import { readSettings, type SiteSettings } from "../sites/settings";

export interface Site {
  id: number;
  key: string;
  name: string;
  /** Exact origins (`https://shop.example`) or one-level wildcards (`https://*.shop.example`). */
  origins: string[];
  settings: SiteSettings;
}

interface SiteRow {
  id: number;
  key: string;
  name: string;
  origins: string;
  settings: string;
}

// Every ingest request needs its site; reading D1 each time would cost more than the rest of the
// request. Sites change rarely, so each isolate keeps them briefly; unknown keys are remembered
// for less time so a site created a moment ago starts working quickly.
const FOUND_FOR_MS = 60_000;
const MISSING_FOR_MS = 5_000;
const cache = new Map<string, { site: Site | null; until: number }>();

/**
 * The site with this public key, or null.
 *
 * @example
 * const site = await findSite(env.DB, "pk_demo_local");
 */
export async function findSite(db: D1Database, key: string): Promise<Site | null> {
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.site;
  const row = await db.prepare("SELECT id, key, name, origins, settings FROM sites WHERE key = ?").bind(key).first<SiteRow>();
  const site = row && toSite(row);
  if (cache.size > 10_000) cache.clear();
  cache.set(key, { site, until: Date.now() + (site ? FOUND_FOR_MS : MISSING_FOR_MS) });
  return site;
}

const toSite = (row: SiteRow): Site => ({
  id: row.id,
  key: row.key,
  name: row.name,
  origins: JSON.parse(row.origins) as string[],
  settings: readSettings(row.settings),
});

/** The site with this id, uncached: for background work that must see the latest settings. */
export async function siteById(db: D1Database, id: number): Promise<Site | null> {
  const row = await db.prepare("SELECT id, key, name, origins, settings FROM sites WHERE id = ?").bind(id).first<SiteRow>();
  return row && toSite(row);
}

/** The site's secret (never cached, never sent anywhere). */
export const secretOf = (db: D1Database, site: Site) =>
  db.prepare("SELECT secret FROM sites WHERE id = ?").bind(site.id).first<string>("secret");

/** Forgets cached sites, after a change to the sites table. */
export const forgetSites = (): void => cache.clear();

/** A site's stored settings as written (defaults not filled in), for a change to merge into. */
export const storedSettings = async (db: D1Database, site: number): Promise<Record<string, unknown>> =>
  JSON.parse((await db.prepare("SELECT settings FROM sites WHERE id = ?").bind(site).first<string>("settings")) ?? "{}");

export async function saveSettings(db: D1Database, site: number, settings: Record<string, unknown>): Promise<void> {
  await db.prepare("UPDATE sites SET settings = ? WHERE id = ?").bind(JSON.stringify(settings), site).run();
  forgetSites();
}

export async function saveOrigins(db: D1Database, site: number, origins: string[]): Promise<void> {
  await db.prepare("UPDATE sites SET origins = ? WHERE id = ?").bind(JSON.stringify(origins), site).run();
  forgetSites();
}

/** Every site with its settings (the retention job walks them). */
export const allSites = (db: D1Database) =>
  db
    .prepare("SELECT id, settings FROM sites")
    .all<{ id: number; settings: string }>()
    .then((r) => r.results.map((row) => ({ id: row.id, settings: readSettings(row.settings) })));
