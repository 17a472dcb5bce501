// Who the merchant keeps out of recovery (issue 22): their own suppressions (`suppressions` with
// source 'merchant', `sms_suppressions` with why 'merchant') and their list of excluded shoppers
// (`excluded_shoppers`, migration 0027). A merchant lifts only what a merchant put there: an
// opt-out, a STOP or a bounce stays whatever the merchant sends.

/** A suppressed address or number as the merchant API lists it. */
export interface SuppressionRow {
  channel: "email" | "sms";
  /** The email, or the number in E.164. */
  value: string;
  /** Who put it there: merchant, link, one_click, bounce (email); merchant, stop, withdrawn, undeliverable (sms). */
  source: string;
  created_at: number;
}

const list = (values: string[]) => JSON.stringify(values);

/**
 * What the person's object needs to know at an alarm: who suppressed the address, if anyone, and
 * whether the merchant listed the person as excluded. One read.
 *
 * @example
 * await audienceFacts(env.DB, site.id, "ana@example.com"); // { source: "merchant", listed: false }
 */
export async function audienceFacts(db: D1Database, site: number, key: string): Promise<{ source: string | null; listed: boolean }> {
  const row = await db
    .prepare(
      `SELECT (SELECT source FROM suppressions WHERE site_id = ?1 AND email = ?2) AS source,
              EXISTS (SELECT 1 FROM excluded_shoppers WHERE site_id = ?1 AND key = ?2) AS listed`,
    )
    .bind(site, key)
    .first<{ source: string | null; listed: number }>();
  return { source: row?.source ?? null, listed: Boolean(row?.listed) };
}

/**
 * Suppresses addresses and numbers for the merchant, all in one batch (all or none land); one
 * already suppressed, by anyone, keeps its first source. Returns how many were new.
 *
 * @example
 * await suppressForMerchant(env.DB, site.id, ["ana@example.com"], ["+34600111222"], Date.now()); // { emails: 1, phones: 1 }
 */
export async function suppressForMerchant(db: D1Database, site: number, emails: string[], phones: string[], at: number) {
  const [e, p] = await db.batch([
    db
      .prepare(
        "INSERT OR IGNORE INTO suppressions (site_id, email, created_at, source) SELECT ?1, value, ?3, 'merchant' FROM json_each(?2)",
      )
      .bind(site, list(emails), at),
    db
      .prepare("INSERT OR IGNORE INTO sms_suppressions (site_id, phone, at, why) SELECT ?1, value, ?3, 'merchant' FROM json_each(?2)")
      .bind(site, list(phones), at),
  ]);
  return { emails: e?.meta.changes ?? 0, phones: p?.meta.changes ?? 0 };
}

/**
 * Lifts the merchant's own suppressions of these addresses and numbers, and says which of them
 * stay suppressed for another reason (the shopper's opt-out, a STOP, a bounce) with that reason.
 *
 * @example
 * await liftMerchantSuppressions(env.DB, site.id, ["ana@example.com"], []); // { removed: 1, kept: [] }
 */
export async function liftMerchantSuppressions(db: D1Database, site: number, emails: string[], phones: string[]) {
  const [e, p, keptEmails, keptPhones] = await db.batch<{ value: string; source: string }>([
    db
      .prepare("DELETE FROM suppressions WHERE site_id = ?1 AND source = 'merchant' AND email IN (SELECT value FROM json_each(?2))")
      .bind(site, list(emails)),
    db
      .prepare("DELETE FROM sms_suppressions WHERE site_id = ?1 AND why = 'merchant' AND phone IN (SELECT value FROM json_each(?2))")
      .bind(site, list(phones)),
    db
      .prepare("SELECT email AS value, source FROM suppressions WHERE site_id = ?1 AND email IN (SELECT value FROM json_each(?2))")
      .bind(site, list(emails)),
    db
      .prepare(
        "SELECT phone AS value, why AS source FROM sms_suppressions WHERE site_id = ?1 AND phone IN (SELECT value FROM json_each(?2))",
      )
      .bind(site, list(phones)),
  ]);
  return {
    removed: (e?.meta.changes ?? 0) + (p?.meta.changes ?? 0),
    kept: [
      ...(keptEmails?.results ?? []).map((r) => ({ channel: "email" as const, ...r })),
      ...(keptPhones?.results ?? []).map((r) => ({ channel: "sms" as const, ...r })),
    ],
  };
}

/**
 * A page of a site's suppressions, emails and numbers together, in the order of their value
 * (a number's `+` sorts before any letter): the next page starts after the last value given.
 *
 * @example
 * const page = await suppressionPage(env.DB, site.id, "", 100); // then suppressionPage(…, page.at(-1).value, 100)
 */
export const suppressionPage = (db: D1Database, site: number, after: string, limit: number) =>
  db
    .prepare(
      `SELECT * FROM (
         SELECT 'email' AS channel, email AS value, source, created_at FROM suppressions WHERE site_id = ?1 AND email > ?2
         UNION ALL
         SELECT 'sms', phone, why, at FROM sms_suppressions WHERE site_id = ?1 AND phone > ?2
       ) ORDER BY value LIMIT ?3`,
    )
    .bind(site, after, limit)
    .all<SuppressionRow>()
    .then((r) => r.results);

/** How many addresses and numbers a site suppresses (the dashboard says it). */
export const suppressionCount = (db: D1Database, site: number) =>
  db
    .prepare(
      "SELECT (SELECT count(*) FROM suppressions WHERE site_id = ?1) + (SELECT count(*) FROM sms_suppressions WHERE site_id = ?1) AS n",
    )
    .bind(site)
    .first<number>("n")
    .then((n) => n ?? 0);

/**
 * Adds persons (an email, or `tel:` and a number) to the site's list of excluded shoppers.
 *
 * @example
 * await excludeShoppers(env.DB, site.id, ["ana@example.com", "tel:+34600111222"], Date.now()); // 2
 */
export const excludeShoppers = (db: D1Database, site: number, keys: string[], at: number) =>
  db
    .prepare("INSERT OR IGNORE INTO excluded_shoppers (site_id, key, created_at) SELECT ?1, value, ?3 FROM json_each(?2)")
    .bind(site, list(keys), at)
    .run()
    .then((r) => r.meta.changes);

/** Takes persons off the site's list of excluded shoppers; returns how many were on it. */
export const readmitShoppers = (db: D1Database, site: number, keys: string[]) =>
  db
    .prepare("DELETE FROM excluded_shoppers WHERE site_id = ?1 AND key IN (SELECT value FROM json_each(?2))")
    .bind(site, list(keys))
    .run()
    .then((r) => r.meta.changes);

/** A page of the site's excluded shoppers, by key, after `after`. */
export const excludedShopperPage = (db: D1Database, site: number, after: string, limit: number) =>
  db
    .prepare("SELECT key, created_at FROM excluded_shoppers WHERE site_id = ?1 AND key > ?2 ORDER BY key LIMIT ?3")
    .bind(site, after, limit)
    .all<{ key: string; created_at: number }>()
    .then((r) => r.results);
