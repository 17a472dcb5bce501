// WooCommerce's Store API cart (https://developer.woocommerce.com/docs/apis/store-api/resources-endpoints/cart/)
// mapped to Cartback's cart and back. Pure functions; the effects are in woocommerce.ts
// (`cartback-woocommerce.js`).

import { rescale } from "../../protocol/money";
import type { Cart, Line, LineData } from "../../protocol/types";
import { fit } from "./common";

/** The parts of a Store API cart item the adapter reads. */
export interface WooItem {
  key: string;
  /** The product, or the variation of a variable product. */
  id: number;
  quantity: number;
  name: string;
  permalink?: string;
  images?: { src?: string; thumbnail?: string }[];
  variation?: { attribute: string; value: string }[];
  /** Strings of integers, counted in `currency_minor_unit` decimals. */
  prices: { price: string; currency_code: string; currency_minor_unit: number };
}

export interface WooCart {
  items: WooItem[];
  totals: { currency_code: string; currency_minor_unit: number };
}

/** A variation attribute, kept in the line's data under this prefix. */
const ATTRIBUTE = "v:";

/**
 * A Store API cart in Cartback's shape: one line per item, its id the product (or variation) id,
 * or the item key for a second line of the same product with other attributes; the price read
 * through the store's `currency_minor_unit` into the currency's minor units; the item key and the
 * variation attributes in `data` (and the product id, when the key is the line's id) (an attribute that does not fit is dropped with a warning).
 *
 * @example
 * fromWoo({ totals: { currency_code: "EUR", currency_minor_unit: 2 }, items: [{ key: "c74d", id: 16, quantity: 1, name: "Beanie",
 *   prices: { price: "1800", currency_code: "EUR", currency_minor_unit: 2 } }] });
 * // { currency: "EUR", lines: [{ id: "16", name: "Beanie", price: 1800, quantity: 1, data: { key: "c74d" } }] }
 */
export function fromWoo(cart: WooCart): Cart {
  const currency = cart.totals.currency_code;
  const ids = new Set<string>();
  const lines = cart.items.map((item): Line => {
    let id = String(item.id);
    let data: LineData = { key: item.key };
    // A second line of the same product (other attributes): the item key is its id, the product in data.
    if (ids.has(id)) (id = item.key), (data.id = item.id);
    ids.add(id);
    data = fit(
      data,
      (item.variation || []).map(({ attribute, value }) => [ATTRIBUTE + attribute, value]),
      "woocommerce",
    );
    const line: Line = {
      id,
      name: item.name,
      price: rescale(item.prices.price, item.prices.currency_minor_unit, currency) as number,
      quantity: item.quantity,
      data,
    };
    const variant = (item.variation || []).map((v) => v.value).join(" / ");
    if (variant) line.variant = variant;
    if (item.permalink) line.url = item.permalink;
    const image = item.images?.[0]?.thumbnail || item.images?.[0]?.src;
    if (image) line.image = image;
    return line;
  });
  return { currency, lines };
}

/** The `POST /cart/add-item` bodies that rebuild Cartback's cart: id, quantity and variation of each line. */
export const toWoo = (cart: Cart): { id: number; quantity: number; variation: { attribute: string; value: string }[] }[] =>
  cart.lines.map((line) => ({
    id: Number(line.data?.id ?? line.id),
    quantity: line.quantity,
    variation: Object.entries(line.data || {})
      .filter(([key]) => key.startsWith(ATTRIBUTE))
      .map(([key, value]) => ({ attribute: key.slice(ATTRIBUTE.length), value: String(value) })),
  }));
