import * as v from "valibot";
import { normalEmail } from "../../protocol/email";
import { EMAIL_PATTERN, MAX_TOTAL } from "../../protocol/limits";
import { toMinor } from "../../protocol/money";

// What one platform webhook asks of the collector, decided from its payload alone (pure): the
// route verifies and parses, these decide, apply.ts carries it out.

/** What a delivery leads to. `delivery` is its idempotency key. */
export type PlatformAction =
  /**
   * A paid order: recorded once, the end of the purchase intent for every person it is about.
   * Its time (`at`) is its delivery's: paid by then at the latest, whatever the platform wrote
   * on it, which can be older than the cart it bought (a payment taken after the order was placed,
   * a backdated or imported order, a time rounded down to the second). The order must still end
   * that cart's intent and be credited to the message that came last before it.
   */
  | {
      do: "paid";
      order: { orderId: string; total: number; currency: string; at: number };
      email?: string;
      /** The platform's cart and checkout tokens it names, without `?key=`. */
      refs: string[];
    }
  /** A payment declined off the shop's pages: a `payment_failed` moment on the shopper's latest browser. */
  | { do: "payment_failed"; orderId: string; email?: string; code?: string; at: number }
  /** Nothing to do yet (an unpaid order), or ever (a status Cartback has no use for, or a test
   * order: Shopify's "test": true, which its admin sends and a test gateway pays). */
  | { do: "wait" | "ignore" | "test"; orderId: string; why: string };

/** A decimal amount as platforms send it ("29.35", "1500", "1.235"), at most a trillion. */
export const DecimalText = v.pipe(v.string(), v.regex(/^\d{1,13}(\.\d{1,8})?$/, 'must be a decimal string like "29.35"'));

/** Optional text a platform may send as null or leave out. */
export const maybeText = (max: number) => v.optional(v.nullable(v.pipe(v.string(), v.maxLength(max, `must be at most ${max} characters`))));

/**
 * The first of these that is an address both sides accept (protocol/limits.ts EMAIL_PATTERN), in
 * its normal form. A platform accepts addresses Cartback cannot hold (an apostrophe in the local
 * part): such an order is still recorded, only no person is found by its address.
 *
 * @example
 * firstEmail([null, " Ana@Example.com "]); // "ana@example.com"
 */
export function firstEmail(candidates: (string | null | undefined)[]): string | undefined {
  for (const c of candidates) {
    const trimmed = c?.trim() ?? "";
    if (trimmed.length <= 254 && EMAIL_PATTERN.test(trimmed)) return normalEmail(trimmed);
  }
  return undefined;
}

/**
 * A platform's order total in minor units, or a refusal naming the field: a decimal string read
 * digit by digit by the currency's exponent (protocol/money.ts), never through a float.
 *
 * @example
 * minorTotal("404.95", "USD", "total_price"); // 40495
 */
export function minorTotal(amount: string, currency: string, field: string): number | { field: string; message: string } {
  const minor = toMinor(amount, currency);
  if (minor === undefined || minor > MAX_TOTAL) return { field, message: `${amount} ${currency} is not an order total Cartback can hold` };
  return minor;
}

/**
 * A platform's timestamp on the collector's clock: ISO 8601 with an offset (Shopify) or a GMT time
 * without one (WooCommerce's `*_gmt`). Never later than now (a skewed platform clock must not put
 * an order after carts changed since); `now` when absent or unreadable.
 *
 * @example
 * platformTime("2017-03-22T19:28:08", Date.now(), true); // Date.UTC(2017, 2, 22, 19, 28, 8)
 */
export function platformTime(text: string | null | undefined, now: number, gmt = false): number {
  if (!text) return now;
  const at = Date.parse(gmt && !/(Z|[+-]\d\d:?\d\d)$/.test(text) ? `${text}Z` : text);
  return Number.isFinite(at) ? Math.min(at, now) : now;
}
