// The words of every message and page a shopper sees, in each language the collector writes in
// without a merchant writing a line. Each language is written as a shop in that country writes to
// its customers (the register and idiom they expect: tú in Spanish, in Spain's and in Latin
// America's (es.ts), vous in French, du in German, tu in Italian, je in Dutch; the Portuguese
// avoids você/tu so it reads right in Brazil and in Portugal), not translated word for word from
// the English. Placeholders in `{{…}}` are filled in by the mail and page code; everything filled
// in is escaped where it is shown. Nothing here names what a shop sells: the shop's own words come
// from its settings.
import { de } from "./de";
import { en } from "./en";
import { es, es419 } from "./es";
import { fr } from "./fr";
import { it } from "./it";
import type { Language } from "./languages";
import { nl } from "./nl";
import { pt } from "./pt";
import type { Copy } from "./types";
import { tidy } from "./typography";

export {
  COPY_LANGUAGES,
  chooseLanguage,
  LANGUAGES,
  type Language,
  parsePreferences,
  primaryOf,
  type SiteLanguage,
  variantOf,
} from "./languages";
export { validTimeZone } from "./timezone";
export type { Copy, CopyReason, TemplateCopy } from "./types";

/**
 * The built-in copy of each language variant. Typed as complete records, and checked key by key
 * against the English in copy.test.ts, so a language cannot lack a word.
 *
 * @example
 * BUILTIN_COPY.es.templates.reminder.subject; // "{{name}}, te has dejado algo en el carrito"
 * BUILTIN_COPY["es-419"].templates.reminder.subject; // "{{name}}, dejaste algo en tu carrito"
 */
export const BUILTIN_COPY: Record<Language, Copy> = { en, es, "es-419": es419, fr, de, it, pt, nl };

/**
 * Fills `{{key}}` placeholders for pages and texts, where the tidying of an email subject
 * (mail/render.ts `fill`) is not wanted; a name without a value is left empty, and what filling
 * in can double (two spaces, "a.m.." at a sentence's end) is made single.
 *
 * @example
 * fillCopy("{{email}} will get no more cart reminders.", { email: "ana@example.com" }); // "ana@example.com will get no more cart reminders."
 * fillCopy("hasta el {{until}}.", { until: "3 dic 2026, 8:26 a.m." }); // "hasta el 3 dic 2026, 8:26 a.m."
 */
export const fillCopy = (template: string, vars: Record<string, string | undefined>): string =>
  tidy(template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => vars[key] ?? ""));
