import { type Html, html, raw } from "./template";

/** The one stylesheet of every page the collector serves: the dashboard, the link pages, the dev outbox. */
export const PAGE_STYLE = `
body{font:15px/1.5 system-ui,sans-serif;color:#1d1d1f;background:#f6f5f2;margin:0}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding:.8rem 2rem;background:#fff;border-bottom:1px solid #e5e2dc;flex-wrap:wrap}
main{max-width:1150px;margin:auto;padding:1.5rem 2rem}
section{background:#fff;border:1px solid #e5e2dc;border-radius:12px;padding:1rem 1.25rem;margin:1rem 0}
h1{font-size:1.2rem;margin:0}h2{font-size:1.05rem;margin:.2rem 0 .8rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:1rem}
.card{background:#fff;border:1px solid #e5e2dc;border-radius:12px;padding:1rem}
.card b{display:block;font-size:1.5rem}.muted{color:#6e6e73;font-size:.9em}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600;color:#6e6e73;font-size:.85em}td.n,th.n{text-align:right}
input,select,textarea{font:inherit;padding:.35rem;border:1px solid #c9c5bd;border-radius:6px;max-width:100%}
textarea{width:100%}label{display:block;margin:.5rem 0 .15rem;font-weight:600;font-size:.9em}
button{font:inherit;padding:.45rem 1rem;border-radius:8px;border:1px solid #345995;background:#345995;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#345995}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:0 1.5rem}.errors{background:#fde8e8;color:#8a1c1c;padding:.75rem 1rem;border-radius:8px}
.ok{background:#e6f4ea;color:#1e5631;padding:.75rem 1rem;border-radius:8px}
iframe{width:100%;height:640px;border:1px solid #e5e2dc;border-radius:8px;background:#fff}
.bar{fill:#345995}.bar2{fill:#4c8c4a}
iframe.message{height:900px}pre{white-space:pre-wrap;background:#f6f5f2;padding:1rem;border-radius:8px}.failed{color:#8a1c1c}
body.notice{display:grid;place-items:center;min-height:100vh;font-size:16px}
.notice main{background:#fff;border-radius:12px;padding:32px;max-width:440px;margin:16px}
.notice h1{font-size:2em;margin:.67em 0}.notice button{padding:12px 24px;border:0}
.scroll{overflow-x:auto}code{overflow-wrap:anywhere}td.n{white-space:nowrap}textarea,[style*="width:100%"]{box-sizing:border-box}
@media (max-width:640px){
header,main{padding:.75rem}section{padding:.8rem}.grid2{grid-template-columns:minmax(0,1fr)}
table.stack tr:first-child{display:none}table.stack tr{display:block;border-bottom:1px solid #eee;padding:.4rem 0}
table.stack td{display:grid;grid-template-columns:6.5rem minmax(0,1fr);gap:.5rem;border:0;padding:.1rem 0;text-align:left;overflow-wrap:anywhere}
table.stack td::before{content:attr(data-label);color:#6e6e73;font-size:.85em}}`;

export interface LayoutOptions {
  /** Above `<main>`, full width: the dashboard's site bar. */
  header?: Html;
  /**
   * `app` (the default): a wide column for the dashboard and the dev outbox. `notice`: one small
   * card in the middle of the screen, for a shopper who followed a link from an email.
   */
  kind?: "app" | "notice";
  /** The language the page is written in (a shopper's link page in the email's language). */
  lang?: string;
}

/**
 * A whole page, around `body`. It loads nothing (no script file, font, image or stylesheet from
 * anywhere), so it works offline, gives a scanner nothing to follow, and fits a CSP of
 * `default-src 'none'; style-src 'unsafe-inline'`. `noindex`: none of these pages belongs in a
 * search engine, and link pages carry a token in their URL.
 *
 * @example
 * c.html(layout("Cartback: sign in", html`<section><h1>Sign in</h1>…</section>`));
 * c.html(layout("Link expired", html`<h1>This link has expired</h1>`, { kind: "notice" }), 410);
 * layout(`Cartback: ${site.name}`, body, { header: html`<header>…</header>` }); // the title is escaped
 */
export function layout(title: string, body: Html, { header, kind = "app", lang = "en" }: LayoutOptions = {}): Html {
  return html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<title>${title}</title><link rel="icon" href="data:,"><style>${
    // Our own constant. A <style> element is raw text, where references are not decoded: escaped,
    // a `>` combinator or a quoted font name would stop being CSS.
    raw(PAGE_STYLE)
  }</style></head>
<body class="${kind}">${header}<main>${body}</main></body></html>`;
}
