import { Hono, type MiddlewareHandler } from "hono";
import * as v from "valibot";
import { fromBase64, hex, sameText } from "../../../protocol/crypto";
import { describeIssues, SiteKey } from "../../../protocol/schema";
import { type FeedbackKeys, feedbackKeys, keepReceipt, receiptOf } from "../../db/feedback";
import { readText } from "../../http/body";
import { ApiError } from "../../http/errors";
import { findSite, type Site } from "../../sites/sites";
import { applyFeedback } from "./apply";
import type { FeedbackEvent } from "./outcome";
import { postmarkEvents, resendEvents, sesEvents } from "./providers";
import { isSnsUrl, type SnsMessage, snsNetwork, verifySns } from "./sns";
import { verifyStandardWebhook } from "./standard-webhooks";

/** What a feedback route knows once the site and its keys are read. */
type FeedbackEnv = { Bindings: Env; Variables: { site: Site; keys: FeedbackKeys | null; body: string } };

/** Feedback bodies are a few kilobytes (SES's carry the original headers); anything much bigger is not one. */
export const MAX_FEEDBACK_BYTES = 256 * 1024;
/** How old an SNS message's Timestamp may be: SNS retries an HTTPS endpoint for about an hour by default. */
const SNS_TOLERANCE_MS = 60 * 60_000;

/** The site named by `?site=` and its feedback keys, and the body as text (signatures are over it). */
function feedbackSite(): MiddlewareHandler<FeedbackEnv> {
  return async (c, next) => {
    const key = v.safeParse(SiteKey, c.req.query("site"));
    if (!key.success) throw new ApiError(400, "invalid_site_key", "the site query parameter must be a site key (pk_…)");
    const site = await findSite(c.env.DB, key.output);
    if (!site) throw new ApiError(404, "unknown_site_key", `no site has the key ${key.output}`);
    const body = await readText(c.req.raw, MAX_FEEDBACK_BYTES);
    if (body === "too_large") throw new ApiError(413, "payload_too_large", `the body must be at most ${MAX_FEEDBACK_BYTES} bytes`);
    if (body === "not_utf8") throw new ApiError(400, "invalid_encoding", "the body must be UTF-8");
    c.set("site", site);
    c.set("keys", await feedbackKeys(c.env.DB, site.id));
    c.set("body", body);
    await next();
  };
}

const notConfigured = (provider: string, what: string) =>
  new ApiError(
    403,
    "feedback_not_configured",
    `this site has no ${what} for ${provider}: set it with PUT /v1/sites/:key/mail-feedback (docs/mail-feedback.md)`,
  );

const json = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    throw new ApiError(400, "invalid_json", "the body is not JSON");
  }
};

const refuse = (issues: v.BaseIssue<unknown>[], what: string): never => {
  throw new ApiError(422, "invalid_feedback", `the ${what} does not validate`, describeIssues(issues));
};

/**
 * Takes a verified delivery once: a redelivery (same provider id, same body) is answered and
 * changes nothing; the same id with another body is a replay and refused.
 */
async function takeOnce(env: Env, site: Site, provider: string, eventId: string, body: string, events: FeedbackEvent[]) {
  const hash = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  const seen = await receiptOf(env.DB, provider, eventId);
  if (seen !== null) {
    if (seen !== hash) throw new ApiError(409, "replayed_id", `${provider} event ${eventId} was taken before with another body`);
    return { ok: true, duplicate: true };
  }
  const now = Date.now();
  const applied = await applyFeedback(env, site, events, now);
  await keepReceipt(env.DB, provider, eventId, site.id, hash, now);
  return { ok: true, ...applied };
}

/** Constant-time check of an `Authorization: Basic` header against the stored user and password. */
async function basicAuthorised(header: string | undefined, user: string, password: string): Promise<boolean> {
  const given = /^Basic\s+(\S+)$/i.exec(header ?? "")?.[1];
  if (!given) return false;
  let decoded: string;
  try {
    decoded = new TextDecoder().decode(fromBase64(given));
  } catch {
    return false;
  }
  return sameText(decoded, `${user}:${password}`);
}

const SnsEnvelope = v.looseObject({
  Type: v.picklist(["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"], "must be an SNS message type"),
  MessageId: v.pipe(v.string("is missing"), v.minLength(1)),
  TopicArn: v.pipe(v.string("is missing"), v.regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]{1,256}$/, "must be an SNS topic ARN")),
  Message: v.string("is missing"),
  Timestamp: v.string("is missing"),
  SignatureVersion: v.string("is missing"),
  Signature: v.string("is missing"),
  SigningCertURL: v.string("is missing"),
  Subject: v.optional(v.string()),
  SubscribeURL: v.optional(v.string()),
  Token: v.optional(v.string()),
});

/**
 * The mail providers' feedback: Resend's signed webhooks, Postmark's webhooks (Basic auth on the
 * URL), and Amazon SES through SNS (signed notifications; the subscription confirmed by visiting
 * SNS's own SubscribeURL). Each is verified before anything of it is read or stored; a refusal is
 * a 4xx naming the problem. docs/mail-feedback.md says what to paste where.
 *
 * @example
 * // Resend → Webhooks → Add endpoint: https://COLLECTOR/v1/mail/resend/events?site=pk_…
 */
export const feedbackHooks = new Hono<FeedbackEnv>()
  .post("/v1/mail/resend/events", feedbackSite(), async (c) => {
    const secret = c.var.keys?.resend_secret;
    if (!secret) throw notConfigured("Resend", "webhook signing secret");
    const problem = await verifyStandardWebhook(secret, c.req.raw.headers, c.var.body, Date.now());
    if (problem === "missing_signature")
      throw new ApiError(401, problem, "a Resend webhook carries svix-id, svix-timestamp and svix-signature (or webhook-*) headers");
    if (problem === "stale_timestamp")
      throw new ApiError(400, problem, "the signed timestamp is more than 5 minutes from the collector's clock");
    if (problem)
      throw new ApiError(401, "invalid_signature", "the signature does not match this body signed with the site's Resend signing secret");
    const id = (c.req.header("svix-id") ?? c.req.header("webhook-id")) as string;
    const body = json(c.var.body);
    const events = resendEvents(body, id, Date.now());
    if ("issues" in events) return refuse(events.issues, "Resend event");
    return c.json(await takeOnce(c.env, c.var.site, "resend", id, c.var.body, events));
  })
  .post("/v1/mail/postmark/events", feedbackSite(), async (c) => {
    const { postmark_user: user, postmark_password: password } = c.var.keys ?? {};
    if (!user || !password) throw notConfigured("Postmark", "webhook user and password");
    if (!(await basicAuthorised(c.req.header("authorization"), user, password))) {
      c.header("www-authenticate", 'Basic realm="cartback mail feedback"');
      throw new ApiError(
        401,
        "invalid_credentials",
        "a Postmark webhook carries the user and password of its URL (https://user:password@…) as Basic auth",
      );
    }
    const parsed = postmarkEvents(json(c.var.body), Date.now());
    if ("issues" in parsed) return refuse(parsed.issues, "Postmark webhook");
    return c.json(await takeOnce(c.env, c.var.site, "postmark", parsed.eventId, c.var.body, parsed.events));
  })
  .post("/v1/mail/ses/events", feedbackSite(), async (c) => {
    const topics = JSON.parse(c.var.keys?.ses_topics ?? "[]") as string[];
    if (!topics.length) throw notConfigured("Amazon SES", "SNS topic ARN");
    const envelope = json(c.var.body) as Record<string, unknown> | null;
    if (!envelope || typeof envelope !== "object" || typeof envelope.Signature !== "string") {
      throw new ApiError(401, "missing_signature", "an SNS message carries Signature, SignatureVersion and SigningCertURL");
    }
    const parsed = v.safeParse(SnsEnvelope, envelope);
    if (!parsed.success) return refuse(parsed.issues, "SNS message");
    const m = parsed.output as SnsMessage;
    // Anyone can sign through SNS with a topic of their own: only the site's topics are taken.
    if (!topics.includes(m.TopicArn)) throw new ApiError(403, "unknown_topic", `${m.TopicArn} is not one of this site's SNS topics`);
    const problem = await verifySns(m);
    if (problem === "untrusted_certificate_url")
      throw new ApiError(401, problem, "SigningCertURL must be an https://sns.<region>.amazonaws.com/….pem address");
    if (problem === "unsupported_signature_version") throw new ApiError(401, problem, "SignatureVersion must be 1 or 2");
    if (problem === "certificate_unavailable")
      throw new ApiError(401, problem, "the signing certificate could not be fetched; SNS will retry");
    if (problem) throw new ApiError(401, "invalid_signature", "the signature does not match this message and SNS's signing certificate");
    const sent = Date.parse(m.Timestamp);
    if (!Number.isFinite(sent) || Math.abs(Date.now() - sent) > SNS_TOLERANCE_MS) {
      throw new ApiError(400, "stale_timestamp", "the SNS message's Timestamp is more than an hour from the collector's clock");
    }
    if (m.Type === "SubscriptionConfirmation") {
      if (!isSnsUrl(m.SubscribeURL))
        throw new ApiError(400, "untrusted_subscribe_url", "SubscribeURL must be an https://sns.<region>.amazonaws.com/ address");
      const res = await snsNetwork.fetch(m.SubscribeURL as string, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
      if (!res?.ok)
        throw new ApiError(502, "subscription_not_confirmed", "SNS did not confirm the subscription; it will send the confirmation again");
      return c.json({ ok: true, confirmed: m.TopicArn });
    }
    if (m.Type === "UnsubscribeConfirmation") return c.json({ ok: true });
    const events = sesEvents(json(m.Message), m.MessageId, Date.now());
    if ("issues" in events) return refuse(events.issues, "SES notification");
    return c.json(await takeOnce(c.env, c.var.site, "ses", m.MessageId, c.var.body, events));
  });
