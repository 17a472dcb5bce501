import { Hono } from "hono";
import * as v from "valibot";
import { randomToken } from "../../../protocol/crypto";
import { feedbackKeys, pauseOf, resumeSending, saveFeedbackKeys } from "../../db/feedback";
import { type Merchant, merchantOnly } from "../../http/auth";
import { jsonBody } from "../../http/validate";
import type { Site } from "../../sites/sites";
import { mailHealth } from "./apply";
import { warningsFor } from "./outcome";

/**
 * The URLs each provider's feedback goes to for a site, as pasted into the provider.
 *
 * @example
 * feedbackUrls("https://collector.example", "pk_…").resend; // "https://collector.example/v1/mail/resend/events?site=pk_…"
 */
export function feedbackUrls(publicUrl: string, key: string): { resend: string; postmark: string; ses: string } {
  const base = publicUrl.replace(/\/+$/, "");
  const site = `?site=${encodeURIComponent(key)}`;
  return {
    resend: `${base}/v1/mail/resend/events${site}`,
    postmark: `${base}/v1/mail/postmark/events${site}`,
    ses: `${base}/v1/mail/ses/events${site}`,
  };
}

/** Postmark's webhook URL with its Basic auth credentials in it, as Postmark's form takes it. */
const postmarkUrl = (url: string, user: string, password: string): string =>
  url.replace(/^(https?:\/\/)/, `$1${encodeURIComponent(user)}:${encodeURIComponent(password)}@`);

/** `PUT /v1/sites/:key/mail-feedback`: any of the keys; a field left out keeps what was stored. */
const KeysBody = v.strictObject({
  resendSecret: v.optional(v.pipe(v.string(), v.regex(/^whsec_[A-Za-z0-9+/=]{16,200}$/, "must be Resend's signing secret (whsec_…)"))),
  postmarkUser: v.optional(
    v.pipe(v.string(), v.regex(/^[\x21-\x39\x3b-\x7e]{8,100}$/, "must be 8-100 printable characters, no spaces or colons")),
  ),
  postmarkPassword: v.optional(v.pipe(v.string(), v.regex(/^[\x21-\x7e]{16,200}$/, "must be 16-200 printable characters without spaces"))),
  sesTopicArns: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]{1,256}$/, "must be an SNS topic ARN"))),
      v.maxLength(10),
    ),
  ),
});

/** What the merchant sees of a site's feedback: what is set (never a secret), the URLs, the pause, the warnings. */
export async function feedbackStatus(env: Env, site: Site, now: number) {
  const [keys, pause, health] = await Promise.all([
    feedbackKeys(env.DB, site.id),
    pauseOf(env.DB, site.id),
    mailHealth(env.DB, site.id, now),
  ]);
  return {
    resend: { set: Boolean(keys?.resend_secret) },
    postmark: { set: Boolean(keys?.postmark_user && keys.postmark_password) },
    ses: { topics: JSON.parse(keys?.ses_topics ?? "[]") as string[] },
    urls: feedbackUrls(env.PUBLIC_URL, site.key),
    paused: pause?.paused_at ? { at: pause.paused_at, why: pause.why } : null,
    health,
    warnings: warningsFor(health),
  };
}

/**
 * The merchant API of mail feedback: `GET /v1/sites/:key/mail-feedback` (what is set, the URLs to
 * paste, whether sending is paused, the 7-day figures and warnings), `PUT` to set keys,
 * `POST …/postmark` for new random Postmark credentials (answered once, inside the URL to paste),
 * and `POST …/resume` to resume sending after a pause.
 *
 * @example
 * await fetch(`${collector}/v1/sites/${key}/mail-feedback`, { method: "PUT", headers, body: JSON.stringify({ resendSecret: "whsec_…" }) });
 */
export const feedbackMerchant = new Hono<Merchant>()
  .use("/v1/sites/:key/mail-feedback", merchantOnly)
  .use("/v1/sites/:key/mail-feedback/*", merchantOnly)
  .get("/v1/sites/:key/mail-feedback", async (c) => c.json(await feedbackStatus(c.env, c.var.site, Date.now())))
  .put(
    "/v1/sites/:key/mail-feedback",
    jsonBody(KeysBody, "invalid_feedback_keys", "send any of resendSecret, postmarkUser + postmarkPassword, sesTopicArns"),
    async (c) => {
      const b = c.req.valid("json");
      await saveFeedbackKeys(c.env.DB, c.var.site.id, {
        resend_secret: b.resendSecret,
        postmark_user: b.postmarkUser,
        postmark_password: b.postmarkPassword,
        ses_topics: b.sesTopicArns && JSON.stringify(b.sesTopicArns),
      });
      return c.json(await feedbackStatus(c.env, c.var.site, Date.now()));
    },
  )
  .post("/v1/sites/:key/mail-feedback/postmark", async (c) => {
    const user = `cb_${randomToken(6)}`;
    const password = randomToken(24);
    await saveFeedbackKeys(c.env.DB, c.var.site.id, { postmark_user: user, postmark_password: password });
    const url = postmarkUrl(feedbackUrls(c.env.PUBLIC_URL, c.var.site.key).postmark, user, password);
    return c.json({ user, password, url }, 201);
  })
  .post("/v1/sites/:key/mail-feedback/resume", async (c) => {
    await resumeSending(c.env.DB, c.var.site.id, Date.now());
    return c.json({ resumed: true });
  });
