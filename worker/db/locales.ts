// The language preferences of a site's shoppers, for the merchant's language (mail/merchant.ts).

/**
 * Up to `limit` stored shopper locales of a site (each a browser's preferences, best first, joined
 * by commas). Read along the primary key, so it costs at most `limit` rows; browser ids are random,
 * so the rows are a fair sample of the site's shoppers, not its oldest.
 *
 * @example
 * await shopperLocales(env.DB, site.id); // ["es-ES,es", "es-MX", "en-US,en"]
 */
export async function shopperLocales(db: D1Database, site: number, limit = 200): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT locale FROM shoppers WHERE site_id = ? AND locale IS NOT NULL LIMIT ?")
    .bind(site, limit)
    .all<{ locale: string }>();
  return results.map((r) => r.locale);
}
