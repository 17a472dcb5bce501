// The platform webhook routes under hostile input: random bodies (signed with the right key, a
// wrong one, or not at all), random topics and ids, and the documented payloads with a field
// Cartback reads replaced by any JSON value. Never a 5xx; every 4xx a JSON error; a refused
// delivery stores nothing, in any table.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Body, bytesOf, type Call, hostileBody, report, reportable, send } from "../test/fuzz/harness";
import { ORIGIN, seedSite } from "../test/helpers";
import { SHOPIFY_ORDER, setPlatformSecret, WOO_ORDER } from "../test/platforms";
import { bodySignature } from "./signed";

const SEED = 20_261_201;
const SECRET = "fuzz_platform_secret_0123456789abcdef";
let site: { id: number; key: string };

beforeAll(async () => {
  site = await seedSite(env.DB, [ORIGIN], { holdoutPercent: 0 });
  await setPlatformSecret(site.key, SECRET);
});
afterAll(() => {
  report();
});

/** Every row a webhook could write, counted. */
const written = () =>
  env.DB.prepare(
    `SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM platform_receipts) AS receipts,
            (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM platform_refs) AS refs,
            (SELECT group_concat(coalesce(platform_secret, '')) FROM sites) AS secrets`,
  ).first();

const READ = {
  shopify: [
    "id",
    "admin_graphql_api_id",
    "email",
    "contact_email",
    "customer",
    "total_price",
    "currency",
    "financial_status",
    "cart_token",
    "checkout_token",
    "test",
  ],
  woocommerce: ["id", "status", "currency", "total", "billing", "payment_method", "date_modified_gmt"],
};

const mutated = (platform: "shopify" | "woocommerce"): fc.Arbitrary<Body> =>
  fc
    .tuple(
      fc.constantFrom(...READ[platform]),
      fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined)),
      fc.constantFrom("paid", "pending", "failed", "processing", "on-hold"),
    )
    .map(([field, value, status]) => {
      const order = JSON.parse(platform === "shopify" ? SHOPIFY_ORDER : WOO_ORDER) as Record<string, unknown>;
      order[platform === "shopify" ? "financial_status" : "status"] = status;
      // The sample is a test order, which never counts: a real one, so the paid path is fuzzed too.
      if (platform === "shopify") order.test = false;
      order[field] = value;
      return { text: JSON.stringify(order) };
    });

const signature = fc.constantFrom("right", "wrong", "none", "garbage");

for (const platform of ["shopify", "woocommerce"] as const) {
  it(
    `POST /v1/hooks/${platform}: never a 5xx, every refusal a JSON error that stores nothing`,
    reportable(async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(hostileBody, mutated(platform)),
          signature,
          fc.constantFrom(
            ...(platform === "shopify"
              ? ["orders/paid", "orders/create", "orders/updated", ""]
              : ["order.created", "order.updated", "product.updated", ""]),
          ),
          fc.oneof(fc.uuid(), fc.constant(""), fc.string({ maxLength: 300 })),
          fc.constantFrom(site?.key ?? "", "pk_nobody_at_all", "nope"),
          async (body, sig, topic, webhookId, key) => {
            const bytes = bytesOf(body);
            const header = platform === "shopify" ? "x-shopify-hmac-sha256" : "x-wc-webhook-signature";
            const value =
              sig === "right"
                ? await bodySignature(SECRET, bytes)
                : sig === "wrong"
                  ? await bodySignature("another_secret_entirely", bytes)
                  : sig === "garbage"
                    ? "%%not base64%%"
                    : undefined;
            const call: Call = {
              method: "POST",
              path: `/v1/hooks/${platform}?site=${key || site.key}`,
              headers: {
                "content-type": "application/json",
                [header]: value,
                [platform === "shopify" ? "x-shopify-topic" : "x-wc-webhook-topic"]: topic || undefined,
                ...(platform === "shopify" && {
                  "x-shopify-webhook-id": /^[\x20-\x7e]*$/.test(webhookId) ? webhookId : encodeURIComponent(webhookId),
                }),
              },
              body,
            };
            const before = await written();
            const answer = await send(`hooks:${platform}`, call);
            if (answer.status >= 400) expect(await written(), `${answer.status} ${answer.code} wrote rows`).toEqual(before);
            if (sig !== "right" || key !== site.key) {
              // Nothing unsigned or wrongly signed gets past the gate, but WooCommerce's bare ping.
              const ping = platform === "woocommerce" && sig === "none" && /^webhook_id=\d+$/.test(new TextDecoder().decode(bytes).trim());
              expect(answer.status === 200 ? ping : [400, 401, 413].includes(answer.status), `${answer.status} ${answer.code}`).toBe(true);
            }
          },
        ),
        { numRuns: 250, seed: SEED },
      );
    }),
    120_000,
  );
}
