import { type Context, Hono } from "hono";
import type { Platform } from "../../protocol/types";
import { receiptOf, saveReceipt } from "../db/platforms";
import { ApiError } from "../http/errors";
import { parse } from "../http/validate";
import type { PlatformAction } from "./action";
import { applyAction } from "./apply";
import { SHOPIFY_TOPICS, ShopifyOrderSchema, type ShopifyTopic, shopifyAction } from "./shopify";
import { type HookEnv, signed } from "./signed";
import { WOO_TOPICS, WooOrderSchema, wooAction, wooDelivery } from "./woocommerce";

/** The body as JSON, once its signature checked out; a 400 naming where it broke otherwise. */
function json(c: Context<HookEnv>): unknown {
  try {
    return JSON.parse(c.var.body);
  } catch (e) {
    throw new ApiError(400, "invalid_json", `the body is not JSON: ${(e as Error).message}`);
  }
}

function topicOf<T extends string>(c: Context<HookEnv>, header: string, topics: readonly T[]): T {
  const topic = c.req.header(header);
  if (!topics.includes(topic as T)) {
    throw new ApiError(
      422,
      "unsupported_topic",
      `${header} is ${topic === undefined ? "missing" : `"${topic}"`}: subscribe this URL to ${topics.join(" and ")} only`,
      [{ path: header, message: `must be one of ${topics.join(", ")}` }],
    );
  }
  return topic as T;
}

function refuse(refused: { field: string; message: string }): never {
  throw new ApiError(422, "invalid_order", "the order does not validate", [{ path: refused.field, message: refused.message }]);
}

/** A delivery taken before is answered as it was, without acting again; a new one is acted on, then remembered. */
async function take(c: Context<HookEnv>, platform: Platform, delivery: string, decide: () => PlatformAction) {
  const { site } = c.var;
  const seen = await receiptOf(c.env.DB, site.id, platform, delivery);
  if (seen) return c.json({ duplicate: true, outcome: seen.outcome, orderId: seen.order_id }, 200);
  const applied = await applyAction(c.env, site, platform, delivery, decide());
  await saveReceipt(c.env.DB, { site: site.id, platform, delivery, at: Date.now(), outcome: applied.outcome, orderId: applied.orderId });
  return c.json({ duplicate: false, outcome: applied.outcome, orderId: applied.orderId, followedUp: applied.told > 0 }, 200);
}

// WooCommerce pings a new webhook's URL with an unsigned form body `webhook_id=N`
// (WC_Webhook::deliver_ping) and saves the webhook only on exactly 200.
const wooPing = (body: Uint8Array) =>
  /^webhook_id=\d{1,20}$/.test(new TextDecoder().decode(body).trim()) ? Response.json({ ping: true }, { status: 200 }) : undefined;

/**
 * The platforms' order webhooks. Each is verified (the site's platform secret, an HMAC of the raw
 * body) before anything is parsed; then its topic, then its JSON, then the fields Cartback reads.
 * Every success is a 200 (WooCommerce wants exactly that); a redelivery is a 200 `duplicate`.
 *
 * @example
 * // Shopify: Settings → Notifications → Webhooks → Create webhook, "Order payment", JSON, this URL:
 * // https://COLLECTOR/v1/hooks/shopify?site=pk_…
 */
export const hooks = new Hono<HookEnv>()
  .post("/v1/hooks/shopify", signed({ platform: "shopify", header: "x-shopify-hmac-sha256" }), async (c) => {
    const topic: ShopifyTopic = topicOf(c, "x-shopify-topic", SHOPIFY_TOPICS);
    const delivery = c.req.header("x-shopify-webhook-id")?.trim();
    if (!delivery) {
      throw new ApiError(400, "missing_header", "a Shopify webhook carries X-Shopify-Webhook-Id", [
        { path: "x-shopify-webhook-id", message: "is missing" },
      ]);
    }
    const order = parse(ShopifyOrderSchema, json(c), 422, "invalid_order", "the order does not validate");
    const action = shopifyAction(topic, order, Date.now());
    if ("refused" in action) refuse(action.refused);
    return take(c, "shopify", delivery.slice(0, 128), () => action);
  })
  .post("/v1/hooks/woocommerce", signed({ platform: "woocommerce", header: "x-wc-webhook-signature", unsigned: wooPing }), async (c) => {
    topicOf(c, "x-wc-webhook-topic", WOO_TOPICS);
    const order = parse(WooOrderSchema, json(c), 422, "invalid_order", "the order does not validate");
    const action = wooAction(order, Date.now());
    if ("refused" in action) refuse(action.refused);
    return take(c, "woocommerce", wooDelivery(order).slice(0, 200), () => action);
  });
