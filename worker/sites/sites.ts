import { allSiteRows, type SiteRow, siteRowById, siteRowByKey } from "../db/sites";
import { readSettings, type SiteSettings } from "./settings";

export interface Site {
  id: number;
  key: string;
  name: string;
  /** Exact origins (`https://shop.example`) or one-level wildcards (`https://*.shop.example`). */
  origins: string[];
  settings: SiteSettings;
}

// Every ingest request needs its site; reading D1 each time would cost more than the rest of the
// request. Sites change rarely, so each isolate keeps them briefly; unknown keys are remembered
// for less time so a site created a moment ago starts working quickly.
const FOUND_FOR_MS = 60_000;
const MISSING_FOR_MS = 5_000;
const cache = new Map<string, { site: Site | null; until: number }>();

const toSite = (row: SiteRow): Site => ({
  id: row.id,
  key: row.key,
  name: row.name,
  origins: JSON.parse(row.origins) as string[],
  settings: readSettings(row.settings),
});

/**
 * The site with this public key, or null.
 *
 * @example
 * const site = await findSite(env.DB, "pk_demo_local");
 */
export async function findSite(db: D1Database, key: string): Promise<Site | null> {
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.site;
  const row = await siteRowByKey(db, key);
  const site = row && toSite(row);
  if (cache.size > 10_000) cache.clear();
  cache.set(key, { site, until: Date.now() + (site ? FOUND_FOR_MS : MISSING_FOR_MS) });
  return site;
}

/** The site with this id, uncached: for background work that must see the latest settings. */
export async function siteById(db: D1Database, id: number): Promise<Site | null> {
  const row = await siteRowById(db, id);
  return row && toSite(row);
}

/** Every site, with its settings (the retention job walks them). */
export const allSites = async (db: D1Database): Promise<Site[]> => (await allSiteRows(db)).map(toSite);

/** Forgets cached sites, after a change to the sites table. */
export const forgetSites = (): void => cache.clear();

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;

/**
 * Whether a request's Origin header is one of the site's allowed origins.
 *
 * @example
 * originAllowed(["https://*.shop.example"], "https://www.shop.example"); // true
 */
export function originAllowed(allowed: string[], origin: string | undefined): origin is string {
  if (!origin || !ORIGIN.test(origin)) return false;
  return allowed.some((pattern) => {
    if (pattern === origin) return true;
    const star = pattern.indexOf("://*.");
    if (star < 0) return false;
    // "https://*.shop.example" matches "https://www.shop.example", not "https://shop.example".
    const scheme = pattern.slice(0, star + 3);
    const suffix = pattern.slice(star + 4);
    return origin.startsWith(scheme) && origin.endsWith(suffix) && origin.length > scheme.length + suffix.length;
  });
}
