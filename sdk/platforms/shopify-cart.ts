// Shopify's storefront, through the AJAX Cart API (https://shopify.dev/docs/api/ajax/reference/cart):
// the mapping of `/cart.js` to Cartback's cart and back. Pure functions; the effects are in
// shopify.ts (`cartback-shopify.js`).

import { PROPERTY, privateProperty } from "../../protocol/line-data";
import { rescale } from "../../protocol/money";
import type { Cart, Line, LineData } from "../../protocol/types";
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
  gift_card?: boolean;
  /** A subscription line: the selling plan it is bought on. */
  selling_plan_allocation?: { selling_plan?: { id?: number } | null } | null;
}

export interface ShopifyCart {
  token?: string;
  currency: string;
  items: ShopifyItem[];
}

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
 * the item key, for a second line of the same variant with other properties or another selling
 * plan, and then the variant id in `data.variant`), the price in the currency's minor units, the
 * item key, product id, selling plan (`plan`, a subscription line) and line properties in `data`.
 * Properties private by Shopify's convention and a gift card recipient's fields are never kept
 * (protocol/line-data.ts). A property that does not fit a line's data (16 keys, 1 KB, 64-character
 * keys, string/number/boolean values) is dropped with a console warning: the cart is still
 * recorded, without it.
 *
 * @example
 * fromShopify({ currency: "EUR", items: [{ key: "4:ab", variant_id: 4, product_title: "Tea", price: 1250, quantity: 2 }] }, "https://shop.example/");
 * // { currency: "EUR", lines: [{ id: "4", name: "Tea", price: 1250, quantity: 2, data: { key: "4:ab" } }] }
 */
export function fromShopify(cart: ShopifyCart, base: string): Cart {
  const ids = new Set<string>();
  const lines = cart.items.map((item): Line => {
    let id = String(item.variant_id);
    const own: LineData = { key: item.key };
    if (ids.has(id)) (id = item.key), (own.variant = item.variant_id);
    ids.add(id);
    if (item.product_id != null) own.product = String(item.product_id);
    const plan = item.selling_plan_allocation?.selling_plan?.id;
    if (plan != null) own.plan = plan;
    const properties = Object.entries(item.properties || {});
    const gift = Boolean(item.gift_card);
    const data = fit(
      own,
      properties.filter(([name]) => !privateProperty(name, gift)).map(([name, value]) => [PROPERTY + name, value]),
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

/** An item of `/cart/add.js` (https://shopify.dev/docs/api/ajax/reference/cart#post-locale-cart-add-js). */
export interface ShopifyAdd {
  id: number;
  quantity: number;
  properties?: Record<string, unknown>;
  selling_plan?: number;
}

/** What `/cart/add.js` takes for Cartback's cart: every line's variant, quantity, selling plan and properties. */
export function toShopify(cart: Cart): { items: ShopifyAdd[] } {
  return {
    items: cart.lines.map((line) => {
      const properties: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(line.data || {}))
        if (key.startsWith(PROPERTY)) properties[key.slice(PROPERTY.length)] = value;
      const item: ShopifyAdd = { id: variantOf(line), quantity: line.quantity };
      if (Object.keys(properties).length) item.properties = properties;
      if (line.data?.plan != null) item.selling_plan = Number(line.data.plan);
      return item;
    }),
  };
}

/**
 * A line's Shopify variant: the variant id kept beside an item key, else its id. A line saved by
 * an older script (an item key as its id, no `variant`) falls back to the key's leading number.
 */
const variantOf = (line: Line): number => Number(line.data?.variant ?? line.id.split(":")[0]);

/** Whether a cart permalink can rebuild the cart: it carries no selling plan, so a subscription line would come back a one-time purchase. */
export const fitsPermalink = (cart: Cart): boolean => cart.lines.every((l) => l.data?.plan == null);

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
