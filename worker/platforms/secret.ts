import * as v from "valibot";
import { randomToken } from "../../protocol/crypto";

/**
 * A platform webhook secret the merchant sets (Shopify's signing key, or an app's client secret):
 * printable ASCII without spaces, 16 to 256 characters, as every such key the platforms show is.
 */
export const PlatformSecret = v.pipe(
  v.string(),
  v.trim(),
  v.regex(/^[\x21-\x7e]{16,256}$/, "must be 16-256 printable characters without spaces, as the platform shows it"),
);

/** The merchant API's `PUT /v1/sites/:key/platform-secret` body; any other field is named and refused. */
export const PlatformSecretBody = v.strictObject({ secret: PlatformSecret });

/**
 * A new random platform webhook secret: 256 bits, URL-safe, with a prefix that says what it is.
 *
 * @example
 * newPlatformSecret(); // "pws_3q2-7wE…" (47 characters)
 */
export function newPlatformSecret(): string {
  return `pws_${randomToken(32)}`;
}

/**
 * The addresses a merchant pastes into the platform's webhook form, on this collector.
 *
 * @example
 * hookUrls("https://collector.example", "pk_…").shopify; // "https://collector.example/v1/hooks/shopify?site=pk_…"
 */
export function hookUrls(publicUrl: string, key: string): { shopify: string; woocommerce: string } {
  const base = publicUrl.replace(/\/+$/, "");
  const site = encodeURIComponent(key);
  return { shopify: `${base}/v1/hooks/shopify?site=${site}`, woocommerce: `${base}/v1/hooks/woocommerce?site=${site}` };
}
