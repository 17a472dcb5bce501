import { Hono } from "hono";
import { failedMessages } from "../db/ledger";
import { latestMails, mailById } from "../db/outbox";
import { latestSms, type OutboxSms } from "../db/sms-outbox";
import { html, layout } from "../html";
import { ApiError } from "../http/errors";
import { isLocalHost } from "../http/local";
import { usesSmsOutbox } from "../sms/providers";

type Dev = { Bindings: Env };

const mailOutbox = (env: Env) => env.MAIL_PROVIDER === "outbox";

/** Each outbox answers only where its provider is the local one: the other's reader is a 404. */
const onlyWith = (uses: (env: Env) => boolean, what: string) => (env: Env) => {
  if (!uses(env)) throw new ApiError(404, "not_found", `the dev outbox shows ${what} only on a collector using the outbox for it`);
};
const needsMail = onlyWith(mailOutbox, "mail");
const needsSms = onlyWith(usesSmsOutbox, "texts");

/**
 * The local mailer's and SMS provider's outbox, for development: every message the collector
 * "sent", rendered, with its headers, and every text. `/dev/outbox.json` serves the mail to
 * scripts and tests, `/dev/sms.json` the texts.
 */
export const devOutbox = new Hono<Dev>()
  .use("/dev/*", async (c, next) => {
    // Mail and texts hold personal data: the outbox is served only to the machine it runs on.
    if (!isLocalHost(c.req.url) || (!mailOutbox(c.env) && !usesSmsOutbox(c.env))) {
      throw new ApiError(404, "not_found", "the dev outbox exists only on a local collector using the outbox mailer");
    }
    await next();
  })
  .get("/dev/outbox.json", async (c) => {
    needsMail(c.env);
    return c.json(await latestMails(c.env.DB));
  })
  .get("/dev/sms.json", async (c) => {
    needsSms(c.env);
    return c.json(await latestSms(c.env.DB));
  })
  .get("/dev/outbox", async (c) => {
    const [results, failed, texts] = await Promise.all([
      mailOutbox(c.env) ? latestMails(c.env.DB) : [],
      mailOutbox(c.env) ? failedMessages(c.env.DB) : [],
      usesSmsOutbox(c.env) ? latestSms(c.env.DB) : [],
    ]);
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
${failures.length ? html`<section><h2>Failed</h2><table><thead><tr><th>queued</th><th>to</th><th>message</th><th>error</th></tr></thead><tbody>${failures}</tbody></table></section>` : ""}
${usesSmsOutbox(c.env) ? smsSection(texts) : ""}`,
      ),
    );
  })
  .get("/dev/outbox/:id", async (c) => {
    needsMail(c.env);
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

/** The texts the local SMS provider kept (SMS_PROVIDER=outbox), newest first. */
function smsSection(texts: OutboxSms[]) {
  const rows = texts.map(
    (t) => html`<tr><td>${new Date(t.created_at).toISOString()}</td><td>${t.to}</td><td><pre>${t.body}</pre></td></tr>`,
  );
  return html`<section><h2>SMS</h2><p>Texts the local collector sent (SMS_PROVIDER=outbox), newest first.</p>
<table><thead><tr><th>sent</th><th>to</th><th>body</th></tr></thead><tbody>${rows.length ? rows : html`<tr><td colspan="3">Nothing yet.</td></tr>`}</tbody></table></section>`;
}
