import { Hono } from "hono";
import { html, layout } from "../html";
import { isLocalHost } from "../http/crypto";
import { jsonError } from "../http/errors";

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
    const rows = results.map(
      (m) =>
        html`<tr><td>${new Date(m.created_at).toISOString()}</td><td>${m.to}</td><td><a href="/dev/outbox/${encodeURIComponent(m.id)}">${m.subject}</a></td></tr>`,
    );
    const failures = failed.results.map(
      (m) =>
        html`<tr class="failed"><td>${new Date(m.queued_at).toISOString()}</td><td>${m.email}</td><td>${m.id}</td><td>${m.error ?? ""} (${m.attempts} attempts)</td></tr>`,
    );
    return c.html(
      layout(
        "Dev outbox",
        html`<section><h1>Dev outbox</h1><p>Mail the local collector sent (MAIL_PROVIDER=outbox), newest first. <a href="/dev/outbox">Refresh</a> · <a href="/demo/">Demo shop</a></p>
<table><thead><tr><th>sent</th><th>to</th><th>subject</th></tr></thead><tbody>${rows.length ? rows : html`<tr><td colspan="3">Nothing yet.</td></tr>`}</tbody></table></section>
${failures.length ? html`<section><h2>Failed</h2><table><thead><tr><th>queued</th><th>to</th><th>message</th><th>error</th></tr></thead><tbody>${failures}</tbody></table></section>` : ""}`,
      ),
    );
  })
  .get("/dev/outbox/:id", async (c) => {
    const m = await c.env.DB.prepare(`SELECT id, created_at, "to", "from", subject, headers, html, text FROM dev_outbox WHERE id = ?`)
      .bind(c.req.param("id"))
      .first<OutboxRow>();
    if (!m) return jsonError(c, 404, "not_found", "no such message in the outbox");
    const headers = Object.entries(JSON.parse(m.headers) as Record<string, string>).map(
      ([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`,
    );
    return c.html(
      layout(
        m.subject,
        html`<p><a href="/dev/outbox">← Outbox</a></p><section><h1>${m.subject}</h1><table>${headers}<tr><th>Date</th><td>${new Date(m.created_at).toUTCString()}</td></tr></table></section>
<section><h2>HTML</h2><iframe class="message" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${m.html}" title="HTML body"></iframe></section>
<section><h2>Text</h2><pre>${m.text}</pre></section>`,
      ),
    );
  });
