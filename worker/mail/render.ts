import type { Cart } from "../../protocol/types";
import type { Reason, SiteSettings } from "../sites/settings";
import { templateFor } from "../sites/settings";
import { originAllowed } from "../sites/sites";
import type { Mail } from "./mailer";

/** Escapes text for HTML element content and quoted attribute values. */
export const escapeHtml = (value: string): string => value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);

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

export const formatMoney = (minor: number, currency: string): string => {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
};

/** Fills `{{name}}`, `{{shop}}`, `{{code}}`; a separator left dangling by an unknown name goes too. */
export function fill(template: string, vars: Record<string, string | undefined>): string {
  const filled = template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => vars[key] ?? "");
  const tidy = filled
    .replace(/^[\s,;:!-]+/, "")
    .replace(/\s+([,.!?;:])/g, "$1")
    .replace(/,\s*,/g, ",")
    .replace(/\s{2,}/g, " ")
    .trim();
  return tidy.charAt(0).toUpperCase() + tidy.slice(1);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/** Bidi embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069), LRM, RLM and the
 * Arabic letter mark: invisible, they reorder what a mail client shows, so "\u202eAna" can make a
 * subject read backwards or hide where a shopper's text ends and the shop's begins. */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * A name from a browser or a setting, fit for one line of a subject or a greeting: bidi controls
 * removed, C0 and C1 controls and line separators turned into spaces, spaces collapsed.
 *
 * @example
 * plainText("\u202eTea\r\nShop "); // "Tea Shop"
 */
export const plainText = (value: string): string => value.replace(BIDI_CONTROLS, "").replace(CONTROLS, " ").replace(/\s+/g, " ").trim();

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
}

/** Whether this message offers the site's incentive: never on a payment failure (the shopper
 * wanted to pay; a discount would only cost margin), always for extra-cost shock, else per step. */
export function offersIncentive(settings: SiteSettings, reason: Reason, step: number): boolean {
  if (!settings.incentive || reason === "payment_failed") return false;
  return reason === "extra_costs" || Boolean(settings.steps[step]?.incentive);
}

/**
 * The recovery email: the reason's copy, every cart line and the total, as HTML (tables and
 * inline styles, for mail clients) and plain text, with one-click unsubscribe headers (RFC 8058).
 * Everything that came from a browser is escaped; product links and images are kept only on
 * the site's own origins.
 */
export function renderRecovery(input: RecoveryInput): Mail {
  const { settings, cart, reason } = input;
  const shop = plainText(input.shop);
  const template = templateFor(settings, reason);
  const vars = { name: firstName(input.name), shop, code: settings.incentive?.code };
  const subject = fill(template.subject, vars);
  const heading = fill(template.heading, vars);
  const body = fill(template.body, vars);
  const cta = fill(template.cta, vars);
  const money = (minor: number) => formatMoney(minor, cart.currency);
  const total = cart.lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
  const incentive = offersIncentive(settings, reason, input.step) ? settings.incentive : undefined;
  const incentiveText = incentive
    ? `${incentive.description} Use code ${incentive.code} at checkout${incentive.expiresInHours ? `, valid for ${incentive.expiresInHours} hours` : ""}.`
    : undefined;
  const chat = reason === "question" ? siteUrl(settings.chatUrl, input.origins) : undefined;
  const e = escapeHtml;

  const rows = cart.lines
    .map((line) => {
      const image = siteUrl(line.image, input.origins);
      const href = siteUrl(line.url, input.origins) ?? input.restoreUrl;
      return `<tr>
<td width="72" style="padding:12px 12px 12px 0;vertical-align:top">${image ? `<img src="${e(image)}" width="64" height="64" alt="" style="display:block;width:64px;height:64px;object-fit:cover;border-radius:6px;border:0">` : ""}</td>
<td style="padding:12px 0;vertical-align:top;font:15px/1.4 Arial,Helvetica,sans-serif;color:#1d1d1f"><a href="${e(href)}" style="color:#1d1d1f;text-decoration:none;font-weight:bold">${e(line.name)}</a>${line.variant ? `<br><span style="color:#6e6e73;font-size:13px">${e(line.variant)}</span>` : ""}<br><span style="color:#6e6e73;font-size:13px">Qty ${line.quantity} × ${e(money(line.price))}</span></td>
<td align="right" style="padding:12px 0;vertical-align:top;font:15px/1.4 Arial,Helvetica,sans-serif;color:#1d1d1f;white-space:nowrap">${e(money(line.price * line.quantity))}</td>
</tr>`;
    })
    .join("\n");

  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(subject)}</title></head>
<body style="margin:0;padding:0;background:#f6f5f2">
<div style="display:none;max-height:0;overflow:hidden">${e(body.slice(0, 120))}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f6f5f2"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;width:100%;background:#ffffff;border-radius:12px">
<tr><td style="padding:28px 32px 8px;font:bold 14px Arial,Helvetica,sans-serif;color:#6e6e73;text-transform:uppercase;letter-spacing:1px">${e(shop)}</td></tr>
<tr><td style="padding:0 32px;font:bold 24px/1.3 Arial,Helvetica,sans-serif;color:#1d1d1f">${e(heading)}</td></tr>
<tr><td style="padding:12px 32px 8px;font:16px/1.5 Arial,Helvetica,sans-serif;color:#1d1d1f">${e(body)}</td></tr>
${incentiveText ? `<tr><td style="padding:8px 32px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td style="padding:14px 16px;background:#e6f4ea;border-radius:8px;font:15px/1.5 Arial,Helvetica,sans-serif;color:#1e5631">${e(incentiveText)}</td></tr></table></td></tr>` : ""}
<tr><td style="padding:8px 32px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-top:1px solid #e5e2dc;border-bottom:1px solid #e5e2dc">
${rows}
<tr><td></td><td style="padding:12px 0;font:bold 15px Arial,Helvetica,sans-serif;color:#1d1d1f">Total</td><td align="right" style="padding:12px 0;font:bold 15px Arial,Helvetica,sans-serif;color:#1d1d1f">${e(money(total))}</td></tr>
</table></td></tr>
<tr><td align="center" style="padding:20px 32px 8px"><a href="${e(input.restoreUrl)}" style="display:inline-block;padding:14px 28px;background:#345995;color:#ffffff;border-radius:8px;font:bold 16px Arial,Helvetica,sans-serif;text-decoration:none">${e(cta)}</a></td></tr>
${chat ? `<tr><td align="center" style="padding:4px 32px 8px;font:14px Arial,Helvetica,sans-serif"><a href="${e(chat)}" style="color:#345995">Chat with us</a> or reply to this email.</td></tr>` : ""}
<tr><td style="padding:24px 32px 28px;font:12px/1.5 Arial,Helvetica,sans-serif;color:#6e6e73">You are receiving this because you started an order at ${e(shop)}. <a href="${e(input.unsubscribeUrl)}" style="color:#6e6e73">Unsubscribe</a> from these reminders.</td></tr>
</table></td></tr></table>
</body></html>`;

  const text = [
    heading,
    "",
    body,
    ...(incentiveText ? ["", incentiveText] : []),
    "",
    ...cart.lines.map(
      (l) => `- ${l.name}${l.variant ? ` (${l.variant})` : ""}: ${l.quantity} × ${money(l.price)} = ${money(l.price * l.quantity)}`,
    ),
    `Total: ${money(total)}`,
    "",
    `${cta}: ${input.restoreUrl}`,
    ...(chat ? [`Chat with us: ${chat}`] : []),
    "",
    `You are receiving this because you started an order at ${shop}. Unsubscribe: ${input.unsubscribeUrl}`,
  ].join("\n");

  return {
    id: input.messageId,
    to: input.to,
    from: input.from,
    replyTo: settings.replyTo,
    subject,
    html,
    text,
    headers: {
      "List-Unsubscribe": `<${input.unsubscribeUrl}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
  };
}

/** The merchant's notice of an interrupted order. */
export function renderMerchantNotice(input: {
  id: string;
  to: string;
  from: string;
  shop: string;
  shopper: string;
  /** The stall reason, e.g. card_declined. */
  reason?: string;
  cart?: Cart;
}): Mail {
  const shop = plainText(input.shop);
  const shopper = plainText(input.shopper);
  const lines = input.cart?.lines ?? [];
  const money = (minor: number) => formatMoney(minor, input.cart?.currency ?? "EUR");
  const total = lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
  const list = lines.map((l) => `${l.quantity} × ${l.name}${l.variant ? ` (${l.variant})` : ""}: ${money(l.price * l.quantity)}`);
  const subject = `Interrupted order at ${shop}: ${shopper} (${money(total)})`;
  const text = [
    `${shopper} left an order at ${shop}${input.reason ? ` (reason: ${input.reason.replaceAll("_", " ")})` : ""}.`,
    "",
    ...list,
    `Total: ${money(total)}`,
  ].join("\n");
  const html = `<!doctype html><html lang="en"><body style="font:15px/1.5 Arial,Helvetica,sans-serif;color:#1d1d1f"><p>${escapeHtml(text.split("\n")[0] ?? "")}</p><ul>${list.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul><p><strong>Total: ${escapeHtml(money(total))}</strong></p></body></html>`;
  return { id: input.id, to: input.to, from: input.from, subject, html, text, headers: {} };
}
