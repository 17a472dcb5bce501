import { type Context, Hono } from "hono";
import * as v from "valibot";
import { sameText } from "../../protocol/crypto";
import { describeIssues } from "../../protocol/schema";
import type { Cart } from "../../protocol/types";
import { BUILTIN_COPY, COPY_LANGUAGES, type Language } from "../copy/builtin";
import { liftMerchantSuppressions, suppressForMerchant, suppressionCount } from "../db/audience";
import { latestCart } from "../db/browsers";
import { addCodes } from "../db/codes";
import { resumeSending } from "../db/feedback";
import { savePlatformSecret } from "../db/platforms";
import { secretOf } from "../db/sites";
import { html, layout } from "../html";
import {
  type DashboardEnv,
  dashboardSession,
  endSession,
  formIsGenuine,
  formOf,
  readSession,
  type Session,
  startSession,
} from "../http/auth";
import { isLocalHost } from "../http/local";
import { checkedProvider, DomainCheckRequest, listDomainChecks, runDomainCheck } from "../mail/domain/run";
import { feedbackStatus } from "../mail/feedback/merchant";
import { mailerFor } from "../mail/mailer";
import { renderRecovery, siteFrom } from "../mail/render";
import { csvPeople } from "../merchant/people";
import { hookUrls, newPlatformSecret, PlatformSecret } from "../platforms/secret";
import { peopleOf, summaryOf } from "../segments/segments";
import { parseCodes } from "../sites/codes";
import { hostAllowed, originHost } from "../sites/hosts";
import { REASONS, type Reason, type Template } from "../sites/settings";
import { findSite, type Site } from "../sites/sites";
import { updateSettings } from "../sites/update";
import { computeStats, dashboardData, interruptedOrders, type Range, toCsv } from "../stats/figures";
import { mailCsv } from "../stats/mail";
import { RangeQuery } from "../stats/routes";
import { audiencePatch } from "./audience";
import { dashboardPage, signInPage } from "./page";

type Dashboard = DashboardEnv;

const SAMPLE: Cart = { currency: "EUR", lines: [{ id: "sample", name: "Sample product", price: 2500, quantity: 1 }] };

const toDashboard = (c: Context) => c.redirect("/dashboard", 303);
const expired = (c: Context) => errorPage(c, 403, "This form has expired; reload the page.");

const errorPage = (c: Context, status: 400 | 401 | 403, text: string) =>
  c.html(
    layout("Cartback", html`<section><p class="errors">${text}</p><p><a href="/dashboard">Back to the dashboard</a></p></section>`),
    status,
  );

async function render(
  c: Context<Dashboard>,
  session: Session,
  range: Range,
  notice?: Parameters<typeof dashboardPage>[0]["notice"],
  status: 200 | 422 = 200,
) {
  const search = c.req.query("q")?.slice(0, 254) ?? "";
  const reason = (REASONS as readonly string[]).includes(c.req.query("reason") ?? "") ? (c.req.query("reason") as Reason) : "reminder";
  const step = Math.min(Math.max(Number(c.req.query("step")) || 0, 0), session.site.settings.steps.length - 1);
  const language = previewLanguage(c.req.query("language"), session.site);
  const [{ stats, orders, drops, pool, platformSecret }, suppressed, mail, people] = await Promise.all([
    dashboardData(c.env.DB, session.site.id, range, search || undefined),
    suppressionCount(c.env.DB, session.site.id),
    feedbackStatus(c.env, session.site, Date.now()),
    peopleOf(c.env.DB, session.site, Date.now()),
  ]);
  const segments = summaryOf(session.site, people);
  // A host allowed since its images were dropped is fixed: not listed.
  const hosts = [...session.site.origins.map(originHost), ...session.site.settings.imageHosts];
  const imageDrops = drops.filter((d) => d.reason !== "host" || !hostAllowed(hosts, d.host));
  c.header("Cache-Control", "no-store");
  c.header(
    "Content-Security-Policy",
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'",
  );
  return c.html(
    dashboardPage({
      site: session.site,
      range,
      search,
      stats,
      orders,
      csrf: session.csrf,
      local: isLocalHost(c.req.url),
      notice,
      preview: { reason, step, language },
      imageDrops,
      pool,
      segments,
      platform: { secretSet: Boolean(platformSecret), urls: hookUrls(c.env.PUBLIC_URL, session.site.key) },
      domains: await listDomainChecks(c.env.DB, session.site.id),
      mail,
      suppressed,
    }),
    status,
  );
}

/** The latest cart this site captured, for previews; a sample one before any. */
async function previewCart(db: D1Database, site: number): Promise<Cart> {
  const cart = await latestCart(db, site);
  return cart ? { currency: cart.currency, lines: cart.lines } : SAMPLE;
}

/** The preview's language: any built-in one the merchant picks, the site's default otherwise. */
const previewLanguage = (value: string | undefined, site: Site): Language =>
  (COPY_LANGUAGES as readonly string[]).includes(value ?? "") ? (value as Language) : site.settings.defaultLanguage;

function previewMail(env: Env, site: Site, cart: Cart, reason: Reason, step: number, to: string, language: Language) {
  return renderRecovery({
    language,
    to,
    from: siteFrom(site, env.MAIL_FROM),
    messageId: `test-${crypto.randomUUID()}`,
    shop: site.settings.shopName ?? site.name,
    origins: site.origins,
    settings: site.settings,
    reason,
    step,
    name: "Ana",
    cart,
    restoreUrl: `${env.PUBLIC_URL.replace(/\/+$/, "")}/dashboard#preview`,
    unsubscribeUrl: `${env.PUBLIC_URL.replace(/\/+$/, "")}/dashboard#preview`,
  });
}

/** The settings form, as a patch for `updateSettings`; empty optional fields remove the setting. */
function settingsPatch(form: Record<string, string>, site: Site): Record<string, unknown> {
  const num = (name: string) => (form[name]?.trim() ? Number(form[name]) : undefined);
  const text = (name: string) => form[name]?.trim() || undefined;
  const steps = [0, 1, 2, 3, 4].flatMap((i) =>
    form[`step${i}`]?.trim()
      ? [
          {
            afterMinutes: Number(form[`step${i}`]),
            incentive: form[`incentive${i}`] === "on",
            // A form without the field (an older page) keeps the step's channel rather than resetting it.
            channel: form[`channel${i}`] || site.settings.steps[i]?.channel || "email",
          },
        ]
      : [],
  );
  // Only the templates the form carries; one left as the default stays the default (and follows
  // future improvements to it) instead of being stored as a copy.
  const templates: Record<string, Template | undefined> = { ...site.settings.templates };
  for (const r of REASONS) {
    if (form[`${r}.subject`] === undefined) continue;
    const t = {
      subject: form[`${r}.subject`] ?? "",
      heading: form[`${r}.heading`] ?? "",
      body: form[`${r}.body`] ?? "",
      cta: form[`${r}.cta`] ?? "",
    };
    // The built-in copy of the default language, before or after this form changes it.
    const builtIn = [site.settings.defaultLanguage, previewLanguage(form.defaultLanguage, site)].map((l) => BUILTIN_COPY[l].templates[r]);
    const same = builtIn.some((d) => t.subject === d.subject && t.heading === d.heading && t.body === d.body && t.cta === d.cta);
    templates[r] = same ? undefined : t;
  }
  const list = (name: string) => (form[name] ?? "").split(/\s+/).filter(Boolean);
  return {
    // The form's lists, one per line; a form without the field leaves the list as it is.
    origins: list("origins"),
    ...(form.imageHosts !== undefined && { imageHosts: list("imageHosts") }),
    abandonAfterMinutes: num("abandonAfterMinutes"),
    steps,
    holdoutPercent: num("holdoutPercent"),
    requireConsent: form.requireConsent === "on",
    incentive: text("incentiveCode")
      ? {
          // What the form does not show (the pool's fallback and low mark) is kept.
          ...(site.settings.incentive && { whenPoolEmpty: site.settings.incentive.whenPoolEmpty, lowAt: site.settings.incentive.lowAt }),
          code: text("incentiveCode"),
          description: text("incentiveDescription") ?? "",
          expiresInHours: num("incentiveHours"),
          unique: form.incentiveUnique === "on",
        }
      : undefined,
    notifyEmail: text("notifyEmail"),
    replyTo: text("replyTo"),
    ...(form.fromAddress !== undefined && { fromAddress: text("fromAddress") }),
    ...(form.mailProvider !== undefined && { mailProvider: text("mailProvider") }),
    webhook: text("webhookUrl") ? { url: text("webhookUrl"), secret: form.webhookSecret ?? "" } : undefined,
    templates,
    ...(form.defaultLanguage !== undefined && { defaultLanguage: form.defaultLanguage }),
    ...(form.timeZone !== undefined && { timeZone: text("timeZone") }),
    ...(form.quietStart !== undefined && {
      quietHours: text("quietStart") || text("quietEnd") ? { start: form.quietStart ?? "", end: form.quietEnd ?? "" } : null,
    }),
  };
}

/**
 * The merchant's dashboard at `/dashboard`: sign in with the site key and secret; figures, reasons,
 * funnel, messages and interrupted orders for a date range; settings with a live preview. Every
 * form carries a CSRF token; nothing needs JavaScript.
 */
export const dashboard = new Hono<Dashboard>()
  .get("/dashboard", dashboardSession({ signedOut: (c) => c.html(signInPage()) }), async (c) => {
    const { session } = c.var;
    const range = v.safeParse(RangeQuery, { from: c.req.query("from") || undefined, to: c.req.query("to") || undefined });
    if (!range.success)
      return errorPage(
        c,
        400,
        `Bad dates: ${describeIssues(range.issues)
          .map((i) => i.message)
          .join("; ")}`,
      );
    return render(c, session, range.output);
  })
  .post("/dashboard/login", async (c) => {
    const origin = c.req.header("origin");
    if (origin && origin !== new URL(c.req.url).origin) return errorPage(c, 403, "Sign in from the dashboard's own page.");
    const form = await formOf(c);
    const site = await findSite(c.env.DB, String(form.site ?? "").trim());
    const secret = site && (await secretOf(c.env.DB, site));
    if (!site || !secret || !(await sameText(String(form.secret ?? "").trim(), secret)))
      return c.html(signInPage("That site key and secret do not match."), 401);
    await startSession(c, site, secret);
    return c.redirect("/dashboard", 303);
  })
  .post("/dashboard/logout", async (c) => {
    const session = await readSession(c);
    if (session && !(await formIsGenuine(c, session, await formOf(c)))) return errorPage(c, 403, "This form has expired; reload the page.");
    await endSession(c, session);
    return c.redirect("/dashboard", 303);
  })
  .get("/dashboard/orders.csv", dashboardSession({ signedOut: toDashboard }), async (c) => {
    const { session } = c.var;
    const range = v.safeParse(RangeQuery, { from: c.req.query("from") || undefined, to: c.req.query("to") || undefined });
    if (!range.success) return errorPage(c, 400, "Bad dates.");
    const orders = await interruptedOrders(c.env.DB, session.site.id, range.output, { search: c.req.query("q") || undefined, limit: 500 });
    c.header("Content-Disposition", `attachment; filename="interrupted-orders-${range.output.from}-${range.output.to}.csv"`);
    return c.body(toCsv(orders), 200, { "Content-Type": "text/csv; charset=utf-8" });
  })
  /** The mail figures per day (issue 22.3), as the stats API's `mail.daily`. */
  .get("/dashboard/mail.csv", dashboardSession({ signedOut: toDashboard }), async (c) => {
    const range = v.safeParse(RangeQuery, { from: c.req.query("from") || undefined, to: c.req.query("to") || undefined });
    if (!range.success) return errorPage(c, 400, "Bad dates.");
    const { mail } = await computeStats(c.env.DB, c.var.session.site.id, range.output);
    c.header("Content-Disposition", `attachment; filename="mail-${range.output.from}-${range.output.to}.csv"`);
    return c.body(mailCsv(mail), 200, { "Content-Type": "text/csv; charset=utf-8" });
  })
  /** The merchant resumes sending after the complaint rate paused it. */
  .post("/dashboard/mail-resume", dashboardSession({ form: true, signedOut: toDashboard, forged: expired }), async (c) => {
    await resumeSending(c.env.DB, c.var.session.site.id, Date.now());
    return render(c, c.var.session, v.parse(RangeQuery, {}), { ok: true, text: "Sending resumed." });
  })
  .post("/dashboard/settings", dashboardSession({ form: true, signedOut: toDashboard, forged: expired }), async (c) => {
    const { session, form } = c.var;
    const range = v.parse(RangeQuery, {});
    const result = await updateSettings(c.env.DB, session.site, settingsPatch(form, session.site), c.env);
    if (!result.ok) return render(c, session, range, { ok: false, text: "Nothing was saved.", issues: result.issues }, 422);
    const fresh = await readSession(c);
    return render(c, fresh ?? session, range, { ok: true, text: "Settings saved." });
  })
  /** The sending-domain check, as the merchant API's: the findings in words, remembered. */
  .post("/dashboard/sending-domain", dashboardSession({ form: true, signedOut: toDashboard, forged: expired }), async (c) => {
    const { session, form } = c.var;
    const range = v.parse(RangeQuery, {});
    const selectors = (form.dkimSelectors ?? "").split(/[\s,]+/).filter(Boolean);
    const asked = v.safeParse(DomainCheckRequest, {
      domain: form.domain ?? "",
      provider: form.provider || undefined,
      dkimSelectors: selectors,
    });
    if (!asked.success)
      return render(c, session, range, { ok: false, text: "Nothing was checked.", issues: describeIssues(asked.issues) }, 422);
    const provider = checkedProvider(c.env, session.site, asked.output.provider);
    if (!provider)
      return render(c, session, range, { ok: false, text: "Choose the provider to check for: this site sends to the outbox." }, 422);
    const { report, text } = await runDomainCheck(c.env, session.site, asked.output, provider);
    const issues = report.findings.map((f) => ({ path: `${f.record}: ${f.status}`, message: f.says }));
    return render(c, session, range, { ok: report.passed, text: report.checked ? (text.split("\n")[0] as string) : text, issues });
  })
  /** Single-use incentive codes, pasted one per line or as CSV: the merchant API's upload. */
  .post("/dashboard/codes", dashboardSession({ form: true, signedOut: toDashboard, forged: expired }), async (c) => {
    const { session, form } = c.var;
    const range = v.parse(RangeQuery, {});
    const codes = parseCodes(form.codes ?? "");
    if (!codes.ok) return render(c, session, range, { ok: false, text: "No codes were added.", issues: codes.issues }, 422);
    const { added } = await addCodes(c.env.DB, session.site.id, codes.codes, Date.now(), session.site.settings.incentive?.lowAt ?? 20);
    return render(c, session, range, { ok: true, text: `${added} codes added (${codes.codes.length - added} already in the pool).` });
  })
  /** The audience mode and the exclusion rules (docs/audience.md), validated like the merchant API's settings. */
  .post("/dashboard/audience", dashboardSession({ form: true, signedOut: toDashboard, forged: expired }), async (c) => {
    const { session, form } = c.var;
    const range = v.parse(RangeQuery, {});
    const read = audiencePatch(form);
    if (!read.ok) return render(c, session, range, { ok: false, text: "Nothing was saved.", issues: read.issues }, 422);
    const result = await updateSettings(c.env.DB, session.site, read.patch);
    if (!result.ok) return render(c, session, range, { ok: false, text: "Nothing was saved.", issues: result.issues }, 422);
    return render(c, (await readSession(c)) ?? session, range, { ok: true, text: "Audience saved." });
  })
  /** Suppresses (or lifts the merchant's own suppressions of) a pasted list or an uploaded CSV, all or nothing. */
  .post("/dashboard/suppressions", dashboardSession({ form: true, signedOut: toDashboard, forged: expired }), async (c) => {
    const { session, form } = c.var;
    const range = v.parse(RangeQuery, {});
    // The CSRF check read the text fields; the file is read from the same parsed body.
    const file = (await c.req.parseBody()).file;
    const texts = [form.list ?? "", file instanceof File && file.size ? await file.text() : ""].filter((t) => t.trim());
    if (file instanceof File && file.size > 5_000_000)
      return render(c, session, range, { ok: false, text: "A file is at most 5 MB; upload a bigger one in parts." }, 422);
    if (!texts.length) return render(c, session, range, { ok: false, text: "Paste addresses or choose a CSV file." }, 422);
    const lists = texts.map(csvPeople);
    const issues = lists.flatMap((l) => (l.ok ? [] : l.issues));
    if (issues.length) return render(c, session, range, { ok: false, text: "Nothing was changed.", issues }, 422);
    const emails = lists.flatMap((l) => (l.ok ? l.emails : []));
    const phones = lists.flatMap((l) => (l.ok ? l.phones : []));
    if (form.action === "lift") {
      const { removed, kept } = await liftMerchantSuppressions(c.env.DB, session.site.id, emails, phones);
      const stays = kept.length
        ? ` ${kept.length} stay suppressed: the shopper unsubscribed or the provider reported them, which only they can undo.`
        : "";
      return render(c, session, range, { ok: true, text: `${removed} of your suppressions lifted.${stays}` });
    }
    const added = await suppressForMerchant(c.env.DB, session.site.id, emails, phones, Date.now());
    return render(c, session, range, {
      ok: true,
      text: `${added.emails + added.phones} suppressed (${emails.length + phones.length - added.emails - added.phones} already were).`,
    });
  })
  /** Generates a platform webhook secret (shown once, in the notice) or sets the platform's own (Shopify's signing key). */
  .post("/dashboard/platform-secret", dashboardSession({ form: true, signedOut: toDashboard, forged: expired }), async (c) => {
    const { session, form } = c.var;
    const range = v.parse(RangeQuery, {});
    if (form.action === "generate") {
      const secret = newPlatformSecret();
      await savePlatformSecret(c.env.DB, session.site.id, secret);
      return render(c, session, range, {
        ok: true,
        text: `New platform webhook secret, shown this once: ${secret} (paste it into the platform's webhook form; the previous one no longer works).`,
      });
    }
    const secret = v.safeParse(PlatformSecret, form.secret ?? "");
    if (!secret.success) {
      return render(
        c,
        session,
        range,
        { ok: false, text: "Nothing was saved.", issues: describeIssues(secret.issues).map((i) => ({ ...i, path: "secret" })) },
        422,
      );
    }
    await savePlatformSecret(c.env.DB, session.site.id, secret.output);
    return render(c, session, range, { ok: true, text: "Platform webhook secret set." });
  })
  .get("/dashboard/preview", dashboardSession({ signedOut: (c) => errorPage(c, 401, "Sign in to the dashboard first.") }), async (c) => {
    const { session } = c.var;
    const reason = (REASONS as readonly string[]).includes(c.req.query("reason") ?? "") ? (c.req.query("reason") as Reason) : "reminder";
    const step = Math.min(Math.max(Number(c.req.query("step")) || 0, 0), session.site.settings.steps.length - 1);
    const language = previewLanguage(c.req.query("language"), session.site);
    const cart = await previewCart(c.env.DB, session.site.id);
    const mail = previewMail(c.env, session.site, cart, reason, step, "preview@example.com", language);
    c.header("Content-Security-Policy", "default-src 'none'; img-src *; style-src 'unsafe-inline'; frame-ancestors 'self'");
    return c.html(mail.html);
  })
  .post("/dashboard/test-email", dashboardSession({ form: true, signedOut: toDashboard, forged: expired }), async (c) => {
    const { session, form } = c.var;
    const to = v.safeParse(v.pipe(v.string(), v.trim(), v.email()), form.to ?? "");
    const range = v.parse(RangeQuery, {});
    if (!to.success) return render(c, session, range, { ok: false, text: "Give an email address for the test." }, 422);
    const reason = (REASONS as readonly string[]).includes(form.reason ?? "") ? (form.reason as Reason) : "reminder";
    const language = previewLanguage(form.language, session.site);
    const cart = await previewCart(c.env.DB, session.site.id);
    const mail = previewMail(c.env, session.site, cart, reason, Number(form.step) || 0, to.output, language);
    await mailerFor(c.env, session.site).send({ ...mail, subject: `[Test] ${mail.subject}` });
    return render(c, session, range, { ok: true, text: `Test email sent to ${to.output}.` });
  });
