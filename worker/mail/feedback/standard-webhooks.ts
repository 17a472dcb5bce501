// The Standard Webhooks signature Resend signs with (through Svix):
// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md and
// https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests. The signed content is
// `${id}.${timestamp}.${body}`, the key the base64 after `whsec_`, the header a space-separated list
// of `v1,<base64 HMAC-SHA256>` (several while a secret is rotated).

import { sameText } from "../../../protocol/crypto";
import { standardSignature } from "../../../server/webhooks";

export { standardSignature };

/** How far a signed timestamp may be from the collector's clock, either way (the spec's default). */
export const TOLERANCE_S = 5 * 60;

/** Why a request is not a signed webhook, in a code a program can branch on. */
export type WebhookProblem = "missing_signature" | "stale_timestamp" | "invalid_signature" | "invalid_secret";

/** The three headers, under either of their names (`svix-*` as Resend sends them, or `webhook-*`). */
export function webhookHeaders(headers: Headers): { id: string; timestamp: string; signature: string } | null {
  const get = (name: string) => headers.get(`svix-${name}`) ?? headers.get(`webhook-${name}`);
  const [id, timestamp, signature] = [get("id"), get("timestamp"), get("signature")];
  return id && timestamp && signature ? { id, timestamp, signature } : null;
}

/**
 * Checks a Standard Webhooks request: null when signed with `secret` within the tolerance,
 * otherwise what is wrong. Each listed signature is compared in constant time.
 *
 * @example
 * const problem = await verifyStandardWebhook(secret, request.headers, body, Date.now());
 */
export async function verifyStandardWebhook(secret: string, headers: Headers, body: string, now: number): Promise<WebhookProblem | null> {
  const h = webhookHeaders(headers);
  if (!h) return "missing_signature";
  const timestamp = Number(h.timestamp);
  if (!/^\d{1,12}$/.test(h.timestamp) || Math.abs(now / 1000 - timestamp) > TOLERANCE_S) return "stale_timestamp";
  let expected: string;
  try {
    expected = await standardSignature(secret, h.id, h.timestamp, body);
  } catch {
    return "invalid_secret";
  }
  const given = h.signature.split(" ").filter((s) => s.startsWith("v1,"));
  const matches = await Promise.all(given.map((s) => sameText(s, expected)));
  return matches.includes(true) ? null : "invalid_signature";
}
