import type { HtmlEscapedString } from "hono/utils/html";
import { escapeHtml, html, raw } from "./template";

// Mail clients drop <style> elements and external sheets, ignore most layout CSS, and Outlook lays
// out with Word: so an email is nested tables with every style inline. This file is that layout.

const asNumeric = (value: unknown): unknown =>
  // Pre-escaped here, and marked as markup so `html` leaves it as it is: this is the escaping,
  // not a way around it.
  typeof value === "string" ? raw(escapeHtml(value)) : Array.isArray(value) ? value.map(asNumeric) : value;

/**
 * `html` for emails: the same escape-by-default template, with strings escaped as numeric
 * references (`&#60;`) as every message has been since the first, so a message's bytes do not
 * depend on which part of the collector built it. Synchronous: an email is a string.
 *
 * @example
 * mailHtml`<td style="${EMAIL_STYLE.text}">${body}</td>`; // body = "Tea & <b>" → <td style="…">Tea &#38; &#60;b&#62;</td>
 */
export function mailHtml(strings: TemplateStringsArray, ...values: unknown[]): HtmlEscapedString {
  const markup = html(strings, ...values.map(asNumeric));
  // Only a promise among the values makes `html` asynchronous; an email is built from values at hand.
  if (markup instanceof Promise) throw new TypeError("mailHtml: a value is a promise; await it first");
  return markup;
}

const FONT = "Arial,Helvetica,sans-serif";

/**
 * The emails' stylesheet: inline styles by role, for `style="…"` attributes. The palette is the
 * pages' (ink #1d1d1f, muted #6e6e73, accent #345995, paper #f6f5f2, rule #e5e2dc).
 *
 * @example
 * mailHtml`<tr><td style="${EMAIL_STYLE.heading}">${heading}</td></tr>`;
 */
export const EMAIL_STYLE = {
  /** The shop's name, small and upper-case, above the heading. */
  brand: `padding:28px 32px 8px;font:bold 14px ${FONT};color:#6e6e73;text-transform:uppercase;letter-spacing:1px`,
  heading: `padding:0 32px;font:bold 24px/1.3 ${FONT};color:#1d1d1f`,
  text: `padding:12px 32px 8px;font:16px/1.5 ${FONT};color:#1d1d1f`,
  /** A card row holding a nested table (the offer, the cart). */
  block: "padding:8px 32px",
  offer: `padding:14px 16px;background:#e6f4ea;border-radius:8px;font:15px/1.5 ${FONT};color:#1e5631`,
  cart: "border-top:1px solid #e5e2dc;border-bottom:1px solid #e5e2dc",
  thumbCell: "padding:12px 12px 12px 0;vertical-align:top",
  thumb: "display:block;width:64px;height:64px;object-fit:cover;border-radius:6px;border:0",
  lineCell: `padding:12px 0;vertical-align:top;font:15px/1.4 ${FONT};color:#1d1d1f`,
  lineName: "color:#1d1d1f;text-decoration:none;font-weight:bold",
  lineDetail: "color:#6e6e73;font-size:13px",
  amountCell: `padding:12px 0;vertical-align:top;font:15px/1.4 ${FONT};color:#1d1d1f;white-space:nowrap`,
  totalCell: `padding:12px 0;font:bold 15px ${FONT};color:#1d1d1f`,
  buttonCell: "padding:20px 32px 8px",
  /** A link styled as a button: an `<a>`, since mail clients do not submit forms. */
  button: `display:inline-block;padding:14px 28px;background:#345995;color:#ffffff;border-radius:8px;font:bold 16px ${FONT};text-decoration:none`,
  aside: `padding:4px 32px 8px;font:14px ${FONT}`,
  link: "color:#345995",
  footer: `padding:24px 32px 28px;font:12px/1.5 ${FONT};color:#6e6e73`,
  footerLink: "color:#6e6e73",
} as const;

/**
 * A layout table: `role="presentation"` so screen readers read its content as text, not as a grid,
 * and no cell spacing or border, which clients otherwise add.
 *
 * @example
 * emailTable(mailHtml`<tr><td style="${EMAIL_STYLE.offer}">${offer}</td></tr>`);
 * emailTable(rows, { style: EMAIL_STYLE.cart });
 */
export function emailTable(rows: HtmlEscapedString, { width = "100%", style }: { width?: string; style?: string } = {}): HtmlEscapedString {
  return mailHtml`<table role="presentation" width="${width}" cellpadding="0" cellspacing="0" border="0"${style ? mailHtml` style="${style}"` : ""}>${rows}</table>`;
}

/**
 * A message to a shopper: `rows` (each a `<tr>` of one cell) in a white card at most 600 px wide,
 * centred on the paper colour. The preheader is the grey line clients show after the subject in
 * the inbox; it is hidden in the message itself.
 *
 * @example
 * const html = emailLayout({
 *   title: subject, // the subject again, for clients that show the document's title
 *   preheader: body.slice(0, 120),
 *   rows: mailHtml`<tr><td style="${EMAIL_STYLE.heading}">${heading}</td></tr>`,
 *   lang: "es", // the language it is written in, for screen readers and clients' translate offers
 * });
 */
export function emailLayout({
  title,
  preheader,
  rows,
  lang = "en",
}: {
  title: string;
  preheader: string;
  rows: HtmlEscapedString;
  lang?: string;
}): string {
  const card = emailTable(mailHtml`\n${rows}\n`, {
    width: "600",
    style: "max-width:600px;width:100%;background:#ffffff;border-radius:12px",
  });
  return mailHtml`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title></head>
<body style="margin:0;padding:0;background:#f6f5f2">
<div style="display:none;max-height:0;overflow:hidden">${preheader}</div>
${emailTable(mailHtml`<tr><td align="center" style="padding:24px 12px">\n${card}</td></tr>`, { style: "background:#f6f5f2" })}
</body></html>`.toString();
}

/**
 * A short message to the merchant: plain paragraphs and lists in the body font, no card.
 *
 * @example
 * plainEmail(mailHtml`<p>${summary}</p><ul>${items.map((i) => mailHtml`<li>${i}</li>`)}</ul>`);
 * plainEmail(mailHtml`<p>${resumen}</p>`, "es"); // in the merchant's language
 */
export const plainEmail = (body: HtmlEscapedString, lang = "en"): string =>
  mailHtml`<!doctype html><html lang="${lang}"><body style="font:15px/1.5 ${FONT};color:#1d1d1f">${body}</body></html>`.toString();
