// `cartback-woocommerce.js`: loaded by cartback.js on a WooCommerce shop (`data-platform="woocommerce"`,
// or "auto" where the page has WooCommerce's settings). Keeps Cartback's cart in step with the Store
// API cart through `connect`, re-reading it on WooCommerce's own cart events (the classic theme's
// jQuery events and the Cart/Checkout blocks' events), rebuilds WooCommerce's cart from a recovery
// link, and, with `data-capture-email="true"`, identifies the shopper by the checkout's billing email.
import { EMAIL_PATTERN } from "../../protocol/limits";
import type { Cart } from "../../protocol/types";
import type { Script } from "../extras";
import { cartback, refs } from "./common";
import { fromWoo, toWoo, type WooCart } from "./woocommerce-cart";

type Settings = {
  wpApiSettings?: { root?: string };
  wc_add_to_cart_params?: { cart_url?: string };
  wcSettings?: { storePages?: { cart?: { permalink?: string } } };
  jQuery?: (target: unknown) => { on: (events: string, handler: () => void) => void };
};

const script = document.currentScript as Script;
const page = window as unknown as Settings;
const ref = refs(script, "woocommerce");
// The Store API's write credentials, from its last answer: every write must carry them.
const session: Record<string, string> = {};

/**
 * The REST API's root as WordPress publishes it, which is not the origin's /wp-json/ for a shop
 * in a subdirectory or without pretty permalinks (`?rest_route=/`): `wpApiSettings` where a
 * script put it on the page, else the `<link rel="https://api.w.org/">` wp_head prints, else the
 * `Link` header of the page (a HEAD request, which WordPress answers once its headers are sent).
 */
const restRoot = async (): Promise<string> => {
  const root =
    page.wpApiSettings?.root ||
    document.querySelector<HTMLLinkElement>('link[rel="https://api.w.org/"]')?.href ||
    /<([^>]+)>;\s*rel="https:\/\/api\.w\.org\/"/.exec(
      (await fetch(location.href, { method: "HEAD", credentials: "same-origin" }).catch(() => null))?.headers.get("link") || "",
    )?.[1];
  return root ? new URL(root, location.href).href : `${location.origin}/wp-json/`;
};
let api: Promise<string> | undefined;

const store = async (path: string, method = "GET", body?: unknown): Promise<unknown> => {
  api ||= restRoot();
  const res = await fetch(`${await api}wc/store/v1/${path}`, {
    method,
    credentials: "same-origin",
    headers: { "content-type": "application/json", ...session },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  for (const name of ["Nonce", "Cart-Token"]) {
    const value = res.headers.get(name);
    if (value) session[name] = value;
  }
  if (!res.ok) throw `woocommerce: ${method} ${path} answered ${res.status}`;
  return res.json();
};

// Told before connect's restore (see shopify.ts): only a recovery link's cart lands on the basket.
let linked = false;
cartback("onRestore", () => {
  linked = true;
});

cartback("connect", {
  read: async () => {
    const cart = fromWoo((await store("cart")) as WooCart);
    // WooCommerce keeps this cart's hash as the order's `cart_hash`: the order webhook's way back here.
    if (cart.lines.length) ref(/(?:^|; )woocommerce_cart_hash=([^;]+)/.exec(document.cookie)?.[1]);
    return cart;
  },
  restore: async (cart: Cart) => {
    // A fresh nonce first, then the cart emptied and every line added back.
    if (!session.Nonce) await store("cart");
    await store("cart/items", "DELETE");
    for (const item of toWoo(cart)) await store("cart/add-item", "POST", item);
    // A recovery link lands on the basket; another device's cart is put in quietly.
    if (linked) location.assign(page.wc_add_to_cart_params?.cart_url || page.wcSettings?.storePages?.cart?.permalink || "/cart/");
    linked = false;
  },
});

const changed = (): unknown => cartback("changed");
// The blocks dispatch native events on document.body; the classic theme triggers jQuery events,
// which only jQuery's own handlers hear.
for (const type of ["wc-blocks_added_to_cart", "wc-blocks_removed_from_cart"]) document.addEventListener(type, changed, true);
let hooked = false;
const hookJQuery = (): void => {
  if (hooked || !page.jQuery) return;
  hooked = true;
  // The cart page's updated_wc_div follows every change there; its last line removed, it fires
  // wc_cart_emptied and updated_wc_div only (legacy/js/frontend/cart.js update_wc_div).
  page
    .jQuery(document.body)
    .on("added_to_cart removed_from_cart updated_cart_totals wc_fragments_refreshed wc_cart_emptied updated_wc_div", changed);
};
hookJQuery();
addEventListener("DOMContentLoaded", hookJQuery);
addEventListener("load", hookJQuery);

// The billing email of the classic checkout and of the Checkout block, only where the shop has
// consent to follow up by email (the same opt-in as the checkout detectors' data-capture-email).
if (script.dataset.captureEmail === "true") {
  let said = "";
  const email = (e: Event): void => {
    const field = e.target as HTMLInputElement;
    if (!field.matches?.("#billing_email, input[name=billing_email], .wc-block-checkout input[type=email]")) return;
    const value = field.value.trim();
    if (value !== said && EMAIL_PATTERN.test(value)) (said = value), cartback("identify", { email: value });
  };
  for (const type of ["change", "focusout"]) document.addEventListener(type, email, true);
}
