import * as v from "valibot";
import { MAX_ID_LENGTH, MAX_REF_LENGTH } from "../../protocol/limits";
import { refKey } from "../../protocol/refs";
import { Currency } from "../../protocol/schema";
import { DecimalText, firstEmail, maybeText, minorTotal, type PlatformAction } from "./action";

// Shopify's order webhooks (`orders/create`, `orders/paid`): the Order resource of the REST Admin
// API, https://shopify.dev/docs/api/admin-rest/latest/resources/order, as in the sample payloads at
// https://shopify.dev/docs/api/webhooks/latest?reference=toml#list-of-topics-orders/create.

export const SHOPIFY_TOPICS = ["orders/create", "orders/paid"] as const;
export type ShopifyTopic = (typeof SHOPIFY_TOPICS)[number];

/**
 * The fields Cartback reads, each checked; every other field of the order is left alone. An
 * order has some hundred fields and each API version adds some: refusing one Cartback does not
 * know would fail every delivery after Shopify's next release, and Shopify would retry, then drop
 * the subscription.
 */
export const ShopifyOrderSchema = v.looseObject({
  // Order ids pass 2^53 (the docs' sample is 820982911946154508): JSON.parse rounds them, so the
  // exact id is read from admin_graphql_api_id, and `id` only when it is still exact.
  id: v.union([v.pipe(v.number(), v.integer(), v.minValue(1)), v.pipe(v.string(), v.regex(/^\d{1,20}$/))], "must be the order's id"),
  admin_graphql_api_id: v.optional(
    v.nullable(v.pipe(v.string(), v.regex(/^gid:\/\/shopify\/Order\/\d{1,20}$/, "must be gid://shopify/Order/<id>"))),
  ),
  email: maybeText(1000),
  contact_email: maybeText(1000),
  customer: v.optional(v.nullable(v.looseObject({ email: maybeText(1000) }))),
  total_price: DecimalText,
  currency: Currency,
  financial_status: maybeText(MAX_ID_LENGTH),
  cart_token: maybeText(MAX_REF_LENGTH),
  checkout_token: maybeText(MAX_REF_LENGTH),
  // A test order (the admin's "Send test notification", a test gateway or Bogus Gateway): never counted.
  test: v.optional(v.nullable(v.boolean("must be true or false"))),
});
export type ShopifyOrder = v.InferOutput<typeof ShopifyOrderSchema>;

/** The order's exact id, or why there is none. */
function orderIdOf(order: ShopifyOrder): string | { field: string; message: string } {
  const gid = order.admin_graphql_api_id?.split("/").at(-1);
  if (gid) return gid;
  if (typeof order.id === "string") return order.id;
  if (Number.isSafeInteger(order.id)) return String(order.id);
  return { field: "id", message: "is past 2^53 and so not exact once parsed; the order must carry admin_graphql_api_id" };
}

/**
 * What a Shopify order webhook asks for: `orders/paid`, or an `orders/create` already paid
 * (`financial_status` "paid"), is a paid order, unless it is a test order (`"test": true`), which
 * is recorded as one and never counts; any other `orders/create` (pending, authorized, partially
 * paid…) waits for its `orders/paid`. A refusal names the field.
 *
 * @example
 * shopifyAction("orders/paid", order, Date.now()); // { do: "paid", order: { orderId: "820982911946154508", total: 40495, … }, refs: [] }
 */
export function shopifyAction(
  topic: ShopifyTopic,
  order: ShopifyOrder,
  now: number,
): PlatformAction | { refused: { field: string; message: string } } {
  const orderId = orderIdOf(order);
  if (typeof orderId !== "string") return { refused: orderId };
  const paid = topic === "orders/paid" || order.financial_status === "paid";
  if (!paid)
    return { do: "wait", orderId, why: `orders/create with financial_status ${order.financial_status ?? "none"}: waits for orders/paid` };
  if (order.test === true) return { do: "test", orderId, why: "a test order (test: true) never counts" };
  const total = minorTotal(order.total_price, order.currency, "total_price");
  if (typeof total !== "number") return { refused: total };
  const refs = [order.cart_token, order.checkout_token].flatMap((t) => (t ? [refKey(t)] : [])).filter(Boolean);
  return {
    do: "paid",
    order: { orderId, total, currency: order.currency, at: now },
    email: firstEmail([order.email, order.contact_email, order.customer?.email]),
    refs: [...new Set(refs)],
  };
}
