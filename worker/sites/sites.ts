import { allSiteRows, type SiteRow, siteRowById, siteRowByKey, sitesChangedSince } from "../db/sites";
import { SiteDirectory } from "./directory";
import { readSettings, type SiteSettings } from "./settings";

export interface Site {
  id: number;
  key: string;
  name: string;
  /** Exact origins (`https://shop.example`) or one-level wildcards (`https://*.shop.example`). */
  origins: string[];
  settings: SiteSettings;
}

// Every request from a shop's pages needs its site; reading D1 each time would cost more than the
// rest of the request. Each isolate keeps sites in memory (at most SITES_KEPT, least recently used
// go first) and asks D1 every CHECK_EVERY_MS which sites changed since it last looked (one indexed
// read for all of them: the `version` of migration 0024), so a change made anywhere is served at
// most that long; the isolate that made it forgets it at once. 1.9 KB a site in memory (measured
// with default settings): 25,000 sites are under 50 MB.
const SITES_KEPT = 25_000;
const CHECK_EVERY_MS = 2_000;
/** More changes than this between two checks and everything is read again. */
const CHANGES_LISTED = 100;

const directory = new SiteDirectory<Site, D1Database>(
  {
    byKey: async (db, key) => {
      const row = await siteRowByKey(db, key);
      return row && toSite(row);
    },
    changedSince: async (db, version) => {
      const rows = await sitesChangedSince(db, version ?? -1, CHANGES_LISTED + 1);
      return {
        keys: version === undefined || rows.length > CHANGES_LISTED ? "many" : rows.map((r) => r.key),
        version: rows[0]?.version ?? version ?? 0,
      };
    },
  },
  { bound: SITES_KEPT, missingBound: 1_000, checkEveryMs: CHECK_EVERY_MS, foundForMs: 600_000, missingForMs: 5_000, now: () => Date.now() },
);

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
  return directory.get(db, key);
}

/** The site with this id, uncached: for background work that must see the latest settings. */
export async function siteById(db: D1Database, id: number): Promise<Site | null> {
  const row = await siteRowById(db, id);
  return row && toSite(row);
}

/** Every site, with its settings (the retention job walks them). */
export const allSites = async (db: D1Database): Promise<Site[]> => (await allSiteRows(db)).map(toSite);

/** Forgets one cached site, after this isolate changed it (others see the change within CHECK_EVERY_MS). */
export const forgetSite = (key: string): void => directory.forget(key);

/** Forgets every cached site (tests that write sites straight into D1). */
export const forgetSites = (): void => directory.clear();

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
