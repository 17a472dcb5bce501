// Which language, and which variant of it, a message is written in: from the shopper's browser
// preferences, among the languages the site writes in.

/**
 * The languages a site can write in, as BCP 47 primary language subtags (what `languages` lists).
 *
 * @example
 * LANGUAGES.includes("es"); // true
 */
export const LANGUAGES = ["en", "es", "fr", "de", "it", "pt", "nl"] as const;
/** A language a site lists. */
export type SiteLanguage = (typeof LANGUAGES)[number];

/**
 * Every variant with built-in copy: each language, and Latin America's Spanish besides Spain's
 * (`es` is Spain's: see `variantOf`). A message, its text and its pages are in one of these.
 *
 * @example
 * COPY_LANGUAGES.includes("es-419"); // true
 */
export const COPY_LANGUAGES = [...LANGUAGES, "es-419"] as const;
export type Language = (typeof COPY_LANGUAGES)[number];

/**
 * A variant's language: what a site lists it under.
 *
 * @example
 * primaryOf("es-419"); // "es"
 */
export const primaryOf = (language: Language): SiteLanguage => language.split("-")[0] as SiteLanguage;

/** Regions whose Spanish is Spain's: Spain, Ceuta and Melilla, the Canaries, Equatorial Guinea. */
const SPAIN = new Set(["ES", "EA", "IC", "GQ"]);

/**
 * The copy variant for a browser's tag in a language the site writes in. Spanish with a region is
 * Spain's (es-ES) or Latin America's (es-MX, es-AR, es-US, es-419, any other region); a bare `es`
 * names no region, so it gets the site's own Spanish (its default language, when that is Spanish),
 * else Spain's, since a browser sends bare `es` mostly in Spain (Latin American builds send a region).
 *
 * @example
 * variantOf("es-MX", "en"); // "es-419"
 * variantOf("es", "es-419"); // "es-419"
 * variantOf("es", "en"); // "es"
 * variantOf("fr-CA", "en"); // "fr"
 */
export function variantOf(tag: string, fallback: Language): Language {
  const primary = tag.split("-")[0] as SiteLanguage;
  if (primary !== "es") return primary;
  const region = tag
    .split("-")
    .slice(1)
    .find((s) => /^([A-Za-z]{2}|\d{3})$/.test(s))
    ?.toUpperCase();
  if (!region) return primaryOf(fallback) === "es" ? fallback : "es";
  return SPAIN.has(region) ? "es" : "es-419";
}

/**
 * The language to write to a shopper in, from their browser's preferences (an Accept-Language
 * list, best first, or one tag) among those the site writes in; the site's default otherwise.
 * `language` is the copy variant (`variantOf`); `locale` is the tag to format numbers and dates
 * with: the shopper's own regional tag when its language is the one chosen (`es-MX` formats
 * Mexican style), else the default.
 *
 * @example
 * chooseLanguage("es-MX,es;q=0.9,en;q=0.8", ["en", "es"], "en"); // { language: "es-419", locale: "es-MX" }
 * chooseLanguage("es-ES", ["en", "es"], "en"); // { language: "es", locale: "es-ES" }
 * chooseLanguage("ja-JP", ["en", "es"], "es"); // { language: "es", locale: "es" }
 * chooseLanguage(undefined, LANGUAGES, "fr"); // { language: "fr", locale: "fr" }
 */
export function chooseLanguage(
  preferences: string | undefined,
  languages: readonly Language[],
  fallback: Language,
): { language: Language; locale: string } {
  for (const tag of parsePreferences(preferences)) {
    const primary = tag.split("-")[0] as SiteLanguage;
    if (primary === primaryOf(fallback) || languages.includes(primary)) return { language: variantOf(tag, fallback), locale: tag };
  }
  return { language: fallback, locale: fallback };
}

/**
 * An Accept-Language header (or one tag) as canonical BCP 47 tags, best first: at most 6, `*`
 * and anything `Intl` does not accept left out, q=0 left out. What goes into D1 and into
 * `Intl`, whatever a client sent.
 *
 * @example
 * parsePreferences("es-es;q=0.9, en;q=0.8, *;q=0.1, <b>"); // ["es-ES", "en"]
 */
export function parsePreferences(value: string | undefined): string[] {
  if (!value) return [];
  const ranked = value
    .slice(0, 512)
    .split(",")
    .map((part, i) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/i.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((p) => p.q > 0 && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/.test(p.tag))
    .sort((a, b) => b.q - a.q || a.i - b.i);
  const out: string[] = [];
  for (const { tag } of ranked) {
    try {
      const canonical = Intl.getCanonicalLocales(tag)[0];
      if (canonical && !out.includes(canonical)) out.push(canonical);
    } catch {
      // not a tag Intl knows: left out
    }
    if (out.length === 6) break;
  }
  return out;
}
