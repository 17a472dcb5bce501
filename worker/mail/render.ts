import type { Cart } from "../../protocol/types";
import { BUILTIN_COPY, fillCopy, type Language } from "../copy/builtin";
import { capitalise, plainText, sentence, tidy, typeset } from "../copy/typography";
import type { ImageDrop } from "../db/schema";
import { emailLayout, emailTable, formatDateTime, formatMoney, formatUnit, mailHtml, EMAIL_STYLE as s } from "../html";
import { hostAllowed, originHost } from "../sites/hosts";
import type { Reason, SiteSettings } from "../sites/settings";
import { offersIncentive, templateFor } from "../sites/settings";
import { originAllowed } from "../sites/sites";
import type { Mail } from "./mailer";

/** A URL from the browser, kept only when it is http(s) on one of the site's own origins. */
export function siteUrl(value: string | undefined, origins: string[]): string | undefined {
  if (!value) return;
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && originAllowed(origins, url.origin) ? url.href : undefined;
  } catch {
    return;
  }
}

// A local collector's demo shop and dev outbox serve their images over http.
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3})$/;

/**
 * A product image for an email: kept when it is https (http only on a loopback host, for local
 * development) on a host of the site's origins or one of its `imageHosts`, any port; else what
 * was dropped. Images come from browsers, so nothing else may make a mail client fetch a URL.
 *
 * @example
 * emailImage("https://cdn.shop.example/tea.png", ["shop.example", "cdn.shop.example"]); // { url: "https://cdn.shop.example/tea.png" }
 * emailImage("http://shop.example/tea.png", ["shop.example"]); // { dropped: { host: "shop.example", reason: "http" } }
 */
export function emailImage(value: string | undefined, hosts: string[]): { url?: string; dropped?: ImageDrop } {
  if (!value) return {};
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return {};
  }
  if (!/^https?:$/.test(url.protocol)) return {};
  const host = url.hostname.slice(0, 253);
  if (!hostAllowed(hosts, url.hostname)) return { dropped: { host, reason: "host" } };
  if (url.protocol !== "https:" && !LOOPBACK.test(url.hostname)) return { dropped: { host, reason: "http" } };
  return { url: url.href };
}

/** The hosts a site's product images may come from: its origins' and its `imageHosts`. */
const imageHostsOf = (input: Pick<RecoveryInput, "origins" | "settings">): string[] => [
  ...input.origins.map(originHost),
  ...input.settings.imageHosts,
];

/**
 * The images a recovery email leaves out, counted by host and why, in the order the cart lists
 * them: what the mail path adds to the site's counts (db/images.ts) for the dashboard.
 *
 * @example
 * droppedImages(input); // [{ host: "cdn.example", reason: "host", count: 3 }]
 */
export function droppedImages(input: Pick<RecoveryInput, "origins" | "settings" | "cart">): (ImageDrop & { count: number })[] {
  const hosts = imageHostsOf(input);
  const counts = new Map<string, ImageDrop & { count: number }>();
  for (const line of input.cart.lines) {
    const { dropped } = emailImage(line.image, hosts);
    if (!dropped) continue;
    const key = `${dropped.reason} ${dropped.host}`;
    const seen = counts.get(key);
    if (seen) seen.count++;
    else counts.set(key, { ...dropped, count: 1 });
  }
  return [...counts.values()];
}

/**
 * Fills `{{name}}`, `{{shop}}`, `{{code}}` into a template's line; a separator left dangling by an
 * unknown name goes too. The first letter is a capital, past any opening "¿" or "¡", and the
 * spacing before punctuation is the language's (French keeps a narrow no-break space before ? !).
 *
 * @example
 * fill("{{name}}, ¿te ha quedado alguna duda?", {}, "es"); // "¿Te ha quedado alguna duda?"
 * fill("{{name}}, une question ?", { name: "Ana" }, "fr"); // "Ana, une question\u202f?"
 */
export function fill(template: string, vars: Record<string, string | undefined>, language = "en"): string {
  const filled = template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => vars[key] ?? "");
  const trimmed = filled
    .replace(/^[\s,;:!-]+/, "")
    .replace(/,[\s\u00a0\u202f]*,/g, ",")
    .replace(/\s{2,}/g, " ")
    .trim();
  return capitalise(tidy(typeset(trimmed, language)));
}

/** The merchant's emails (mail/merchant.ts), where the mail path has always found them. */
export { renderMerchantNotice, renderPoolLow } from "./merchant";
/** A name from a browser or a setting, fit for one line (copy/typography.ts). */
export { plainText };

/** The first word of a name, without control, bidi or markup characters: it goes into a
 * subject line, where nothing would escape it. */
export const firstName = (name: string | undefined): string | undefined =>
  plainText(name ?? "")
    .replace(/[<>"`]/g, " ")
    .trim()
    .split(/\s+/)[0] || undefined;

/**
 * The From header for a site's messages: MAIL_FROM's address (MAIL_FROM may be `Name <addr>` or a
 * bare `addr`) under the site's `fromName`, as an RFC 5322 quoted string (`\` and `"` escaped;
 * controls, bidi controls, `<` and `>` removed, so no second address or header can be smuggled
 * in). MAIL_FROM unchanged when the site sets no name.
 *
 * @example
 * fromHeader('Tea "&" Kettle', "Cartback <recovery@shop.example>");
 * // the header reads: "Tea \"&\" Kettle" <recovery@shop.example>
 * fromHeader("Tea & Kettle", "recovery@shop.example"); // reads: "Tea & Kettle" <recovery@shop.example>
 * fromHeader(undefined, "Cartback <recovery@shop.example>"); // MAIL_FROM as it is
 */
export function fromHeader(name: string | undefined, mailFrom: string): string {
  const display = plainText((name ?? "").replace(/[<>]/g, " "));
  if (!display) return mailFrom;
  const address = /<([^>]+)>/.exec(mailFrom)?.[1]?.trim() ?? mailFrom.trim();
  return `"${display.replace(/[\\"]/g, "\\$&")}" <${address}>`;
}

/**
 * The From header of a site's emails: under its `fromName`, else under the shop's own name (its
 * `shopName`, else the site's `name`), never under the collector's; from its `fromAddress` (a
 * sender its domain check passed, update.ts), else from MAIL_FROM's address.
 *
 * @example
 * siteFrom({ settings: {}, name: "Té y Tetera" }, "Cartback <recovery@shop.example>"); // "\"Té y Tetera\" <recovery@shop.example>"
 */
export const siteFrom = (
  site: { name: string; settings: Pick<SiteSettings, "fromName" | "shopName"> & Partial<Pick<SiteSettings, "fromAddress">> },
  mailFrom: string,
): string => fromHeader(site.settings.fromName ?? site.settings.shopName ?? site.name, site.settings.fromAddress ?? mailFrom);

export interface RecoveryInput {
  to: string;
  from: string;
  messageId: string;
  shop: string;
  origins: string[];
  settings: SiteSettings;
  reason: Reason;
  step: number;
  name?: string;
  cart: Cart;
  restoreUrl: string;
  unsubscribeUrl: string;
  /** The language to write in (the site's default when not given) and the locale for money and
   * dates (the language when not given): see copy/builtin.ts chooseLanguage. */
  language?: Language;
  locale?: string;
  /** The shopper's time zone, for the incentive's end (the site's when not given). */
  timeZone?: string;
  /** When the message goes out: the incentive's validity counts from here. */
  now?: number;
}

/**
 * The recovery email: the reason's copy, every cart line and the total, as HTML (tables and
 * inline styles, for mail clients) and plain text, with one-click unsubscribe headers (RFC 8058).
 * Everything that came from a browser is escaped; product links are kept only on the site's own
 * origins, and images only as `emailImage` says. A line's `data` is never shown.
 */
export function renderRecovery(input: RecoveryInput): Mail {
  const { settings, cart, reason } = input;
  const language = input.language ?? settings.defaultLanguage;
  const locale = input.locale ?? language;
  const words = BUILTIN_COPY[language];
  // Copy words as the language spaces them (fill does the template's own).
  const say = (text: string) => tidy(typeset(text, language));
  const shop = plainText(input.shop);
  const template = templateFor(settings, reason, language);
  const vars = { name: firstName(input.name), shop, code: settings.incentive?.code };
  const subject = fill(template.subject, vars, language);
  const heading = fill(template.heading, vars, language);
  // Replies go to the merchant: the site's Reply-To, else the merchant's contact address (the
  // one the collector notifies). A reply is promised only where one is read: the built-in
  // question adds the promise when there is a Reply-To (without one, a reply goes to the sender).
  const replyTo = settings.replyTo ?? settings.notifyEmail;
  const promise = replyTo && template === BUILTIN_COPY[language].templates[reason] && reason === "question";
  const body = fill(promise ? `${template.body} ${words.reply}` : template.body, vars, language);
  const cta = fill(template.cta, vars, language);
  const money = (minor: number) => formatMoney(minor, cart.currency, locale);
  const total = cart.lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
  const incentive = offersIncentive(settings, reason, input.step) ? settings.incentive : undefined;
  const hours = incentive?.expiresInHours;
  const incentiveText = incentive
    ? say(
        [
          // The merchant's words stand as a sentence of their own, whatever was typed.
          fillCopy(words.offer, { description: sentence(incentive.description), code: incentive.code }),
          ...(hours
            ? [
                fillCopy(words.offerValid, {
                  duration: formatUnit(hours, "hour", locale),
                  until: formatDateTime((input.now ?? Date.now()) + hours * 3_600_000, locale, input.timeZone ?? settings.timeZone),
                }),
              ]
            : []),
        ].join(" "),
      )
    : undefined;
  const quantity = (n: number) => fillCopy(words.quantity, { quantity: String(n) });
  const chat = reason === "question" ? siteUrl(settings.chatUrl, input.origins) : undefined;
  const chatOr = replyTo ? say(words.chatOr) : "";
  const imageHosts = imageHostsOf(input);
  const shown = cart.lines.map((line) => ({ ...line, name: plainText(line.name), variant: line.variant && plainText(line.variant) }));
  const lines = shown.map((line) => {
    const image = emailImage(line.image, imageHosts).url;
    const href = siteUrl(line.url, input.origins) ?? input.restoreUrl;
    return mailHtml`<tr>
<td width="72" style="${s.thumbCell}">${image ? mailHtml`<img src="${image}" width="64" height="64" alt="" style="${s.thumb}">` : ""}</td>
<td style="${s.lineCell}"><a href="${href}" style="${s.lineName}">${line.name}</a>${line.variant ? mailHtml`<br><span style="${s.lineDetail}">${line.variant}</span>` : ""}<br><span style="${s.lineDetail}">${quantity(line.quantity)} × ${money(line.price)}</span></td>
<td align="right" style="${s.amountCell}">${money(line.price * line.quantity)}</td>
</tr>
`;
  });
  const footer = say(fillCopy(words.footer, { shop }));
  const unsubscribeAfter = words.unsubscribeAfter && say(words.unsubscribeAfter);
  // "Label: value" in the plain text, spaced as the language spaces a colon.
  const label = (name: string, value: string) => `${typeset(`${name}:`, language)} ${value}`;
  const cartTable = emailTable(
    mailHtml`
${lines}<tr><td></td><td style="${s.totalCell}">${words.total}</td><td align="right" style="${s.totalCell}">${money(total)}</td></tr>
`,
    { style: s.cart },
  );

  const html = emailLayout({
    title: subject,
    preheader: body.slice(0, 120),
    lang: language,
    rows: mailHtml`<tr><td style="${s.brand}">${shop}</td></tr>
<tr><td style="${s.heading}">${heading}</td></tr>
<tr><td style="${s.text}">${body}</td></tr>
${incentiveText ? mailHtml`<tr><td style="${s.block}">${emailTable(mailHtml`<tr><td style="${s.offer}">${incentiveText}</td></tr>`)}</td></tr>` : ""}
<tr><td style="${s.block}">${cartTable}</td></tr>
<tr><td align="center" style="${s.buttonCell}"><a href="${input.restoreUrl}" style="${s.button}">${cta}</a></td></tr>
${chat ? mailHtml`<tr><td align="center" style="${s.aside}"><a href="${chat}" style="${s.link}">${words.chat}</a>${chatOr ? ` ${chatOr}` : ""}</td></tr>` : ""}
<tr><td style="${s.footer}">${footer} <a href="${input.unsubscribeUrl}" style="${s.footerLink}">${words.unsubscribe}</a>${unsubscribeAfter}</td></tr>`,
  });

  const text = [
    heading,
    "",
    body,
    ...(incentiveText ? ["", incentiveText] : []),
    "",
    ...shown.map(
      (l) => `- ${l.name}${l.variant ? ` (${l.variant})` : ""}: ${l.quantity} × ${money(l.price)} = ${money(l.price * l.quantity)}`,
    ),
    label(words.total, money(total)),
    "",
    label(cta, input.restoreUrl),
    ...(chat ? [label(words.chat, chat)] : []),
    "",
    `${footer} ${label(words.unsubscribe, input.unsubscribeUrl)}`,
  ].join("\n");

  return {
    id: input.messageId,
    to: input.to,
    from: input.from,
    replyTo,
    subject,
    html,
    text,
    headers: {
      "List-Unsubscribe": `<${input.unsubscribeUrl}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
  };
}
