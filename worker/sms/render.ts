// A recovery text, as a pure function of its parts: the shop's name, the sentence for the
// message's reason in the shopper's language (the merchant's own, else the built-in), the code,
// the link and the opt-out words. Texts are plain text: nothing is escaped, but every control
// character and line break a shop name could carry is taken out, so it cannot forge lines.
import { BUILTIN_COPY, fillCopy, type Language } from "../copy/builtin";
import { type Reason, type SiteSettings, templateFor } from "../sites/settings";

/** The most segments a text may take (a carrier joins them back into one message). */
export const MAX_SEGMENTS = 3;

// GSM 03.38: the default alphabet (one septet each) and its extension table (two: escape + char).
const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENDED = "^{}\\[~]|€\f";

/**
 * How a text is encoded and how many segments it takes: GSM-7 when every character is in the GSM
 * alphabet (160 a segment alone, 153 in a concatenated one), else UCS-2 (70, 67; counted in UTF-16
 * units, so an emoji takes two).
 *
 * @example
 * segmentsOf("Tea: your cart is saved"); // { encoding: "gsm7", units: 23, segments: 1 }
 * segmentsOf("Té: ¿listo?"); // { encoding: "gsm7", … }; "Tú: …" is ucs2
 */
export function segmentsOf(text: string): { encoding: "gsm7" | "ucs2"; units: number; segments: number } {
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (GSM_BASIC.includes(ch)) septets += 1;
    else if (GSM_EXTENDED.includes(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: "gsm7", units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  const units = text.length;
  return { encoding: "ucs2", units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}

/** A shop name fit for a text: one line, no control or direction-changing characters, at most `max` UTF-16 units, never a broken emoji. */
function shopName(name: string, max: number): string {
  const clean = name
    .replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: taking control characters out is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  let out = "";
  for (const ch of clean) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out.trim();
}

export interface TextInput {
  language: Language;
  settings: SiteSettings;
  reason: Reason;
  /** The shop's name as the site gives it (settings.shopName, else the site's name). */
  shop: string;
  /** The restore link, on the collector (it sends the shopper on to the shop's origins). */
  link: string;
  /** The incentive's code, when this message offers it. */
  code?: string;
}

/**
 * The text of a recovery message, within `MAX_SEGMENTS`: the whole sentence when it fits, else
 * the shop's name shortened, else the sentence left out; the link, the code and the opt-out words
 * are always there (a test renders every language with hostile names to hold this).
 *
 * @example
 * renderText({ language: "es", settings, reason: "reminder", shop: "Té y Tetera", link }).body;
 * // "Té y Tetera: Tu carrito sigue guardado. Retoma tu compra: https://…/r/… Responde STOP para darte de baja."
 */
export function renderText(input: TextInput): { body: string; segments: number; encoding: "gsm7" | "ucs2" } {
  const copy = BUILTIN_COPY[input.language];
  const own = templateFor(input.settings, input.reason, input.language).sms;
  const sentence = own ?? copy.smsText[input.reason];
  const code = input.code ? ` ${fillCopy(copy.smsCode, { code: input.code })}` : "";
  const compose = (shop: string, text: string) =>
    fillCopy(copy.sms, { shop: shop || copy.theShop, text, link: input.link, code, stop: copy.smsStop })
      .replace(/ {2,}/g, " ")
      .trim();
  const tries = [
    compose(shopName(input.shop, 40), sentence),
    compose(shopName(input.shop, 20), sentence),
    compose(shopName(input.shop, 20), ""),
    compose("", ""),
  ];
  const body = tries.find((t) => segmentsOf(t).segments <= MAX_SEGMENTS) ?? (tries.at(-1) as string);
  const { segments, encoding } = segmentsOf(body);
  return { body, segments, encoding };
}
