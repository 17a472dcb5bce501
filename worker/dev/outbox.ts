import { Hono } from "hono";
import { failedMessages } from "../db/ledger";
import { latestMails, mailById } from "../db/outbox";
import { html, layout } from "../html";
import { isLocalHost } from "../http/crypto";
import { ApiError } from "../http/errors";

type Dev = { Bindings: Env };

/**
 * The local mailer's outbox, for development: every message the collector "sent", rendered, with
 * its headers. `/dev/outbox.json` serves the same to scripts and tests.
 */
export const devOutbox = new Hono<Dev>()
  .use("/dev/*", async (c, next) => {
    // Mail can hold personal data: the outbox is served only to the machine it runs on.
    if (!isLocalHost(c.req.url) || c.env.MAIL_PROVIDER !== "outbox") {
      throw new ApiError(404, "not_found", "the dev outbox exists only on a local collector using the outbox mailer");
    }
    await next();
  })
  .get("/dev/outbox.json", async (c) => c.json(await latestMails(c.env.DB)))
  .get("/dev/outbox", async (c) => {
    const [results, failed] = await Promise.all([latestMails(c.env.DB), failedMessages(c.env.DB)]);
    const rows = results.map(
      (m) =>
        html`<tr><td>${new Date(m.created_at).toISOString()}</td><td>${m.to}</td><td><a href="/dev/outbox/${encodeURIComponent(m.id)}">${m.subject}</a></td></tr>`,
    );
    const failures = failed.map(
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
    const m = await mailById(c.env.DB, c.req.param("id"));
    if (!m) throw new ApiError(404, "not_found", "no such message in the outbox");
    const headers = Object.entries(m.headers).map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`);
    return c.html(
      layout(
        m.subject,
        html`<p><a href="/dev/outbox">← Outbox</a></p><section><h1>${m.subject}</h1><table>${headers}<tr><th>Date</th><td>${new Date(m.created_at).toUTCString()}</td></tr></table></section>
<section><h2>HTML</h2><iframe class="message" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${m.html}" title="HTML body"></iframe></section>
<section><h2>Text</h2><pre>${m.text}</pre></section>`,
      ),
    );
  });
