// The emails to the merchant, in the merchant's language: an interrupted order and a code pool
// running low. Shoppers' names and product names are shown as plain text (no controls, no bidi).
import type { Cart } from "../../protocol/types";
import { chooseLanguage, type Language } from "../copy/builtin";
import { MERCHANT_COPY } from "../copy/merchant";
import { plainText, typeset } from "../copy/typography";
import { shopperLocales } from "../db/locales";
import { formatMoney, mailHtml, plainEmail } from "../html";
import type { SiteSettings } from "../sites/settings";
import type { Mail } from "./mailer";

/**
 * The language most of a site's shoppers are written in (each stored locale through
 * `chooseLanguage`, as their messages are), or English when none is known. Ties go to the
 * language met first.
 *
 * @example
 * mostCommonLanguage(["es-ES,es", "es-MX", "es-ES"], { languages: ["en", "es"], defaultLanguage: "en" }); // "es"
 * mostCommonLanguage([], settings); // "en"
 */
export function mostCommonLanguage(locales: string[], settings: Pick<SiteSettings, "languages" | "defaultLanguage">): Language {
  const counts = new Map<Language, number>();
  for (const locale of locales) {
    const { language } = chooseLanguage(locale, settings.languages, settings.defaultLanguage);
    counts.set(language, (counts.get(language) ?? 0) + 1);
  }
  let best: Language = "en";
  let most = 0;
  for (const [language, count] of counts) if (count > most) [best, most] = [language, count];
  return best;
}

/**
 * The language the merchant's emails are written in: the site's `merchantLanguage`, else the
 * most common among a sample of its shoppers (at most 200 rows read), else English.
 *
 * @example
 * await merchantLanguage(env.DB, site); // "es"
 */
export async function merchantLanguage(db: D1Database, site: { id: number; settings: SiteSettings }): Promise<Language> {
  return site.settings.merchantLanguage ?? mostCommonLanguage(await shopperLocales(db, site.id), site.settings);
}

/**
 * The merchant's notice of an interrupted order, in `language` (English when not given).
 *
 * @example
 * renderMerchantNotice({ id, to: "owner@shop.example", from, shop: "Té y Tetera", shopper: "ana@example.com", cart, language: "es" });
 * // subject: "Pedido interrumpido en Té y Tetera: ana@example.com (12,50 €)"
 */
export function renderMerchantNotice(input: {
  id: string;
  to: string;
  from: string;
  shop: string;
  shopper: string;
  /** The stall reason, e.g. card_declined. */
  reason?: string;
  cart?: Cart;
  language?: Language;
  /** Mail health warnings to put first (mail/feedback/outcome.ts warningsFor; English for now). */
  warnings?: string[];
}): Mail {
  const language = input.language ?? "en";
  const words = MERCHANT_COPY[language];
  const say = (template: string, vars: Record<string, string>) =>
    typeset(
      template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => vars[key] ?? ""),
      language,
    );
  const shop = plainText(input.shop);
  const shopper = plainText(input.shopper);
  const lines = input.cart?.lines ?? [];
  const money = (minor: number) => formatMoney(minor, input.cart?.currency ?? "EUR", language);
  const total = lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
  const list = lines.map(
    (l) => `${l.quantity} × ${plainText(l.name)}${l.variant ? ` (${plainText(l.variant)})` : ""}: ${money(l.price * l.quantity)}`,
  );
  const vars = { shop, shopper, total: money(total), reason: plainText(input.reason ?? "").replaceAll("_", " ") };
  const subject = say(words.noticeSubject, vars);
  const summary = say(input.reason ? words.noticeBodyReason : words.noticeBody, vars);
  const totalLine = `${say(`${words.total}:`, vars)} ${money(total)}`;
  const warnings = input.warnings ?? [];
  const text = [...warnings.flatMap((w) => [`⚠ ${w}`, ""]), summary, "", ...list, totalLine].join("\n");
  const html = plainEmail(
    mailHtml`${warnings.map((w) => mailHtml`<p style="background:#fde8e8;color:#8a1c1c;padding:8px"><strong>⚠ ${w}</strong></p>`)}<p>${summary}</p><ul>${list.map((l) => mailHtml`<li>${l}</li>`)}</ul><p><strong>${totalLine}</strong></p>`,
    language,
  );
  return { id: input.id, to: input.to, from: input.from, subject, html, text, headers: {} };
}

/**
 * The merchant's notice that the incentive's code pool runs low (sent once until it is filled),
 * in `language` (English when not given).
 *
 * @example
 * renderPoolLow({ id: "pool-low-1-…", to: "owner@shop.example", from, shop: "Tea & Kettle", available: 19 });
 */
export function renderPoolLow(input: { id: string; to: string; from: string; shop: string; available: number; language?: Language }): Mail {
  const language = input.language ?? "en";
  const words = MERCHANT_COPY[language];
  const vars = { shop: plainText(input.shop), available: String(input.available) };
  const say = (template: string) =>
    typeset(
      template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => vars[key as keyof typeof vars] ?? ""),
      language,
    );
  const subject = say(words.poolLowSubject);
  const text = say(words.poolLowBody);
  return { id: input.id, to: input.to, from: input.from, subject, html: plainEmail(mailHtml`<p>${text}</p>`, language), text, headers: {} };
}
