import { Hono, type MiddlewareHandler } from "hono";
import * as v from "valibot";
import { PHONE_PATTERN } from "../../protocol/limits";
import { SiteKey } from "../../protocol/schema";
import { recordSmsStatus } from "../db/sms-statuses";
import { suppressPhone } from "../db/suppressions";
import { readText } from "../http/body";
import { ApiError } from "../http/errors";
import { parse } from "../http/validate";
import { findSite, type Site } from "../sites/sites";
import { twilioSigned } from "./signature";
import { optsOut, STATUS_RANK, statusRank } from "./status";

/** What a Twilio webhook route knows once the signature checked out. */
export type TwilioEnv = { Bindings: Env; Variables: { params: URLSearchParams; site: Site } };

/** Twilio's webhooks are a few dozen short form fields; anything much bigger is not one. */
export const MAX_TWILIO_BYTES = 64 * 1024;

/**
 * The gate of Twilio's webhooks: the X-Twilio-Signature over the URL and the form body, checked
 * with TWILIO_AUTH_TOKEN in constant time before anything else of the request is read (the site
 * in the query included). Forged, missing, or unverifiable: a 403 naming which. Sets
 * `c.var.params` (the form) and `c.var.site`.
 *
 * @example
 * new Hono<TwilioEnv>().post("/v1/sms/twilio/status", twilioWebhook(), (c) => …);
 */
export function twilioWebhook(): MiddlewareHandler<TwilioEnv> {
  return async (c, next) => {
    const token = c.env.TWILIO_AUTH_TOKEN;
    if (!token) {
      throw new ApiError(
        403,
        "twilio_not_configured",
        "this collector has no TWILIO_AUTH_TOKEN secret, so it cannot tell Twilio's requests from forged ones",
      );
    }
    const signature = c.req.header("x-twilio-signature");
    if (!signature) throw new ApiError(403, "missing_signature", "a Twilio webhook carries an X-Twilio-Signature header");
    const body = await readText(c.req.raw, MAX_TWILIO_BYTES);
    if (body === "too_large") throw new ApiError(413, "payload_too_large", `the body must be at most ${MAX_TWILIO_BYTES} bytes`);
    if (body === "not_utf8") throw new ApiError(400, "invalid_encoding", "the body must be UTF-8");
    const params = new URLSearchParams(body);
    // Twilio signs the URL it was given: PUBLIC_URL's, which a proxy in front may not pass on as is.
    const received = new URL(c.req.url);
    const published = `${c.env.PUBLIC_URL.replace(/\/+$/, "")}${received.pathname}${received.search}`;
    if (!(await twilioSigned(token, signature, [c.req.url, published], [...params]))) {
      throw new ApiError(
        403,
        "invalid_signature",
        `X-Twilio-Signature does not match this request signed with TWILIO_AUTH_TOKEN: the URL in Twilio must be exactly ${published}`,
      );
    }
    const key = v.safeParse(SiteKey, c.req.query("site"));
    if (!key.success) throw new ApiError(400, "invalid_site_key", "the site query parameter must be a site key (pk_…)");
    const site = await findSite(c.env.DB, key.output);
    if (!site) throw new ApiError(404, "unknown_site_key", `no site has the key ${key.output}`);
    c.set("params", params);
    c.set("site", site);
    await next();
  };
}

// Twilio adds parameters without notice (https://www.twilio.com/docs/usage/webhooks/messaging-webhooks),
// so only the fields read are checked, and unknown ones are let through: a refusal would lose the callback.
const StatusCallback = v.object({
  MessageSid: v.pipe(v.string("is missing"), v.regex(/^(SM|MM)[0-9a-f]{32}$/, "must be a message sid (SM… or MM…)")),
  MessageStatus: v.picklist(Object.keys(STATUS_RANK), `must be one of ${Object.keys(STATUS_RANK).join(", ")}`),
  ErrorCode: v.optional(v.pipe(v.string(), v.regex(/^\d{1,9}$/, "must be a Twilio error code"), v.transform(Number))),
});

/** An empty TwiML answer: Twilio itself replies to the opt-out keywords, and we say nothing. */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/**
 * Twilio's webhooks. The status callback each text names
 * (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status) stores the
 * message's status by its sid, monotonically; the incoming-message webhook
 * (https://www.twilio.com/docs/messaging/guides/webhook-request) suppresses a number that replied
 * with an opt-out keyword, for good, and answers empty TwiML.
 *
 * @example
 * // Phone Numbers → Manage → Active numbers → the number → Messaging → "A message comes in", HTTP POST:
 * // https://COLLECTOR/v1/sms/twilio/inbound?site=pk_…
 */
export const twilioHooks = new Hono<TwilioEnv>()
  .post("/v1/sms/twilio/status", twilioWebhook(), async (c) => {
    const p = c.var.params;
    const fields = {
      MessageSid: p.get("MessageSid") ?? undefined,
      // SmsStatus is the older name of the same field, sent beside it.
      MessageStatus: p.get("MessageStatus") ?? p.get("SmsStatus") ?? undefined,
      ...(p.get("ErrorCode") ? { ErrorCode: p.get("ErrorCode") } : {}),
    };
    const status = parse(StatusCallback, fields, 422, "invalid_status_callback", "the status callback does not validate");
    const rank = statusRank(status.MessageStatus) as number;
    await recordSmsStatus(
      c.env.DB,
      { providerId: status.MessageSid, site: c.var.site.id, status: status.MessageStatus, rank, errorCode: status.ErrorCode ?? null },
      Date.now(),
    );
    return c.json({ ok: true }, 200);
  })
  .post("/v1/sms/twilio/inbound", twilioWebhook(), async (c) => {
    const p = c.var.params;
    const from = p.get("From");
    if (!from) throw new ApiError(422, "invalid_message", "the message does not validate", [{ path: "From", message: "is missing" }]);
    // A WhatsApp or other channel's address (whatsapp:+…) is no number this collector texts.
    if (optsOut(p.get("Body"), p.get("OptOutType")) && PHONE_PATTERN.test(from)) {
      await suppressPhone(c.env.DB, c.var.site.id, from, "stop", Date.now());
    }
    return c.body(EMPTY_TWIML, 200, { "content-type": "text/xml; charset=utf-8" });
  });
