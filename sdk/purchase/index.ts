import { MAX_ID_LENGTH, MAX_TOTAL } from "../../protocol/limits";
import { isCurrency, isInt, isText, need } from "../cart";
import type { Cart, Order } from "../client";
import type { Lazy } from "../extras";

/**
 * What `purchase` does to the saved state: checks the order, records it with the cart's lines, and
 * empties the cart. In its own file for the script tag (`cartback-purchase.js`, loaded by the
 * first `purchase` of a page): only a shop's order confirmation page reports one.
 *
 * @example
 * await transact((s) => purchase(s, { orderId: "1001", total: 3750 }, emitter(false), { currency: "EUR", lines: [] }));
 */
export const purchase: Lazy = (s, order, emit, saved) => {
  const cart = saved as Cart;
  const { orderId, total, currency = cart.currency } = (order || {}) as Order;
  need(isText(orderId, MAX_ID_LENGTH), "purchase orderId");
  need(isInt(total, 0, MAX_TOTAL), "purchase total");
  need(isCurrency(currency), "purchase currency");
  emit(s, {
    type: "purchase",
    orderId,
    total,
    currency,
    cart: cart.lines.length ? { currency: cart.currency, lines: cart.lines } : undefined,
  });
  // For the sync file, saved with the order rather than told: it may load only after this.
  if (s.account) s.paid = Date.now();
  s.cart = undefined;
};
