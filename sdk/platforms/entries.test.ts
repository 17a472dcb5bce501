// The adapters' effects on a page (happy-dom): which of the page's requests and events make them
// read the platform's cart at once. In Chromium a missed hook would go unseen (connect reads every
// 4 s anyway), so it is checked here, call by call.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Cart } from "../../protocol/types";
import { shopifyCart, wooCart } from "../../test/platforms/fixtures";
import { Signal } from "../extras";

type Options = { read: () => Promise<Cart>; restore: (cart: Cart) => Promise<void> };
let calls: unknown[][];
let requests: { url: string; method: string; body?: string; headers?: Record<string, string> }[];
const refs: unknown[] = [];
const onRef = (e: Event) => refs.push((e as CustomEvent).detail);

/** Loads an adapter as the core would: its script element with the tag's data- attributes. */
async function load(file: string, dataset: Record<string, string> = {}) {
  const script = Object.assign(document.createElement("script"), {
    transact: async (change: (s: unknown) => unknown) =>
      change({ aid: "aid-from-the-core-0000", consent: undefined, outbox: { events: [] } }),
    held: [],
    load: vi.fn(),
  });
  Object.assign(script.dataset, dataset);
  Object.defineProperty(document, "currentScript", { value: script, configurable: true });
  await import(file);
  Object.defineProperty(document, "currentScript", { value: null, configurable: true });
  const connect = calls.find((c) => c[0] === "connect")?.[1] as Options;
  return { script, connect };
}

const changed = () => calls.filter((c) => c[0] === "changed").length;
/** What the client tells the page's onRestore listeners when a recovery link's cart came. */
const restored = (answer: unknown) => {
  for (const call of calls) if (call[0] === "onRestore") (call[1] as (r: unknown) => void)(answer);
};
// Each test loads the adapter afresh; the page loads it once. What it wraps is unwrapped after each.
const open = XMLHttpRequest.prototype.open;

beforeEach(() => {
  calls = [];
  requests = [];
  refs.length = 0;
  addEventListener(Signal.REF, onRef);
  (window as unknown as { cartback: unknown }).cartback = (...args: unknown[]) => calls.push(args);
  vi.spyOn(console, "warn").mockImplementation(() => {});
  vi.spyOn(window.location, "assign").mockImplementation(() => {});
});
afterEach(() => {
  XMLHttpRequest.prototype.open = open;
  removeEventListener(Signal.REF, onRef);
  vi.unstubAllGlobals();
});

describe("cartback-shopify.js", () => {
  beforeEach(() => {
    (window as unknown as { Shopify: unknown }).Shopify = { routes: { root: "/fr/" } };
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = String(input instanceof Request ? input.url : input);
        requests.push({ url, method: init?.method || "GET", body: init?.body as string });
        const cart = shopifyCart("c1-abc", [
          { product: { id: 4, productId: 1, title: "Tea", price: 1250, handle: "tea" }, quantity: 2, properties: { Note: "x" } },
        ]);
        return new Response(JSON.stringify(url.endsWith("cart.js") ? cart : {}), { status: 200 });
      }),
    );
  });

  it("connects, reads /cart.js under the locale root, reports the token, re-reads after the theme's cart requests only", async () => {
    const { script, connect } = await load("./shopify");
    expect(script.load).toHaveBeenCalledWith("ref");
    const cart = await connect.read();
    expect(requests.at(-1)?.url).toBe("/fr/cart.js");
    expect(cart.lines.map((l) => [l.id, l.quantity, l.price])).toEqual([["4", 2, 1250]]);
    expect(refs).toEqual([["shopify", "c1-abc?key=824bdj25mhg1242bdb385"]]);
    for (const url of ["/fr/cart/add.js", "/cart/change", "/cart/update.js", "/cart/clear"]) await window.fetch(url, { method: "POST" });
    await window.fetch(new Request("http://localhost:3000/cart/add", { method: "POST" }));
    await vi.waitFor(() => expect(changed()).toBe(5));
    await window.fetch("/products/tea");
    await window.fetch("/cart.js");
    await new Promise((r) => setTimeout(r, 10));
    expect(changed()).toBe(5);
  });

  it("re-reads after a theme's XMLHttpRequest to the cart", async () => {
    await load("./shopify");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/cart/change.js");
    xhr.dispatchEvent(new Event("loadend"));
    const other = new XMLHttpRequest();
    other.open("GET", "/collections/all");
    other.dispatchEvent(new Event("loadend"));
    expect(changed()).toBe(1);
  });

  it("restores by clearing, then adding every item with its properties, then lands on the cart (a link's cart only)", async () => {
    const { connect } = await load("./shopify");
    const cart = await connect.read();
    // Another device's cart (a signed-in shopper): put in quietly, no navigation.
    await connect.restore(cart);
    expect(window.location.assign).not.toHaveBeenCalled();
    restored({ status: "restored", cart });
    requests = [];
    await connect.restore(cart);
    expect(requests.map((r) => [r.method, r.url])).toEqual([
      ["POST", "/fr/cart/clear.js"],
      ["POST", "/fr/cart/add.js"],
    ]);
    expect(JSON.parse(requests[1]?.body as string)).toEqual({ items: [{ id: 4, quantity: 2, properties: { Note: "x" } }] });
    expect(window.location.assign).toHaveBeenCalledWith("/fr/cart");
  });

  it("uses a cart permalink, with its discount, when the recovery link's answer asks for one", async () => {
    const { connect } = await load("./shopify");
    const cart = await connect.read();
    restored({ status: "restored", cart, cartPermalink: true, discount: "BACK10" });
    requests = [];
    await connect.restore(cart);
    expect(requests).toEqual([]);
    expect(window.location.assign).toHaveBeenCalledWith("/fr/cart/4:2?discount=BACK10");
  });

  it("restores a subscription line on its selling plan: by clear-and-add even where a permalink was asked for, its code by Shopify's discount link", async () => {
    const { connect } = await load("./shopify");
    const cart: Cart = {
      currency: "EUR",
      lines: [{ id: "4", name: "Tea", price: 1250, quantity: 2, data: { key: "4:ab", product: "1", plan: 610435 } }],
    };
    restored({ status: "restored", cart, cartPermalink: true, discount: "BACK 10" });
    requests = [];
    await connect.restore(cart);
    expect(requests.map((r) => [r.method, r.url])).toEqual([
      ["POST", "/fr/cart/clear.js"],
      ["POST", "/fr/cart/add.js"],
    ]);
    expect(JSON.parse(requests[1]?.body as string)).toEqual({ items: [{ id: 4, quantity: 2, selling_plan: 610435 }] });
    expect(window.location.assign).toHaveBeenCalledWith("/fr/discount/BACK%2010?redirect=/fr/cart");
  });

  it("leaves the browser id for the pixel in localStorage and a cookie", async () => {
    await load("./shopify");
    await vi.waitFor(() => expect(localStorage.getItem("cartback_aid")).toBe("aid-from-the-core-0000"));
    expect(document.cookie).toContain("cartback_aid=aid-from-the-core-0000");
  });
});

describe("cartback-woocommerce.js", () => {
  let jqueryHandlers: Record<string, () => void>;
  /** What a HEAD of the page answers in its Link header (WordPress's rest_output_link_header). */
  let linkHeader: string | undefined;
  /** The link element wp_head prints (rest_output_link_wp_head), as on a shop at the origin's root. */
  const restLink = (href: string) => {
    for (const old of document.head.querySelectorAll('link[rel="https://api.w.org/"]')) old.remove();
    document.head.append(Object.assign(document.createElement("link"), { rel: "https://api.w.org/", href }));
  };
  afterEach(() => {
    for (const old of document.head.querySelectorAll('link[rel="https://api.w.org/"]')) old.remove();
    delete (window as { wpApiSettings?: unknown }).wpApiSettings;
  });
  beforeEach(() => {
    jqueryHandlers = {};
    linkHeader = undefined;
    restLink(`${location.origin}/wp-json/`);
    (window as unknown as { jQuery: unknown }).jQuery = () => ({
      on: (events: string, handler: () => void) => {
        for (const e of events.split(" ")) jqueryHandlers[e] = handler;
      },
    });
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
        requests.push({
          url: String(input),
          method: init?.method || "GET",
          body: init?.body as string,
          headers: init?.headers as Record<string, string>,
        });
        if (init?.method === "HEAD") return new Response(null, { status: 200, headers: linkHeader ? { Link: linkHeader } : {} });
        const body = String(input).endsWith("/cart")
          ? wooCart([
              {
                held: { product: { id: 35, productId: 31, title: "Hoodie", variant: "Blue", price: 4500, handle: "hoodie" }, quantity: 1 },
                key: "k1",
              },
            ])
          : {};
        return new Response(JSON.stringify(body), { status: 200, headers: { Nonce: "n-1", "Cart-Token": "ct-1" } });
      }),
    );
  });

  it("re-reads on the classic theme's jQuery events and the blocks' events", async () => {
    await load("./woocommerce");
    // The cart page emptied (its last line removed) fires wc_cart_emptied and updated_wc_div, nothing else.
    expect(Object.keys(jqueryHandlers).sort()).toEqual([
      "added_to_cart",
      "removed_from_cart",
      "updated_cart_totals",
      "updated_wc_div",
      "wc_cart_emptied",
      "wc_fragments_refreshed",
    ]);
    for (const handler of Object.values(jqueryHandlers)) handler();
    document.body.dispatchEvent(new Event("wc-blocks_added_to_cart", { bubbles: true }));
    document.body.dispatchEvent(new Event("wc-blocks_removed_from_cart", { bubbles: true }));
    expect(changed()).toBe(8);
  });

  it("finds the REST root of a shop in a subdirectory where WordPress publishes it: the link element, else the page's Link header", async () => {
    const cartUrl = (root: string) => `${location.origin}${root}wc/store/v1/cart`;
    // The link element wp_head prints, and no wpApiSettings: no request but the Store API's.
    restLink(`${location.origin}/shop/wp-json/`);
    await (await load("./woocommerce")).connect.read();
    expect(requests.map((r) => [r.method, r.url])).toEqual([["GET", cartUrl("/shop/wp-json/")]]);

    // No link element (a theme removed it): the Link header of the page, asked with HEAD.
    vi.resetModules();
    for (const old of document.head.querySelectorAll('link[rel="https://api.w.org/"]')) old.remove();
    linkHeader = `<${location.origin}/shop/wp-json/wp/v2/pages/7>; rel="alternate"; type="application/json", <${location.origin}/shop/wp-json/>; rel="https://api.w.org/"`;
    requests = [];
    calls = [];
    await (await load("./woocommerce")).connect.read();
    expect(requests.map((r) => [r.method, r.url])).toEqual([
      ["HEAD", location.href],
      ["GET", cartUrl("/shop/wp-json/")],
    ]);

    // Plain permalinks publish `?rest_route=/`; wpApiSettings, where a script put it, comes first.
    vi.resetModules();
    restLink(`${location.origin}/shop/?rest_route=/`);
    (window as { wpApiSettings?: unknown }).wpApiSettings = { root: `${location.origin}/blog/wp-json/` };
    requests = [];
    calls = [];
    await (await load("./woocommerce")).connect.read();
    expect(requests.map((r) => r.url)).toEqual([cartUrl("/blog/wp-json/")]);
    delete (window as { wpApiSettings?: unknown }).wpApiSettings;
    vi.resetModules();
    requests = [];
    calls = [];
    await (await load("./woocommerce")).connect.read();
    expect(requests.map((r) => r.url)).toEqual([`${location.origin}/shop/?rest_route=/wc/store/v1/cart`]);

    // Nothing published at all: the origin's /wp-json/.
    vi.resetModules();
    for (const old of document.head.querySelectorAll('link[rel="https://api.w.org/"]')) old.remove();
    linkHeader = undefined;
    requests = [];
    calls = [];
    await (await load("./woocommerce")).connect.read();
    expect(requests.map((r) => r.url)).toEqual([location.href, cartUrl("/wp-json/")]);
  });

  it("restores with the nonce it was given: the cart emptied, each line added with its variation, then the basket (a link's cart only)", async () => {
    const { connect } = await load("./woocommerce");
    const cart = await connect.read();
    await connect.restore(cart);
    expect(window.location.assign).not.toHaveBeenCalled();
    restored({ status: "restored", cart });
    expect(requests[0]?.url).toBe(`${location.origin}/wp-json/wc/store/v1/cart`);
    requests = [];
    await connect.restore(cart);
    expect(requests.map((r) => [r.method, r.url.replace(location.origin, ""), r.headers?.Nonce])).toEqual([
      ["DELETE", "/wp-json/wc/store/v1/cart/items", "n-1"],
      ["POST", "/wp-json/wc/store/v1/cart/add-item", "n-1"],
    ]);
    expect(JSON.parse(requests[1]?.body as string)).toEqual({ id: 35, quantity: 1, variation: [{ attribute: "Color", value: "Blue" }] });
    expect(window.location.assign).toHaveBeenCalledWith("/cart/");
  });

  it("identifies by the billing email only with data-capture-email", async () => {
    const field = Object.assign(document.createElement("input"), { id: "billing_email", type: "email", value: " ana@example.com " });
    document.body.append(field);
    await load("./woocommerce", { captureEmail: "true" });
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.dispatchEvent(new Event("focusout", { bubbles: true }));
    expect(calls.filter((c) => c[0] === "identify")).toEqual([["identify", { email: "ana@example.com" }]]);
    field.remove();
  });

  it("leaves the email alone without data-capture-email", async () => {
    const field = Object.assign(document.createElement("input"), { id: "billing_email", type: "email", value: "ana@example.com" });
    document.body.append(field);
    await load("./woocommerce");
    field.dispatchEvent(new Event("change", { bubbles: true }));
    expect(calls.filter((c) => c[0] === "identify")).toEqual([]);
    field.remove();
  });
});
