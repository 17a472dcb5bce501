// Outgoing webhooks as the Standard Webhooks specification signs them
// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
// `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`, a space-separated list
// of `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per live secret. The collector
// signs with `signWebhook`; a Node receiver may check with `verifyWebhook` (or any Standard
// Webhooks library, given the `whsec_` secret).

import { base64, fromBase64, hmac, sameText, utf8 } from "../protocol/crypto";

// A type, not an interface: it must pass where Node's header objects (index signatures) go.
export type WebhookHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};

const PREFIX = "whsec_";

/** How far a webhook's timestamp may be from the receiver's clock, as the reference libraries allow. */
const TOLERANCE_SECONDS = 5 * 60;

/**
 * The key bytes of a webhook secret: the base64 after `whsec_`; a secret set before `whsec_`
 * secrets existed (any other string) keys with its UTF-8 bytes, as it always did.
 *
 * @example
 * webhookKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); // 24 bytes
 */
export function webhookKey(secret: string): Uint8Array {
  if (secret.startsWith(PREFIX)) {
    try {
      return fromBase64(secret.slice(PREFIX.length));
    } catch {
      // not base64 after all: a hand-made secret that happens to start so, keyed as text
    }
  }
  return utf8(secret);
}

/**
 * The secret in the form every Standard Webhooks library takes: `whsec_` and the key's base64.
 * For a `whsec_` secret, itself; for an older secret, the same key bytes, so nothing changes for it.
 *
 * @example
 * standardSecret("0123456789abcdef"); // "whsec_MDEyMzQ1Njc4OWFiY2RlZg=="
 */
export const standardSecret = (secret: string): string => `${PREFIX}${base64(webhookKey(secret))}`;

/**
 * A new random secret: 24 bytes, as `whsec_<base64>`.
 *
 * @example
 * newWebhookSecret(); // "whsec_…" (38 characters)
 */
export const newWebhookSecret = (): string => `${PREFIX}${base64(crypto.getRandomValues(new Uint8Array(24)))}`;

/**
 * One `v1,…` signature of a body, as a Standard Webhooks sender computes it (and a receiver
 * recomputes it: the collector checks Resend's feedback with the same function).
 *
 * @example
 * await standardSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", '{"test": 2432232314}');
 * // "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" (the spec's test vector)
 */
export const standardSignature = async (secret: string, id: string, timestamp: number | string, body: string): Promise<string> =>
  `v1,${base64(await hmac(webhookKey(secret), `${id}.${timestamp}.${body}`))}`;

/**
 * The three Standard Webhooks headers for one delivery of `body`, signed with each of `secrets`
 * (two while a rotation overlaps): a receiver holding either secret accepts it.
 *
 * @example
 * const headers = await signWebhook({ id: "wh_1", timestamp: Math.floor(Date.now() / 1000), body, secrets: [secret] });
 */
export async function signWebhook({
  id,
  timestamp,
  body,
  secrets,
}: {
  id: string;
  timestamp: number;
  body: string;
  secrets: string[];
}): Promise<WebhookHeaders> {
  const signatures = await Promise.all(secrets.map((secret) => standardSignature(secret, id, timestamp, body)));
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signatures.join(" ") };
}

/** Why a webhook was refused: missing headers, a timestamp too far off, or no matching signature. */
export class WebhookVerificationError extends Error {
  override name = "WebhookVerificationError";
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

const header = (headers: HeaderSource, name: string): string | undefined => {
  const value = headers instanceof Headers ? headers.get(name) : headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? undefined;
};

/**
 * Checks a Cartback webhook on the receiver's side, as the Standard Webhooks libraries do: the
 * signature (constant time) with your secret over the raw body, and a timestamp within 5 minutes.
 * Returns the parsed event; throws `WebhookVerificationError` otherwise. De-duplicate by
 * `webhook-id`: a retried delivery carries the same one.
 *
 * @example
 * import { verifyWebhook } from "cartback/server";
 * const event = await verifyWebhook(process.env.CARTBACK_WEBHOOK_SECRET, rawBody, req.headers);
 */
export async function verifyWebhook(secret: string, body: string, headers: HeaderSource, now = Date.now()): Promise<unknown> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature");
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > TOLERANCE_SECONDS)
    throw new WebhookVerificationError("the webhook's timestamp is more than 5 minutes from now");
  const expected = await standardSignature(secret, id, timestamp, body);
  const given = signatures.split(" ").filter((s) => s.startsWith("v1,"));
  const matches = await Promise.all(given.map((s) => sameText(s, expected)));
  if (!matches.includes(true)) throw new WebhookVerificationError("no signature matches this secret");
  return JSON.parse(body);
}
