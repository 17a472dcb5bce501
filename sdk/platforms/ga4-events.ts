// GA4's recommended ecommerce events (https://developers.google.com/analytics/devguides/collection/ga4/ecommerce)
// read into what they do to Cartback's cart. Pure functions; the effects are in ga4.ts (`cartback-ga4.js`).
import { toMinor } from "../../protocol/money";
import type { Cart, Line } from "../../protocol/types";

/** Google's loaders, GTM's and gtag.js's, whose `l` parameter names a renamed data layer (a first-party server container serves them from the shop's own domain). */
export const GOOGLE_TAGS = 'script[src*="/gtm.js"],script[src*="/gtag/js"]';

/** An item of a GA4 ecommerce event; prices are in major units (a number, or a decimal string). */
export interface Ga4Item {
  item_id?: string | number;
  item_name?: string;
  item_variant?: string;
  price?: number | string;
  quantity?: number | string;
}

export interface Ga4Params {
  currency?: string;
  value?: number | string;
  transaction_id?: string | number;
  items?: Ga4Item[];
}

/** A GA4 event as pushed: its name and parameters. */
export interface Ga4Event {
  name: string;
  params: Ga4Params;
}

/** A call of the page's `cartback(...)` queue, e.g. `["moment", "step", { code: "shipping" }]`. */
export type Call = [string, ...unknown[]];

/** The events the adapter reads; any other is left alone. */
const NAMES = ["add_to_cart", "remove_from_cart", "view_cart", "begin_checkout", "add_shipping_info", "add_payment_info", "purchase"];

/**
 * One `dataLayer` entry as a GA4 ecommerce event, in either form a page pushes: the data-layer
 * object `{ event: "add_to_cart", ecommerce: { … } }` or gtag's `arguments` (`gtag("event",
 * "add_to_cart", { … })` pushes `["event", "add_to_cart", { … }]`). A clearing push
 * (`{ ecommerce: null }`), a config call or another event is undefined.
 *
 * @example
 * readEntry({ event: "view_cart", ecommerce: { currency: "EUR", items: [] } }); // { name: "view_cart", params: { currency: "EUR", items: [] } }
 */
export function readEntry(entry: unknown): Ga4Event | undefined {
  if (!entry || typeof entry !== "object") return undefined;
  const list =
    Array.isArray(entry) || Object.prototype.toString.call(entry) === "[object Arguments]"
      ? Array.from(entry as ArrayLike<unknown>)
      : undefined;
  const [name, params] = list
    ? list[0] === "event"
      ? [list[1], list[2]]
      : []
    : [(entry as { event?: unknown }).event, (entry as { ecommerce?: unknown }).ecommerce];
  return typeof name === "string" && NAMES.includes(name) && params && typeof params === "object"
    ? { name, params: params as Ga4Params }
    : undefined;
}

/** A GA4 item as a line, or undefined when it has no id, name or price that Cartback can keep. */
function lineOf(item: Ga4Item, currency: string): Line | undefined {
  const id = item.item_id ?? item.item_name;
  const price = item.price == null ? undefined : toMinor(item.price, currency);
  const quantity = item.quantity == null ? 1 : Math.round(Number(item.quantity));
  if (id == null || id === "" || price == null || price < 0 || !(quantity > 0)) return undefined;
  const line: Line = {
    id: item.item_variant ? `${id}:${item.item_variant}` : String(id),
    name: item.item_name || String(id),
    price,
    quantity,
  };
  if (item.item_variant) line.variant = item.item_variant;
  return line;
}

/** `lines` with each of `items` added (a delta: the same id adds to its quantity). */
function add(lines: Line[], items: Ga4Item[], currency: string): Line[] {
  const out = lines.map((l) => ({ ...l }));
  for (const item of items) {
    const line = lineOf(item, currency);
    if (!line) continue;
    const same = out.find((l) => l.id === line.id);
    if (same) same.quantity += line.quantity;
    else out.push(line);
  }
  return out;
}

/**
 * What a GA4 event does, given the saved cart: the cart after it (undefined when unchanged) and
 * the other calls to make after saving it. `add_to_cart` and `remove_from_cart` are deltas on the
 * saved cart (a removal without a quantity removes the line); `view_cart` and `begin_checkout`
 * show the whole cart, which replaces the saved one (`begin_checkout` also starts the checkout);
 * `add_shipping_info` and `add_payment_info` are checkout steps; `purchase` is the order, its
 * total `value` in the currency's minor units.
 *
 * @example
 * apply(undefined, { name: "add_to_cart", params: { currency: "JPY", items: [{ item_id: "tea", item_name: "Tea", price: 1500 }] } }, "EUR");
 * // { cart: { currency: "JPY", lines: [{ id: "tea", name: "Tea", price: 1500, quantity: 1 }] }, calls: [] }
 */
export function apply(saved: Cart | undefined, { name, params }: Ga4Event, fallback?: string): { cart?: Cart; calls: Call[] } {
  const currency = (params.currency || saved?.currency || fallback || "").toUpperCase();
  const items = Array.isArray(params.items) ? params.items : [];
  // A cart in another currency is another cart: a delta starts from nothing.
  const lines = saved && saved.currency === currency ? saved.lines : [];
  switch (name) {
    case "add_to_cart":
      return { cart: { currency, lines: add(lines, items, currency) }, calls: [] };
    case "remove_from_cart": {
      let out = lines.map((l) => ({ ...l }));
      for (const item of items) {
        const line = lineOf({ price: 0, ...item }, currency);
        if (!line) continue;
        const same = out.find((l) => l.id === line.id);
        if (same) same.quantity = item.quantity == null ? 0 : same.quantity - line.quantity;
        out = out.filter((l) => l.quantity > 0);
      }
      return { cart: { currency, lines: out }, calls: [] };
    }
    case "view_cart":
      return { cart: { currency, lines: add([], items, currency) }, calls: [] };
    case "begin_checkout":
      return { cart: { currency, lines: add([], items, currency) }, calls: [["checkout"]] };
    case "add_shipping_info":
      return { calls: [["moment", "step", { code: "shipping" }]] };
    case "add_payment_info":
      return { calls: [["moment", "step", { code: "payment" }]] };
    default: {
      const total = params.value == null ? undefined : toMinor(params.value, currency);
      if (params.transaction_id == null || total == null) return { calls: [] };
      return { calls: [["purchase", { orderId: String(params.transaction_id), total, currency }]] };
    }
  }
}
