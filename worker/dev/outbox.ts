import { Hono } from "hono";
import { isLocalHost } from "../http/crypto";
import { jsonError } from "../http/errors";
import { escapeHtml as e } from "../mail/render";

type Dev = { Bindings: Env };

interface OutboxRow {
  id: string;
  created_at: number;
  to: string;
  from: string;
  subject: string;
  headers: string;
  html: string;
  text: string;
}

const style = `<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem;color:#1d1d1f}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e5e2dc;vertical-align:top}iframe{width:100%;height:900px;border:1px solid #e5e2dc;border-radius:8px}pre{white-space:pre-wrap;background:#f6f5f2;padding:1rem;border-radius:8px}.failed{color:#8a1c1c}</style>`;

/**
 * The local mailer's outbox, for development: every message the collector "sent", rendered, with
 * its headers. `/dev/outbox.json` serves the same to scripts and tests.
 */
export const devOutbox = new Hono<Dev>()
  .use("/dev/*", async (c, next) => {
    // Mail can hold personal data: the outbox is served only to the machine it runs on.
    if (!isLocalHost(c.req.url) || c.env.MAIL_PROVIDER !== "outbox") {
      return jsonError(c, 404, "not_found", "the dev outbox exists only on a local collector using the outbox mailer");
    }
    await next();
  })
  .get("/dev/outbox.json", async (c) => {
    const { results } = await c.env.DB.prepare(
      `SELECT id, created_at, "to", "from", subject, headers, html, text FROM dev_outbox ORDER BY created_at DESC LIMIT 200`,
    ).all<OutboxRow>();
    return c.json(results.map((m) => ({ ...m, headers: JSON.parse(m.headers) as Record<string, string> })));
  })
  .get("/dev/outbox", async (c) => {
    const { results } = await c.env.DB.prepare(
      `SELECT id, created_at, "to", subject FROM dev_outbox ORDER BY created_at DESC LIMIT 200`,
    ).all<OutboxRow>();
    const failed = await c.env.DB.prepare(
      "SELECT id, email, status, error, attempts, queued_at FROM messages WHERE status = 'failed' ORDER BY queued_at DESC LIMIT 50",
    ).all<{
      id: string;
      email: string;
      error: string;
      attempts: number;
      queued_at: number;
    }>();
    const rows = results
      .map(
        (m) =>
          `<tr><td>${e(new Date(m.created_at).toISOString())}</td><td>${e(m.to)}</td><td><a href="/dev/outbox/${encodeURIComponent(m.id)}">${e(m.subject)}</a></td></tr>`,
      )
      .join("");
    const failures = failed.results
      .map(
        (m) =>
          `<tr class="failed"><td>${e(new Date(m.queued_at).toISOString())}</td><td>${e(m.email)}</td><td>${e(m.id)}</td><td>${e(m.error ?? "")} (${m.attempts} attempts)</td></tr>`,
      )
      .join("");
    return c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dev outbox</title>${style}</head><body>
<h1>Dev outbox</h1><p>Mail the local collector sent (MAIL_PROVIDER=outbox), newest first. <a href="/dev/outbox">Refresh</a> · <a href="/demo/">Demo shop</a></p>
<table><thead><tr><th>sent</th><th>to</th><th>subject</th></tr></thead><tbody>${rows || `<tr><td colspan="3">Nothing yet.</td></tr>`}</tbody></table>
${failures ? `<h2>Failed</h2><table><thead><tr><th>queued</th><th>to</th><th>message</th><th>error</th></tr></thead><tbody>${failures}</tbody></table>` : ""}
</body></html>`);
  })
  .get("/dev/outbox/:id", async (c) => {
    const m = await c.env.DB.prepare(`SELECT id, created_at, "to", "from", subject, headers, html, text FROM dev_outbox WHERE id = ?`)
      .bind(c.req.param("id"))
      .first<OutboxRow>();
    if (!m) return jsonError(c, 404, "not_found", "no such message in the outbox");
    const headers = Object.entries(JSON.parse(m.headers) as Record<string, string>)
      .map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`)
      .join("");
    return c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${e(m.subject)}</title>${style}</head><body>
<p><a href="/dev/outbox">← Outbox</a></p><h1>${e(m.subject)}</h1><table>${headers}<tr><th>Date</th><td>${e(new Date(m.created_at).toUTCString())}</td></tr></table>
<h2>HTML</h2><iframe sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${e(m.html)}" title="HTML body"></iframe>
<h2>Text</h2><pre>${e(m.text)}</pre></body></html>`);
  });
