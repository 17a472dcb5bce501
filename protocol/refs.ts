// A platform's cart or checkout token as both sides compare it. Shopify's newer cart tokens carry
// a `?key=…` part (a credential for the cart, not part of its identity) that the order webhook's
// `cart_token` does not; whatever a browser or a webhook sends, only the token before it counts.

/**
 * The token without any `?…` suffix.
 *
 * @example
 * refKey("Z2NwLXVzLWVhc3QxOjAxSEZaNU4?key=3f2a"); // "Z2NwLXVzLWVhc3QxOjAxSEZaNU4"
 */
export const refKey = (ref: string): string => ref.split("?", 1)[0] ?? "";
