import { COPY_LANGUAGES } from "../copy/builtin";
import type { ImageDropRow } from "../db/images";
import { formatDuration, formatMinute, formatMoney, formatPercent, type Html, html, layout } from "../html";
import { type SegmentSummary, segmentsSection } from "../segments/dashboard";
import { MAIL_PROVIDERS, REASONS, type SiteSettings, type StepChannel, templateFor } from "../sites/settings";
import type { Site } from "../sites/sites";
import type { InterruptedOrder, Range, Stats } from "../stats/figures";
import { audienceSection, excludedCard } from "./audience";
import { type MailStatus, mailBanner, mailSection } from "./mail";

/** The step channels (sites/settings.ts CHANNELS) as the settings form names them. */
const CHANNEL_CHOICES: [StepChannel, string][] = [
  ["email", "email"],
  ["sms", "text (SMS)"],
  ["sms_if_no_email", "email, or a text without one"],
];

export function signInPage(error?: string): Html {
  return layout(
    "Cartback: sign in",
    html`<section style="max-width:420px;margin:4rem auto">
<h1>Cartback stats</h1><p class="muted">Sign in with your site key and the merchant secret you were given when the site was created.</p>
${error ? html`<p class="errors">${error}</p>` : ""}
<form method="post" action="/dashboard/login">
<label for="site">Site key</label><input id="site" name="site" placeholder="pk_…" required autocomplete="username" style="width:100%">
<label for="secret">Merchant secret</label><input id="secret" name="secret" type="password" placeholder="sk_…" required autocomplete="current-password" style="width:100%">
<p><button type="submit">Sign in</button></p></form></section>`,
  );
}

/** The daily series as an inline SVG: abandoned value (blue) and recovered revenue (green). */
function dailyChart(stats: Stats, money: (n: number) => string): Html {
  if (!stats.daily.length) return html`<p class="muted">No abandoned carts in this range.</p>`;
  const width = 1000;
  const height = 180;
  const max = Math.max(1, ...stats.daily.map((d) => d.value));
  const step = width / stats.daily.length;
  const bars = stats.daily.map((d, i) => {
    const h1 = (d.value / max) * (height - 20);
    const h2 = (d.revenue / max) * (height - 20);
    const x = i * step + step * 0.1;
    const w = step * 0.38;
    return html`<g><title>${d.day}: ${d.abandoned} abandoned (${money(d.value)}), ${d.recovered} recovered (${money(d.revenue)})</title>
<rect class="bar" x="${x}" y="${height - h1}" width="${w}" height="${h1}"></rect><rect class="bar2" x="${x + w}" y="${height - h2}" width="${w}" height="${h2}"></rect></g>`;
  });
  return html`<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="Abandoned value and recovered revenue per day">${bars}</svg>
<p class="muted">${stats.daily[0]?.day} → ${stats.daily.at(-1)?.day}. Blue: value abandoned. Green: revenue recovered.</p>`;
}

export interface DashboardInput {
  site: Site;
  range: Range;
  search: string;
  stats: Stats;
  orders: InterruptedOrder[];
  csrf: string;
  local: boolean;
  notice?: { ok: boolean; text: string; issues?: { path: string; message: string }[] };
  preview: { reason: string; step: number; language: string };
  /** Product images left out of emails, by host and why (db/images.ts), still to fix. */
  imageDrops: ImageDropRow[];
  /** The incentive's single-use code pool (db/codes.ts). */
  pool: { available: number; claimed: number };
  /** The built-in segments' counts (segments/segments.ts); no card without them. */
  segments?: SegmentSummary[];
  /** The platform webhooks: whether a secret is set, and the URLs to paste in the platform's admin. */
  platform: { secretSet: boolean; urls: { shopify: string; woocommerce: string } };
  /** The sending-domain checks remembered for the site (mail/domain/run.ts), newest first. */
  domains?: { domain: string; provider: string; passed: boolean; checkedAt: string }[];
  /** Mail feedback: the pause, the warnings, which providers report back (mail/feedback/). */
  mail: MailStatus;
  /** How many addresses and numbers the site suppresses (db/audience.ts). */
  suppressed: number;
}

/** The sending-domain check: which records the shop's domain needs for its provider, in words. */
function domainSection(s: SiteSettings, domains: NonNullable<DashboardInput["domains"]>, csrf: Html): Html {
  const domain = s.fromAddress?.split("@")[1] ?? "";
  return html`<section id="sending-domain"><h2>Sending domain</h2>
<p class="muted">Mail from your own domain needs SPF, DKIM and DMARC records for your provider; the From address is accepted once its domain passes.</p>
${domains.length ? html`<ul>${domains.map((d) => html`<li><code>${d.domain}</code> for ${d.provider}: ${d.passed ? "passed" : "records missing"} (${d.checkedAt.slice(0, 16).replace("T", " ")} UTC)</li>`)}</ul>` : ""}
<form method="post" action="/dashboard/sending-domain">${csrf}
<label for="check-domain">Domain</label><input id="check-domain" name="domain" value="${domain}" placeholder="shop.example" required>
<label for="check-provider">Provider</label><select id="check-provider" name="provider"><option value="">this site's</option>${["resend", "postmark", "ses", "cloudflare"].map((p) => html`<option value="${p}" ${s.mailProvider === p ? "selected" : ""}>${p}</option>`)}</select>
<label for="check-selectors">DKIM selectors, if your provider gave you some (Postmark's dated one, SES's three tokens)</label><input id="check-selectors" name="dkimSelectors" style="width:100%">
<p><button type="submit">Check the domain</button></p></form></section>`;
}

/** Where to point Shopify's and WooCommerce's order webhooks, and the secret they sign with. */
function platformSection(p: DashboardInput["platform"], csrf: Html): Html {
  return html`<section id="platform"><h2>Webhooks from the platform</h2>
<p>Shopify (topics <code>orders/create</code> and <code>orders/paid</code>, JSON): <code>${p.urls.shopify}</code><br>
WooCommerce (topics <code>order.created</code> and <code>order.updated</code>, API v3): <code>${p.urls.woocommerce}</code></p>
<p>${p.secretSet ? "A platform webhook secret is set." : html`<b>No platform webhook secret yet:</b> the collector refuses every platform webhook until one is set.`}</p>
<form method="post" action="/dashboard/platform-secret" style="display:inline">${csrf}<input type="hidden" name="action" value="generate">
<button type="submit" class="secondary">${p.secretSet ? "Replace it with a new random secret" : "Generate a secret"}</button></form>
<span class="muted">for WooCommerce's webhook form; shown once, and the old one stops working.</span>
<form method="post" action="/dashboard/platform-secret">${csrf}<input type="hidden" name="action" value="set">
<label for="platformSecret">Or set the key Shopify signs with (Settings → Notifications → Webhooks: "Your webhooks will be signed with …")</label>
<input id="platformSecret" name="secret" autocomplete="off" style="width:100%"> <button type="submit">Set secret</button></form></section>`;
}

/** "3 images dropped: host cdn.example is not allowed", one line per host and why. */
function imageDropsSection(drops: ImageDropRow[]): Html | string {
  if (!drops.length) return "";
  const line = (d: ImageDropRow) =>
    html`<li>${d.count} ${d.count === 1 ? "image" : "images"} dropped: ${
      d.reason === "host" ? html`host <code>${d.host}</code> is not allowed` : html`<code>${d.host}</code> sent them over http, not https`
    } <span class="muted">(last ${formatMinute(d.last_at)})</span></li>`;
  return html`<section id="images"><h2>Images left out of emails</h2><ul>${drops.map(line)}</ul>
<p class="muted">Emails show product images only over https, from a host of the allowed origins or of the image hosts (Settings below).</p></section>`;
}

export function dashboardPage(d: DashboardInput): Html {
  const { stats, settings } = { stats: d.stats, settings: d.site.settings };
  const money = (minor: number) => formatMoney(minor, stats.currency ?? "EUR");
  const query = (extra: Record<string, string>) => new URLSearchParams({ from: d.range.from, to: d.range.to, ...extra }).toString();
  const csrf = html`<input type="hidden" name="_csrf" value="${d.csrf}">`;
  const funnelTop = Math.max(1, ...stats.funnel.map((f) => f.shoppers));
  const header = html`<header><h1>${d.site.name} <span class="muted">${d.site.key}</span></h1>
<form method="get" action="/dashboard"><label style="display:inline">From <input type="date" name="from" value="${d.range.from}"></label>
<label style="display:inline">to <input type="date" name="to" value="${d.range.to}"></label> <button class="secondary" type="submit">Show</button></form>
<span>${d.local ? html`<a href="/dev/outbox">Dev outbox</a> · ` : ""}<form method="post" action="/dashboard/logout" style="display:inline">${csrf}<button class="secondary" type="submit">Sign out</button></form></span></header>`;

  return layout(
    `Cartback: ${d.site.name}`,
    html`
${d.notice ? html`<div class="${d.notice.ok ? "ok" : "errors"}" role="status">${d.notice.text}${d.notice.issues?.length ? html`<ul>${d.notice.issues.map((i) => html`<li><code>${i.path}</code>: ${i.message}</li>`)}</ul>` : ""}</div>` : ""}
${mailBanner(d.mail, csrf)}
<div class="cards" id="headline">
<div class="card"><span class="muted">Carts abandoned</span><b data-figure="abandoned">${stats.abandoned.carts}</b><span class="muted">${money(stats.abandoned.value)}</span></div>
<div class="card"><span class="muted">Recovery rate</span><b data-figure="rate">${formatPercent(stats.treated.rate)}</b><span class="muted">${stats.treated.recovered} of ${stats.treated.carts} messaged</span></div>
<div class="card"><span class="muted">Recovered revenue</span><b data-figure="revenue">${money(stats.treated.revenue)}</b><span class="muted">paid orders only</span></div>
<div class="card"><span class="muted">Lift over holdout</span><b data-figure="lift">${stats.lift ? `${stats.lift.points >= 0 ? "+" : ""}${stats.lift.points.toFixed(1)} pts` : "–"}</b>
<span class="muted">${stats.lift ? `95% CI ${stats.lift.ci95[0].toFixed(1)} to ${stats.lift.ci95[1].toFixed(1)}; holdout ${formatPercent(stats.holdout.rate)} of ${stats.holdout.carts}` : "needs shoppers in the holdout group"}</span></div>
<div class="card"><span class="muted">Median time to recover</span><b data-figure="median">${formatDuration(stats.medianTimeToRecoverMs)}</b></div>
${excludedCard(stats, money)}
</div>
<section><h2>Per day</h2>${dailyChart(stats, money)}</section>
<div class="grid2">
<section><h2>Why carts stalled</h2><div class="scroll"><table id="reasons"><tr><th>reason</th><th class="n">carts</th><th class="n">value</th><th class="n">recovered</th><th class="n">rate</th></tr>
${stats.reasons.map((r) => html`<tr><td>${r.reason.replaceAll("_", " ")}</td><td class="n">${r.carts}</td><td class="n">${money(r.value)}</td><td class="n">${r.recovered}</td><td class="n">${formatPercent(r.rate)}</td></tr>`)}
</table></div></section>
<section><h2>Checkout funnel</h2><div class="scroll"><table id="funnel">${stats.funnel.map(
      (f) =>
        html`<tr><td>${f.stage.replace("step:", "step: ")}</td><td class="n">${f.shoppers}</td><td style="width:50%"><svg width="100%" height="12" viewBox="0 0 100 12" preserveAspectRatio="none"><rect class="bar" width="${(f.shoppers / funnelTop) * 100}" height="12"></rect></svg></td></tr>`,
    )}</table></div></section>
</div>
<section><h2>Messages</h2><div class="scroll"><table id="messages"><tr><th>step</th><th class="n">sent</th><th class="n">clicked</th><th class="n">converted</th><th class="n">revenue</th></tr>
${stats.messages.map((m) => html`<tr><td>${m.step + 1}</td><td class="n">${m.sent}</td><td class="n">${m.clicked}</td><td class="n">${m.converted}</td><td class="n">${money(m.revenue)}</td></tr>`)}
</table></div>
${
  stats.channels.length > 1 || stats.channels.some((c) => c.channel !== "email")
    ? html`<div class="scroll"><table id="channels"><tr><th>by channel</th><th class="n">sent</th><th class="n">clicked</th><th class="n">converted</th><th class="n">revenue</th></tr>
${stats.channels.map((c) => html`<tr><td>${c.channel === "sms" ? "text" : "email"}</td><td class="n">${c.sent}</td><td class="n">${c.clicked}</td><td class="n">${c.converted}</td><td class="n">${money(c.revenue)}</td></tr>`)}
</table></div>`
    : ""
}</section>
${mailSection(stats.mail, d.mail, query({}))}
<section><h2>Interrupted orders</h2>
<form method="get" action="/dashboard"><input type="hidden" name="from" value="${d.range.from}"><input type="hidden" name="to" value="${d.range.to}">
<input type="search" name="q" value="${d.search}" placeholder="Search by email"> <button class="secondary" type="submit">Search</button>
<a href="/dashboard/orders.csv?${query(d.search ? { q: d.search } : {})}">Export CSV</a></form>
<table id="orders" class="stack"><tr><th>abandoned</th><th>email</th><th>reason</th><th class="n">value</th><th>status</th><th class="n">messages</th></tr>
${d.orders.map((o) => html`<tr><td data-label="abandoned">${formatMinute(o.abandonedAt)}</td><td data-label="email">${o.email}</td><td data-label="reason">${o.reason.replaceAll("_", " ")}</td><td class="n" data-label="value">${formatMoney(o.value, o.currency)}</td><td data-label="status">${o.status}</td><td class="n" data-label="messages">${o.messagesSent}</td></tr>`)}
</table></section>
${d.segments ? segmentsSection(d.segments, settings.segments.windowDays) : ""}
${imageDropsSection(d.imageDrops)}
${codesSection(d.pool, settings, csrf)}
${platformSection(d.platform, csrf)}
${audienceSection(settings, d.suppressed, csrf)}
${settingsForm(d.site, settings, csrf)}
${domainSection(settings, d.domains ?? [], csrf)}
<section id="preview"><h2>Preview</h2>
<form method="get" action="/dashboard#preview"><input type="hidden" name="from" value="${d.range.from}"><input type="hidden" name="to" value="${d.range.to}">
<label style="display:inline">Reason <select name="reason">${REASONS.map((r) => html`<option value="${r}" ${r === d.preview.reason ? "selected" : ""}>${r.replace("_", " ")}</option>`)}</select></label>
<label style="display:inline">Step <select name="step">${settings.steps.map((_, i) => html`<option value="${i}" ${i === d.preview.step ? "selected" : ""}>${i + 1}</option>`)}</select></label>
<label style="display:inline">Language <select name="language">${COPY_LANGUAGES.map((l) => html`<option value="${l}" ${l === d.preview.language ? "selected" : ""}>${l}</option>`)}</select></label>
<button class="secondary" type="submit">Preview</button></form>
<p class="muted">Rendered from the most recent cart captured on this site (a sample cart if there is none yet).</p>
<iframe title="Email preview" sandbox src="/dashboard/preview?reason=${d.preview.reason}&amp;step=${d.preview.step}&amp;language=${d.preview.language}"></iframe>
<form method="post" action="/dashboard/test-email">${csrf}<input type="hidden" name="reason" value="${d.preview.reason}"><input type="hidden" name="step" value="${d.preview.step}"><input type="hidden" name="language" value="${d.preview.language}">
<label for="test-to">Send me a test</label><input id="test-to" name="to" type="email" required value="${settings.notifyEmail ?? ""}" placeholder="you@shop.example"> <button type="submit">Send test</button></form>
</section>`,
    { header },
  );
}

/** The code pool: what is left, and an upload. Codes are used when the incentive is `unique`. */
function codesSection(pool: { available: number; claimed: number }, s: SiteSettings, csrf: Html): Html {
  const low = s.incentive?.unique && pool.available <= s.incentive.lowAt;
  return html`<section id="codes"><h2>Single-use codes</h2>
<p class="${low ? "errors" : "muted"}">${pool.available} free, ${pool.claimed} given out${s.incentive?.unique ? (low ? ": running low" : "") : ". Not in use: the incentive is one static code (set unique in the merchant API)."}</p>
<form method="post" action="/dashboard/codes">${csrf}<label for="codes-upload">Add codes (one per line, or CSV with the code first)</label><textarea id="codes-upload" name="codes" rows="4"></textarea>
<button type="submit">Add codes</button></form></section>`;
}

function settingsForm(site: Site, s: SiteSettings, csrf: Html): Html {
  return html`<section id="settings"><h2>Settings</h2><form method="post" action="/dashboard/settings">${csrf}
<div class="grid2"><div>
<label for="abandonAfterMinutes">Abandoned after (minutes without activity)</label><input id="abandonAfterMinutes" name="abandonAfterMinutes" type="number" min="1" max="1440" value="${s.abandonAfterMinutes}">
<label>Sequence: minutes after abandonment, which step offers the incentive, and how it goes</label>
${[0, 1, 2, 3, 4].map(
  (i) =>
    html`<div>Step ${i + 1}: <input name="step${i}" type="number" min="0" value="${s.steps[i]?.afterMinutes ?? ""}" placeholder="off" style="width:7em"> <label style="display:inline;font-weight:normal"><input type="checkbox" name="incentive${i}" ${s.steps[i]?.incentive ? "checked" : ""}> incentive</label> <select name="channel${i}" aria-label="Step ${i + 1} channel">${CHANNEL_CHOICES.map(([value, label]) => html`<option value="${value}" ${(s.steps[i]?.channel ?? "email") === value ? "selected" : ""}>${label}</option>`)}</select></div>`,
)}
<label for="holdoutPercent">Holdout share (%): shoppers who get no messages, for the lift</label><input id="holdoutPercent" name="holdoutPercent" type="number" min="0" max="50" step="0.5" value="${s.holdoutPercent}">
<label for="incentiveCode">Incentive code</label><input id="incentiveCode" name="incentiveCode" value="${s.incentive?.code ?? ""}" placeholder="none">
<label for="incentiveDescription">Incentive, in words</label><input id="incentiveDescription" name="incentiveDescription" value="${s.incentive?.description ?? ""}" style="width:100%">
<label for="incentiveHours">Incentive valid for (hours)</label><input id="incentiveHours" name="incentiveHours" type="number" min="1" value="${s.incentive?.expiresInHours ?? ""}">
<label style="font-weight:normal"><input type="checkbox" name="incentiveUnique" ${s.incentive?.unique ? "checked" : ""}> A single-use code per shopper from the pool (the code above when it is empty)</label>
</div><div>
<label for="notifyEmail">Tell me about each interrupted order at</label><input id="notifyEmail" name="notifyEmail" type="email" value="${s.notifyEmail ?? ""}" style="width:100%">
<label for="replyTo">Replies go to (empty: the address above)</label><input id="replyTo" name="replyTo" type="email" value="${s.replyTo ?? ""}" style="width:100%">
<label for="fromAddress">Send from (on a domain that passed the check below; empty: the collector's sender)</label><input id="fromAddress" name="fromAddress" type="email" value="${s.fromAddress ?? ""}" style="width:100%">
<label for="mailProvider">Mail provider</label><select id="mailProvider" name="mailProvider"><option value="">the collector's</option>${MAIL_PROVIDERS.map((p) => html`<option value="${p}" ${s.mailProvider === p ? "selected" : ""}>${p}</option>`)}</select>
<label for="webhookUrl">Webhook URL</label><input id="webhookUrl" name="webhookUrl" type="url" value="${s.webhook?.url ?? ""}" style="width:100%">
<label for="webhookSecret">Webhook secret (16+ characters)</label><input id="webhookSecret" name="webhookSecret" value="${s.webhook?.secret ?? ""}" style="width:100%">
<label style="font-weight:normal"><input type="checkbox" name="requireConsent" ${s.requireConsent ? "checked" : ""}> Store nothing without the shopper's consent (the script tag then needs <code>data-consent="required"</code>)</label>
<label for="origins">Allowed origins (one per line)</label><textarea id="origins" name="origins" rows="3">${site.origins.join("\n")}</textarea>
<label for="imageHosts">Image hosts, besides the origins' (one per line, e.g. <code>cdn.shop.example</code>)</label><textarea id="imageHosts" name="imageHosts" rows="2">${s.imageHosts.join("\n")}</textarea>
<label for="defaultLanguage">Default language (shoppers whose browser prefers another of the built-in languages get theirs)</label><select id="defaultLanguage" name="defaultLanguage">${COPY_LANGUAGES.map((l) => html`<option value="${l}" ${l === s.defaultLanguage ? "selected" : ""}>${l}</option>`)}</select>
<label>Quiet hours, in the shopper's time zone (both empty: send at any hour)</label><input name="quietStart" type="time" value="${s.quietHours?.start ?? ""}"> to <input name="quietEnd" type="time" value="${s.quietHours?.end ?? ""}">
<label for="timeZone">Shop's time zone, for shoppers whose zone is unknown</label><input id="timeZone" name="timeZone" value="${s.timeZone}" placeholder="Europe/Madrid">
</div></div>
<h3>Messages, in the default language (other languages: <code>copy</code> in the merchant API)</h3>
${REASONS.map((reason) => {
  const t = templateFor(s, reason);
  return html`<details><summary>${reason.replace("_", " ")}</summary>
<label>Subject</label><input name="${reason}.subject" value="${t.subject}" style="width:100%">
<label>Heading</label><input name="${reason}.heading" value="${t.heading}" style="width:100%">
<label>Text</label><textarea name="${reason}.body" rows="3">${t.body}</textarea>
<label>Button</label><input name="${reason}.cta" value="${t.cta}"></details>`;
})}
<p><button type="submit">Save settings</button></p></form></section>`;
}
