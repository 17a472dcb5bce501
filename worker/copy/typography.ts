// The small rules of writing that filling in a template can break: a capital after an opening
// "¿", French spacing before high punctuation, one full stop after an abbreviation, a merchant's
// phrase made a sentence, and nothing invisible that turns text around.

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/** Bidi embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069), LRM, RLM and the
 * Arabic letter mark: invisible, they reorder what a mail client shows, so "\u202eAna" can make a
 * line read backwards or hide where a shopper's text ends and the shop's begins. */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A name or product text from a browser or a setting, fit to be shown on one line: bidi controls
 * removed, C0 and C1 controls and line separators turned into spaces, spaces collapsed.
 *
 * @example
 * plainText("\u202eTea\r\nShop "); // "Tea Shop"
 */
export const plainText = (value: string): string => value.replace(BIDI_CONTROLS, "").replace(CONTROLS, " ").replace(/\s+/g, " ").trim();

/**
 * The text with its first letter upper-case, whatever opens it ("¿", "¡", a quote).
 *
 * @example
 * capitalise("¿te ha quedado alguna duda?"); // "¿Te ha quedado alguna duda?"
 */
export const capitalise = (text: string): string => text.replace(/\p{L}/u, (letter) => letter.toUpperCase());

/**
 * Spacing before punctuation as the language sets it: French puts a narrow no-break space (U+202F)
 * before ? ! ; and :, which keeps the mark on the word's line; the others put none. For emails and
 * pages: a text message keeps plain spaces, which GSM-7 has.
 *
 * @example
 * typeset("Une question ?", "fr"); // "Une question\u202f?"
 * typeset("Total:", "fr"); // "Total\u202f:"
 * typeset("¿Dudas ?", "es"); // "¿Dudas?"
 */
export function typeset(text: string, language: string): string {
  const spaced = text.replace(/\s+([,.])(?=\s|$)/g, "$1");
  if (!language.startsWith("fr")) return spaced.replace(/[\s\u00a0\u202f]+([?!;:])(?=\s|$)/g, "$1");
  return spaced.replace(/(\S?)[\s\u00a0\u202f]*([?!;:])(?=\s|$)/g, (_, before: string, mark: string) =>
    before ? `${before}\u202f${mark}` : mark,
  );
}

/**
 * Spacing and stops tidied after filling in: spaces collapsed, and a full stop that follows an
 * abbreviation's or a sentence's own ("8:26 a.m.", "¡Gracias!") dropped.
 *
 * @example
 * tidy("hasta el 3 dic 2026, 8:26 a.m.."); // "hasta el 3 dic 2026, 8:26 a.m."
 */
export const tidy = (text: string): string => text.replace(/([.!?…])\.(?=\s|$)/g, "$1").replace(/ {2,}/g, " ");

/**
 * A merchant's phrase as a sentence, to stand before the copy's next one: capitalised, any
 * trailing comma, colon or dash dropped, and ending in a full stop unless it ends in one already
 * (or in ! ? …).
 *
 * @example
 * sentence("un 10 % de descuento"); // "Un 10 % de descuento."
 * sentence("10% off your order:"); // "10% off your order."
 * sentence("¡Envío gratis!"); // "¡Envío gratis!"
 */
export function sentence(text: string): string {
  const trimmed = plainText(text).replace(/[\s,;:\-–—]+$/, "");
  if (!trimmed) return "";
  return capitalise(/[.!?…]["'”»)]?$/.test(trimmed) ? trimmed : `${trimmed}.`);
}
