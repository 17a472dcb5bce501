// `cartback-shopify.js`: loaded by cartback.js on a Shopify storefront (`data-platform="shopify"`,
// or "auto" where the page has `window.Shopify`). Keeps Cartback's cart in step with Shopify's
// `/cart.js` through `connect`, re-reading it after every cart request the theme makes, rebuilds
// Shopify's own cart from a recovery link, reports the cart token (`ref`) for the order webhook, and
// leaves the browser id where the checkout's Custom Pixel (examples/shopify/pixel.js) reads it.
import type { Cart } from "../../protocol/types";
import type { Restored } from "../client";
import { gpcOn } from "../consent";
import type { Script } from "../extras";
import { warn } from "../warn";
import { cartback, refs } from "./common";
import { changesCart, fitsPermalink, fromShopify, permalink, type ShopifyCart, toShopify } from "./shopify-cart";

/** Where the pixel finds the browser id: a first-party cookie and a localStorage key of this name. */
export const AID_KEY = "cartback_aid";

const script = document.currentScript as Script;
const shopify = (window as unknown as { Shopify?: { routes?: { root?: string } } }).Shopify;
// Translated storefronts serve the cart under their locale (`/fr/cart.js`).
const root = shopify?.routes?.root || "/";
// The page's own fetch, before the theme's requests are watched: the adapter's own requests are not the theme's.
const pageFetch = window.fetch.bind(window);
const ref = refs(script, "shopify");

const post = (path: string, body?: unknown): Promise<Response> =>
  pageFetch(root + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body || {}) }).then(
    (res) => (res.ok ? res : Promise.reject(`shopify: ${path} answered ${res.status}`)),
  );

// A recovery link's answer, until its cart is restored: only then does the shopper land on the
// cart (another device's cart, for a signed-in shopper, is put in quietly). It may say the way back
// is a cart permalink (with its discount code), when the site chose it: the collector says so (the `cartPermalink` setting).
// Through the client's onRestore, which also tells a listener added after the link's cart came, and
// tells this one before connect's (subscribed later, once cartback-connect.js loads) restores it.
let link: { cartPermalink?: boolean; discount?: string } | undefined;
cartback("onRestore", (restored: Restored & typeof link) => {
  link = restored;
});

cartback("connect", {
  read: async () => {
    const cart = (await (await pageFetch(`${root}cart.js`, { credentials: "same-origin" })).json()) as ShopifyCart;
    if (cart.items.length) ref(cart.token);
    return fromShopify(cart, location.origin);
  },
  restore: async (cart: Cart) => {
    const landing = link;
    link = undefined;
    const code = landing?.cartPermalink && landing.discount;
    if (landing?.cartPermalink && fitsPermalink(cart)) return location.assign(permalink(root, cart, landing.discount));
    await post("cart/clear.js");
    if (cart.lines.length) await post("cart/add.js", toShopify(cart));
    // A subscription line cannot travel in a permalink: its code goes by Shopify's discount link.
    if (landing) location.assign(code ? `${root}discount/${encodeURIComponent(code)}?redirect=${root}cart` : `${root}cart`);
  },
});

// Every cart request the theme makes, by fetch or XMLHttpRequest, is followed by a fresh read.
// (A plain form post to /cart/add loads a new page, which reads the cart on load.)
const changed = (): unknown => cartback("changed");
window.fetch = (input, init) => {
  const done = pageFetch(input, init);
  const url = input instanceof Request ? input.url : String(input);
  if (changesCart(url)) done.finally(changed).catch(() => {});
  return done;
};
const open = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function (this: XMLHttpRequest, ...args: unknown[]) {
  if (changesCart(String(args[1]))) this.addEventListener("loadend", changed);
  return (open as (...a: unknown[]) => void).apply(this, args);
} as typeof open;

// The browser id, for the pixel, which runs in Shopify's checkout sandbox and can read only cookies
// and localStorage of the shop's origin. Never with GPC honoured and on, nor after consent(false).
script
  .transact((s) => s.consent !== false && !(script.dataset.gpc != null && gpcOn()) && s.aid)
  .then((aid) => {
    if (!aid) return;
    localStorage.setItem(AID_KEY, aid);
    // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is missing from Safari and Firefox
    document.cookie = `${AID_KEY}=${aid}; path=/; max-age=31536000; samesite=lax${location.protocol === "https:" ? "; secure" : ""}`;
  })
  .catch(warn);
