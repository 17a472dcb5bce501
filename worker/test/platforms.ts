// Platform webhooks as the platforms send them, for the collector's tests: signed deliveries, the
// platforms' headers, a site's platform secret. The payloads are in platform-payloads.ts.
import { exports } from "cloudflare:workers";
import { bodySignature } from "../platforms/signed";

export { SHOPIFY_ORDER, shopifyTime, WOO_ORDER, withField, withFields, wooTime } from "./platform-payloads";

/**
 * Posts a webhook as the platform does: the raw body, signed with `secret` in `signatureHeader`
 * (base64 HMAC-SHA256 of the bytes), plus the platform's other headers.
 */
export async function deliverHook(
  platform: "shopify" | "woocommerce",
  key: string,
  body: string,
  { secret, headers = {} as Record<string, string>, signature = undefined as string | null | undefined } = {} as {
    secret?: string;
    headers?: Record<string, string>;
    signature?: string | null;
  },
): Promise<Response> {
  const header = platform === "shopify" ? "x-shopify-hmac-sha256" : "x-wc-webhook-signature";
  const all = new Headers({ "content-type": "application/json", ...headers });
  const sig = signature === undefined ? (secret ? await bodySignature(secret, new TextEncoder().encode(body)) : null) : signature;
  if (sig !== null) all.set(header, sig);
  return exports.default.fetch(
    new Request(`https://collector.test/v1/hooks/${platform}?site=${encodeURIComponent(key)}`, { method: "POST", headers: all, body }),
  );
}

/** Shopify's headers for a delivery (https://shopify.dev/docs/apps/build/webhooks/subscribe/https: topic, shop, API version, webhook id). */
export const shopifyHeaders = (topic: string, webhookId: string) => ({
  "x-shopify-topic": topic,
  "x-shopify-shop-domain": "example.myshopify.com",
  "x-shopify-api-version": "2025-10",
  "x-shopify-webhook-id": webhookId,
  "x-shopify-triggered-at": new Date().toISOString(),
});

/** WooCommerce's headers for a delivery (WC_Webhook::deliver). */
export const wooHeaders = (topic: string) => ({
  "x-wc-webhook-source": "https://example.com/",
  "x-wc-webhook-topic": topic,
  "x-wc-webhook-resource": "order",
  "x-wc-webhook-event": topic.split(".")[1] ?? "",
  "x-wc-webhook-id": "12",
  "x-wc-webhook-delivery-id": crypto.randomUUID().replace(/-/g, ""),
  "user-agent": "WooCommerce/9.0.0 Hookshot (WordPress/6.5)",
});

/** Sets a site's platform secret through the merchant API, as a merchant does. */
export async function setPlatformSecret(key: string, secret: string): Promise<void> {
  const res = await exports.default.fetch(`https://collector.test/v1/sites/${key}/platform-secret`, {
    method: "PUT",
    headers: { authorization: `Bearer sk_${key}`, "content-type": "application/json" },
    body: JSON.stringify({ secret }),
  });
  if (res.status !== 200) throw new Error(`setting the platform secret: ${res.status} ${await res.text()}`);
}
