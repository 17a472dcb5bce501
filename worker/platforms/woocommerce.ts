import * as v from "valibot";
import { MAX_ID_LENGTH } from "../../protocol/limits";
import { Currency } from "../../protocol/schema";
import { DecimalText, firstEmail, maybeText, minorTotal, type PlatformAction, platformTime } from "./action";

// WooCommerce's order webhooks (`order.created`, `order.updated`): the order of the REST API v3,
// https://woocommerce.github.io/woocommerce-rest-api-docs/#order-properties, built by
// WC_Webhook::build_payload and signed by WC_Webhook::generate_signature
// (https://github.com/woocommerce/woocommerce/blob/trunk/plugins/woocommerce/includes/class-wc-webhook.php).

export const WOO_TOPICS = ["order.created", "order.updated"] as const;
export type WooTopic = (typeof WOO_TOPICS)[number];

/** The fields Cartback reads, each checked; the rest is left alone (see ShopifyOrderSchema for why). */
export const WooOrderSchema = v.looseObject({
  id: v.pipe(v.number(), v.integer(), v.minValue(1)),
  status: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_ID_LENGTH)),
  currency: Currency,
  total: DecimalText,
  billing: v.optional(v.nullable(v.looseObject({ email: maybeText(1000) }))),
  payment_method: maybeText(MAX_ID_LENGTH),
  date_modified_gmt: maybeText(64),
});
export type WooOrder = v.InferOutput<typeof WooOrderSchema>;

/**
 * A delivery's idempotency key: the order, its status and when it last changed. WooCommerce's own
 * X-WC-Webhook-Delivery-ID is a hash of the webhook id and the current second, new on every
 * send, so it cannot tell a redelivery from a new change.
 *
 * @example
 * wooDelivery(order); // "727:processing:2017-03-22T19:28:08"
 */
export const wooDelivery = (order: WooOrder): string => `${order.id}:${order.status}:${order.date_modified_gmt ?? ""}`;

/**
 * What a WooCommerce order webhook asks for, by the order's status: `processing` or `completed`
 * is a paid order; `failed` a declined payment (a `payment_failed` moment for the shopper);
 * `pending` and `on-hold` wait; any other status (cancelled, refunded, a plugin's own) is
 * ignored. A refusal names the field.
 *
 * @example
 * wooAction(order, Date.now()); // { do: "paid", order: { orderId: "727", total: 2935, currency: "USD", … }, email: "john.doe@example.com", refs: [] }
 */
export function wooAction(order: WooOrder, now: number): PlatformAction | { refused: { field: string; message: string } } {
  const orderId = String(order.id);
  const email = firstEmail([order.billing?.email]);
  switch (order.status) {
    case "processing":
    case "completed": {
      const total = minorTotal(order.total, order.currency, "total");
      if (typeof total !== "number") return { refused: total };
      // Dated by its delivery, as every paid platform order is (action.ts PlatformAction).
      return { do: "paid", order: { orderId, total, currency: order.currency, at: now }, email, refs: [] };
    }
    case "failed":
      return {
        do: "payment_failed",
        orderId,
        email,
        code: order.payment_method || undefined,
        at: platformTime(order.date_modified_gmt, now, true),
      };
    case "pending":
    case "on-hold":
      return { do: "wait", orderId, why: `status ${order.status}: waits for processing or completed` };
    default:
      return { do: "ignore", orderId, why: `status ${order.status} means nothing to recovery` };
  }
}
