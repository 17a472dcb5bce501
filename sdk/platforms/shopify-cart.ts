// Shopify's storefront, through the AJAX Cart API (https://shopify.dev/docs/api/ajax/reference/cart):
// the mapping of `/cart.js` to Cartback's cart and back. Pure functions; the effects are in
// shopify.ts (`cartback-shopify.js`).

import { rescale } from "../../protocol/money";
import type { Cart, Line } from "../../protocol/types";
import { fit } from "./common";

/** The parts of a `/cart.js` item the adapter reads (the documented response, trimmed). */
export interface ShopifyItem {
  key: string;
  variant_id: number;
  product_id?: number;
  product_title?: string;
  variant_title?: string | null;
  title?: string;
  /** Unit price after line discounts, in hundredths of the cart's currency. */
  final_price?: number;
  price: number;
  quantity: number;
  url?: string;
  image?: string | null;
  properties?: Record<string, unknown> | null;
}

export interface ShopifyCart {
  token?: string;
  currency: string;
  items: ShopifyItem[];
}

/** A line property, kept in the line's data under this prefix (so it cannot collide with ours). */
const PROPERTY = "p:";

/** `//cdn.shopify.com/…` and `/products/…` as absolute `https:` URLs (every Shopify storefront is https). */
const https = (url: string | null | undefined, base: string): string | undefined => {
  if (!url) return undefined;
  try {
    const absolute = new URL(url, base);
    absolute.protocol = "https:";
    return absolute.href;
  } catch {
    return undefined;
  }
};

/**
 * A Shopify cart (`/cart.js`) in Cartback's shape: one line per item, its id the variant id (or
 * the item key, for a second line of the same variant with other properties), the price in the
 * currency's minor units, the item key, product id and line properties in `data`. A property that
 * does not fit a line's data (16 keys, 1 KB, 64-character keys, string/number/boolean values) is
 * dropped with a console warning: the cart is still recorded, without it.
 *
 * @example
 * fromShopify({ currency: "EUR", items: [{ key: "4:ab", variant_id: 4, product_title: "Tea", price: 1250, quantity: 2 }] }, "https://shop.example/");
 * // { currency: "EUR", lines: [{ id: "4", name: "Tea", price: 1250, quantity: 2, data: { key: "4:ab" } }] }
 */
export function fromShopify(cart: ShopifyCart, base: string): Cart {
  const ids = new Set<string>();
  const lines = cart.items.map((item): Line => {
    let id = String(item.variant_id);
    if (ids.has(id)) id = item.key;
    ids.add(id);
    const data = fit(
      item.product_id == null ? { key: item.key } : { key: item.key, product: String(item.product_id) },
      Object.entries(item.properties || {}).map(([name, value]) => [PROPERTY + name, value]),
      "shopify",
    );
    const line: Line = {
      id,
      name: item.product_title || item.title || id,
      price: rescale(item.final_price ?? item.price, 2, cart.currency) as number,
      quantity: item.quantity,
      data,
    };
    if (item.variant_title) line.variant = item.variant_title;
    const url = https(item.url, base);
    const image = https(item.image, base);
    if (url) line.url = url;
    if (image) line.image = image;
    return line;
  });
  return { currency: cart.currency, lines };
}

/** What `/cart/add.js` takes for Cartback's cart: every line's variant, quantity and properties. */
export function toShopify(cart: Cart): { items: { id: number; quantity: number; properties?: Record<string, unknown> }[] } {
  return {
    items: cart.lines.map((line) => {
      const properties: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(line.data || {}))
        if (key.startsWith(PROPERTY)) properties[key.slice(PROPERTY.length)] = value;
      const item: { id: number; quantity: number; properties?: Record<string, unknown> } = { id: variantOf(line), quantity: line.quantity };
      if (Object.keys(properties).length) item.properties = properties;
      return item;
    }),
  };
}

/** A line's Shopify variant: its id, or the variant part of its item key. */
const variantOf = (line: Line): number => Number(String(line.data?.key ?? line.id).split(":")[0]);

/**
 * A cart permalink (https://help.shopify.com/en/manual/checkout-settings/cart-permalink) for the
 * cart: `/cart/{variant}:{quantity},…`, with `?discount=` when there is a code. Line properties
 * cannot travel in a permalink: the clear-and-add restore keeps them.
 *
 * @example
 * permalink("/", { currency: "EUR", lines: [{ id: "4", name: "Tea", price: 1250, quantity: 2 }] }, "WELCOME10"); // "/cart/4:2?discount=WELCOME10"
 */
export function permalink(root: string, cart: Cart, discount?: string): string {
  const path = `${root}cart/${cart.lines.map((l) => `${variantOf(l)}:${l.quantity}`).join(",")}`;
  return discount ? `${path}?discount=${encodeURIComponent(discount)}` : path;
}

/** Whether a request the theme makes changes the cart: `/cart/add`, `change`, `update`, `clear`, `.js` or not. */
export function changesCart(url: string): boolean {
  try {
    return /\/cart\/(add|change|update|clear)(\.js)?$/.test(new URL(url, location.href).pathname);
  } catch {
    return false;
  }
}
