import { html as honoHtml, raw as honoRaw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** Markup built by `html`, `raw` or a page function: what `c.html()` accepts. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * Escape-by-default markup: every interpolated string is escaped (`& < > " '`), whether it lands
 * in text or in a quoted attribute; markup made by `html` itself, and arrays of it, go in as they
 * are. Numbers go in as they are; `undefined`, `null` and booleans leave nothing, so
 * `${cond ? html`…` : ""}` and `${cond && html`…`}` both work.
 *
 * @example
 * html`<p title="${name}">Hello ${name}</p>`; // name = `"><b>` → <p title="&quot;&gt;&lt;b&gt;">Hello &quot;&gt;&lt;b&gt;</p>
 * html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`; // fragments compose, each item escaped
 */
export const html = honoHtml;

/**
 * Marks a string as markup, so `html` does not escape it. The one way around the escaping, for
 * text that is ours and already is HTML or CSS (a stylesheet). Never for anything from a
 * browser, a merchant or the database: write a comment at each use saying why it is safe.
 *
 * @example
 * html`<style>${raw(PAGE_STYLE)}</style>`; // our own constant: `>` in a selector must stay `>`
 */
export const raw = (markup: string): HtmlEscapedString => honoRaw(markup);

/**
 * Escapes text as numeric character references (`& < > " ' \``), fit for element content and
 * quoted attribute values. For the few places that need a plain string rather than markup (the
 * email template tag is built on it); pages and emails get it through `html` and `mailHtml`
 * without asking. Headers (Subject, From) are not HTML: never escape them with this.
 *
 * @example
 * escapeHtml(`Tea & "Kettle" <b>`); // "Tea &#38; &#34;Kettle&#34; &#60;b&#62;"
 */
export const escapeHtml = (value: string): string => value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
