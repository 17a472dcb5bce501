// The dashboard's mail health (issue 22.3): the warnings and the pause at the top, and a section
// with what the providers reported per day, where to send their feedback, and the resume button.
import { type Html, html } from "../html";
import type { Warning } from "../mail/feedback/outcome";
import type { MailFigures } from "../stats/mail";

/** What the dashboard shows of a site's feedback (mail/feedback/merchant.ts feedbackStatus). */
export interface MailStatus {
  resend: { set: boolean };
  postmark: { set: boolean };
  ses: { topics: string[] };
  urls: { resend: string; postmark: string; ses: string };
  paused: { at: number; why: string | null } | null;
  warnings: Warning[];
}

/** A rate as the mailbox providers state their limits: two decimals ("0.12 %"). */
const rate = (r: number | null): string => (r === null ? "–" : `${(r * 100).toFixed(2)} %`);

/**
 * The banner over the figures: sending paused (with the resume button) and each warning.
 *
 * @example
 * mailBanner(status, csrf); // "" when all is well
 */
export function mailBanner(s: MailStatus, csrf: Html): Html | string {
  if (!s.paused && !s.warnings.length) return "";
  return html`<div class="errors" role="alert" id="mail-warning">
${
  s.paused
    ? html`<p><b>Recovery emails are paused:</b> ${s.paused.why ?? "too many spam complaints"}. Nothing is sent until you resume.</p>
<form method="post" action="/dashboard/mail-resume">${csrf}<button type="submit">Resume sending</button></form>`
    : ""
}
${s.warnings.map((w) => html`<p>${w.text}</p>`)}
<p><a href="#mail">Mail health</a></p></div>`;
}

/**
 * The mail health section: totals and rates, the days, the CSV, and the feedback URLs.
 *
 * @example
 * mailSection(stats.mail, status, "from=…&to=…");
 */
export function mailSection(m: MailFigures, s: MailStatus, query: string): Html {
  const row = (label: Html | string, d: MailFigures | MailFigures["daily"][number]) =>
    html`<tr><td>${label}</td><td class="n">${d.sent}</td><td class="n">${d.delivered}</td><td class="n">${d.hard}</td><td class="n">${d.soft}</td><td class="n">${d.complained}</td><td class="n">${rate(d.complaintRate)}</td><td class="n">${rate(d.hardBounceRate)}</td></tr>`;
  const configured = [s.resend.set && "Resend", s.postmark.set && "Postmark", s.ses.topics.length && "Amazon SES"].filter(Boolean);
  return html`<section id="mail"><h2>Mail health</h2>
<div class="cards">
<div class="card"><span class="muted">Complaint rate</span><b data-figure="complaint-rate">${rate(m.complaintRate)}</b><span class="muted">${m.complained} of ${m.sent} emails; keep under 0.1 %</span></div>
<div class="card"><span class="muted">Hard bounces</span><b data-figure="hard-bounce-rate">${rate(m.hardBounceRate)}</b><span class="muted">${m.hard} hard, ${m.soft} soft</span></div>
<div class="card"><span class="muted">Delivered</span><b data-figure="delivered">${m.delivered}</b><span class="muted">as the provider reported</span></div>
</div>
<div class="scroll"><table id="mail-days"><tr><th>day</th><th class="n">sent</th><th class="n">delivered</th><th class="n">hard</th><th class="n">soft</th><th class="n">complaints</th><th class="n">complaint rate</th><th class="n">hard bounce rate</th></tr>
${m.daily.map((d) => row(d.day, d))}${row(html`<b>all</b>`, m)}</table></div>
<p class="muted">By the day the cart went quiet. <a href="/dashboard/mail.csv?${query}">Export CSV</a></p>
<p>${configured.length ? `Feedback is set up for ${configured.join(", ")}.` : html`<b>No provider feedback is set up:</b> bounces and complaints are not heard.`}
Paste into the provider: Resend <code>${s.urls.resend}</code>, Postmark <code>${s.urls.postmark}</code> (with its user and password), SES (SNS HTTPS subscription) <code>${s.urls.ses}</code>; keys through <code>PUT /v1/sites/:key/mail-feedback</code>.</p>
</section>`;
}
