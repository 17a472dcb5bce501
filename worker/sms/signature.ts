// Twilio's request signature (https://www.twilio.com/docs/usage/webhooks/webhooks-security):
// HMAC-SHA1, keyed with the account's Auth Token, over the full URL Twilio called followed by each
// POST parameter's name and value, sorted by name; base64 in X-Twilio-Signature.

import { base64, hmac, sameText } from "../../protocol/crypto";

/**
 * The signature Twilio sends for a form-encoded POST to `url` with `params`.
 *
 * @example
 * // Twilio's published example (https://www.twilio.com/docs/usage/security#validating-requests):
 * await twilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", [["CallSid", "CA1234567890ABCDE"], …]);
 * // "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
 */
export async function twilioSignature(authToken: string, url: string, params: Iterable<[string, string]>): Promise<string> {
  // By name, then by value for a repeated name, in code-unit order as Twilio's own libraries sort.
  const sorted = [...params].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  const data = url + sorted.map(([name, value]) => name + value).join("");
  return base64(await hmac(authToken, data, "SHA-1"));
}

/**
 * Whether `signature` is Twilio's for these params at one of `urls` (the URL as received, and as
 * the collector's PUBLIC_URL names it, which is what was pasted into Twilio), compared in constant
 * time.
 *
 * @example
 * if (!(await twilioSigned(env.TWILIO_AUTH_TOKEN, header, [c.req.url], params))) throw forbidden;
 */
export async function twilioSigned(authToken: string, signature: string, urls: string[], params: [string, string][]): Promise<boolean> {
  const expected = await Promise.all([...new Set(urls)].map((url) => twilioSignature(authToken, url, params)));
  const matches = await Promise.all(expected.map((e) => sameText(e, signature.trim())));
  return matches.includes(true);
}
