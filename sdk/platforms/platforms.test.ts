import fc from "fast-check";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CartSchema } from "../../protocol/schema";
import type { Cart, CartbackEvent } from "../../protocol/types";
import { type Product, shopifyCart, wooCart } from "../../test/platforms/fixtures";
import { setCart } from "../cart";
import { checkData } from "../data";
import type { Script } from "../extras";
import { detect } from "./auto";
import { apply, readEntry } from "./ga4-events";
import { changesCart, fitsPermalink, fromShopify, permalink, toShopify } from "./shopify-cart";
import { fromWoo, toWoo } from "./woocommerce-cart";

const potion: Product = {
  id: 39897499729985,
  productId: 6786188247105,
  title: "Health potion",
  variant: "S / Low",
  price: 900,
  handle: "health-potion",
};
const elixir: Product = { id: 39888235757633, productId: 6785887256641, title: "Elixir", price: 1250, handle: "elixir" };

/** A cart both sides accept: the script's own checks and the collector's schema. */
const accepted = (cart: Cart): Cart => {
  expect(v.safeParse(CartSchema, cart).issues).toBeUndefined();
  return setCart(undefined as never, checkData, cart);
};

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
});

describe("Shopify /cart.js", () => {
  it("maps each item: variant id, titles, price in minor units, https url and image, key, product and properties in data", () => {
    const json = shopifyCart("c1-7a2abe82733a34e84aa472d57fb5c3c1", [
      { product: potion, quantity: 2, properties: { Engraving: "For Ana", _gift: "yes" } },
      { product: elixir, quantity: 1 },
    ]);
    const cart = accepted(fromShopify(json, "http://127.0.0.1:9/"));
    expect(cart).toEqual({
      currency: "CAD",
      lines: [
        {
          id: "39897499729985",
          name: "Health potion",
          variant: "S / Low",
          price: 900,
          quantity: 2,
          url: "https://127.0.0.1:9/products/health-potion?variant=39897499729985",
          image: "https://cdn.shopify.example/files/health-potion.jpg",
          // `_gift` is private by Shopify's convention: never kept.
          data: { key: json.items[0]?.key, product: "6786188247105", "p:Engraving": "For Ana" },
        },
        {
          id: "39888235757633",
          name: "Elixir",
          price: 1250,
          quantity: 1,
          url: "https://127.0.0.1:9/products/elixir?variant=39888235757633",
          image: "https://cdn.shopify.example/files/elixir.jpg",
          data: { key: json.items[1]?.key, product: "6785887256641" },
        },
      ],
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it("counts a zero-decimal currency's hundredths as whole units, a three-decimal one's as thousandths", () => {
    expect(
      fromShopify(shopifyCart("t", [{ product: { ...elixir, price: 150000 }, quantity: 1 }], "JPY"), "https://s.example/").lines[0]?.price,
    ).toBe(1500);
    expect(
      fromShopify(shopifyCart("t", [{ product: { ...elixir, price: 1234 }, quantity: 1 }], "KWD"), "https://s.example/").lines[0]?.price,
    ).toBe(12340);
  });

  it("gives a second line of the same variant (other properties) its item key as id", () => {
    const json = shopifyCart("t", [
      { product: potion, quantity: 1, properties: { Engraving: "A" } },
      { product: potion, quantity: 1, properties: { Engraving: "B" } },
    ]);
    const cart = accepted(fromShopify(json, "https://s.example/"));
    expect(cart.lines.map((l) => l.id)).toEqual(["39897499729985", json.items[1]?.key]);
    expect(toShopify(cart).items).toEqual([
      { id: potion.id, quantity: 1, properties: { Engraving: "A" } },
      { id: potion.id, quantity: 1, properties: { Engraving: "B" } },
    ]);
  });

  it("drops properties that do not fit a line's data, with a warning each, and keeps the cart", () => {
    const properties: Record<string, unknown> = { ok: "kept", [`k${"x".repeat(70)}`]: "long key", nested: { a: 1 }, big: "y".repeat(600) };
    for (let i = 0; i < 20; i++) properties[`n${i}`] = i;
    const json = shopifyCart("t", [{ product: elixir, quantity: 1 }]);
    (json.items[0] as { properties: unknown }).properties = properties;
    const cart = accepted(fromShopify(json, "https://s.example/"));
    const data = cart.lines[0]?.data ?? {};
    expect(data["p:ok"]).toBe("kept");
    expect(data["p:big"]).toBe("y".repeat(600));
    expect(Object.keys(data)).toHaveLength(16);
    expect(data["p:nested"]).toBeUndefined();
    expect(warn.mock.calls.map((c: unknown[]) => c[1])).toContain("shopify: left out p:nested, it does not fit line.data");
    // What was left out: the long key, the object, and the numbers past 16 keys.
    expect(warn).toHaveBeenCalledTimes(1 + 1 + (20 - (16 - 4)));
    // …and a value that would take the data past 1 KB.
    const heavy = shopifyCart("t", [{ product: elixir, quantity: 1, properties: { a: "z".repeat(600), b: "z".repeat(600) } }]);
    expect(Object.keys(accepted(fromShopify(heavy, "https://s.example/")).lines[0]?.data ?? {})).toEqual(["key", "p:a", "product"]);
  });

  it("rebuilds /cart/add.js items with properties, and a permalink with its discount", () => {
    const cart = fromShopify(shopifyCart("t", [{ product: potion, quantity: 3, properties: { Engraving: "Hi" } }]), "https://s.example/");
    expect(toShopify(cart)).toEqual({ items: [{ id: potion.id, quantity: 3, properties: { Engraving: "Hi" } }] });
    expect(permalink("/fr/", cart, "SAVE 10")).toBe(`/fr/cart/${potion.id}:3?discount=SAVE%2010`);
    expect(permalink("/", cart)).toBe(`/cart/${potion.id}:3`);
  });

  it("carries a subscription line's selling plan to /cart/add.js, and takes each line's variant from variant_id, not its key", () => {
    const json = shopifyCart("t", [
      { product: potion, quantity: 1, sellingPlan: 610435 },
      { product: potion, quantity: 2 },
    ]);
    // Shopify's item key is opaque: nothing says it starts with the variant id.
    for (const item of json.items) item.key = `x${item.key.split(":")[1]}`;
    const cart = accepted(fromShopify(json, "https://s.example/"));
    expect(cart.lines.map((l) => [l.id, l.data])).toEqual([
      [String(potion.id), { key: json.items[0]?.key, product: String(potion.productId), plan: 610435 }],
      [json.items[1]?.key, { key: json.items[1]?.key, product: String(potion.productId), variant: potion.id }],
    ]);
    expect(toShopify(cart).items).toEqual([
      { id: potion.id, quantity: 1, selling_plan: 610435 },
      { id: potion.id, quantity: 2 },
    ]);
    // A permalink cannot say "subscription": such a cart is rebuilt by clear-and-add.
    expect(fitsPermalink(cart)).toBe(false);
    expect(fitsPermalink(fromShopify(shopifyCart("t", [{ product: potion, quantity: 1 }]), "https://s.example/"))).toBe(true);
    // A line an older script saved (an item key as id, no variant beside it) still finds its variant.
    expect(
      toShopify({ currency: "CAD", lines: [{ id: `${potion.id}:ab`, name: "P", price: 1, quantity: 1, data: { key: `${potion.id}:ab` } }] })
        .items,
    ).toEqual([{ id: potion.id, quantity: 1 }]);
  });

  it("keeps no property private by Shopify's convention and nothing of a gift card's recipient, on either side", () => {
    // Dawn's gift card recipient form (snippets/gift-card-recipient-form.liquid), as /cart.js lists it.
    const recipient = {
      __shopify_send_gift_card_to_recipient: "on",
      "Recipient email": "ben@example.com",
      "Recipient name": "Ben",
      Message: "Happy birthday, Ben!",
      "Send on": "2026-12-24",
      __shopify_offset: "-60",
    };
    const json = shopifyCart("t", [
      { product: elixir, quantity: 1, giftCard: true, properties: recipient },
      {
        product: potion,
        quantity: 1,
        properties: { Engraving: "For Ana", Message: "Mine", _uid: "app-7", _photo: "https://x.example/a.jpg" },
      },
    ]);
    const cart = accepted(fromShopify(json, "https://s.example/"));
    expect(cart.lines.map((l) => l.data)).toEqual([
      { key: json.items[0]?.key, product: String(elixir.productId) },
      // Not a gift card: its own Message is the buyer's text, which the restore needs.
      { key: json.items[1]?.key, product: String(potion.productId), "p:Engraving": "For Ana", "p:Message": "Mine" },
    ]);
    expect(toShopify(cart).items).toEqual([
      { id: elixir.id, quantity: 1 },
      { id: potion.id, quantity: 1, properties: { Engraving: "For Ana", Message: "Mine" } },
    ]);
    // The collector drops them from what an older script still sends (without the gift_card flag).
    const old = {
      currency: "CAD",
      lines: [
        {
          id: "1",
          name: "Gift card",
          price: 5000,
          quantity: 1,
          data: Object.fromEntries(Object.entries(recipient).map(([k, v]) => [`p:${k}`, v])),
        },
        { id: "2", name: "Potion", price: 900, quantity: 1, data: { key: "2:ab", "p:Message": "Mine", "p:_uid": "app-7" } },
      ],
    };
    expect(v.parse(CartSchema, old).lines.map((l) => l.data)).toEqual([{}, { key: "2:ab", "p:Message": "Mine" }]);
  });

  it("knows the theme's cart requests, with or without .js, under a locale, and nothing else", () => {
    for (const url of ["/cart/add.js", "/cart/add", "/fr/cart/change.js", "https://s.example/cart/update?x=1", "/cart/clear.js"])
      expect(changesCart(url), url).toBe(true);
    for (const url of ["/cart.js", "/cart", "/products/cart-add", "/cart/adder.js", "/cart/add.json"])
      expect(changesCart(url), url).toBe(false);
  });
});

describe("WooCommerce Store API", () => {
  it("maps items through currency_minor_unit, with key and variation attributes in data, and back to add-item bodies", () => {
    const json = wooCart([
      { held: { product: { ...potion, id: 22, variant: "Blue" }, quantity: 2 }, key: "e369853df766fa44e1ed0ff613f563bd" },
      { held: { product: { ...elixir, id: 23 }, quantity: 1 }, key: "c74d97b01eae257e44aa9d5bade97baf" },
    ]);
    const cart = accepted(fromWoo(json));
    expect(cart).toEqual({
      currency: "GBP",
      lines: [
        {
          id: "22",
          name: "Health potion",
          variant: "Blue",
          price: 900,
          quantity: 2,
          url: "https://woo.example/product/health-potion/",
          image: "https://woo.example/wp-content/uploads/health-potion-324x324.jpg",
          data: { key: "e369853df766fa44e1ed0ff613f563bd", "v:Color": "Blue" },
        },
        {
          id: "23",
          name: "Elixir",
          price: 1250,
          quantity: 1,
          url: "https://woo.example/product/elixir/",
          image: "https://woo.example/wp-content/uploads/elixir-324x324.jpg",
          data: { key: "c74d97b01eae257e44aa9d5bade97baf" },
        },
      ],
    });
    expect(toWoo(cart)).toEqual([
      { id: 22, quantity: 2, variation: [{ attribute: "Color", value: "Blue" }] },
      { id: 23, quantity: 1, variation: [] },
    ]);
  });

  it("reads a store's minor unit that differs from the currency's (a KWD store set to 2 decimals, JPY at 0)", () => {
    const kwd = wooCart([{ held: { product: elixir, quantity: 1 }, key: "k" }], "KWD", 2);
    expect(fromWoo(kwd).lines[0]?.price).toBe(12500);
    const jpy = wooCart([{ held: { product: { ...elixir, price: 1500 }, quantity: 1 }, key: "k" }], "JPY", 0);
    expect(fromWoo(jpy).lines[0]?.price).toBe(1500);
  });

  it("gives a second line of the same product its key as id and keeps the product id for add-item", () => {
    const json = wooCart([
      { held: { product: { ...potion, id: 22, variant: "Blue" }, quantity: 1 }, key: "k1" },
      { held: { product: { ...potion, id: 22, variant: "Red" }, quantity: 1 }, key: "k2" },
    ]);
    const cart = accepted(fromWoo(json));
    expect(cart.lines.map((l) => l.id)).toEqual(["22", "k2"]);
    expect(toWoo(cart).map((i) => [i.id, i.variation[0]?.value])).toEqual([
      [22, "Blue"],
      [22, "Red"],
    ]);
  });
});

describe("GA4 events", () => {
  const tea = { item_id: "SKU_12345", item_name: "Stan and Friends Tee", item_variant: "green", price: 10.01, quantity: 3 };
  const mug = { item_id: "SKU_12346", item_name: "Google Grey Women's Tee", price: "21.5", quantity: 2 };

  it("reads data-layer objects and gtag's arguments, and leaves clearing pushes and other calls alone", () => {
    const ecommerce = { currency: "USD", value: 30.03, items: [tea] };
    expect(readEntry({ event: "add_to_cart", ecommerce })).toEqual({ name: "add_to_cart", params: ecommerce });
    (function (..._: unknown[]) {
      // biome-ignore lint/complexity/noArguments: gtag pushes its arguments object
      expect(readEntry(arguments)).toEqual({ name: "add_to_cart", params: ecommerce });
    })("event", "add_to_cart", ecommerce);
    expect(readEntry(["event", "purchase", { transaction_id: "T_1" }])).toEqual({ name: "purchase", params: { transaction_id: "T_1" } });
    for (const entry of [
      { ecommerce: null },
      ["config", "G-XXXX"],
      ["js", new Date()],
      { event: "page_view" },
      { event: "add_to_cart" },
      null,
      "x",
    ])
      expect(readEntry(entry)).toBeUndefined();
  });

  it("adds and removes deltas, rebuilds on view_cart and begin_checkout, converts major units by the currency", () => {
    let cart: Cart | undefined;
    const step = (name: string, params: object) => {
      const out = apply(cart, { name, params });
      if (out.cart) cart = accepted(out.cart);
      return out.calls;
    };
    step("add_to_cart", { currency: "USD", items: [tea] });
    step("add_to_cart", { currency: "USD", items: [{ ...tea, quantity: 1 }, mug] });
    expect(cart?.lines.map((l) => [l.id, l.price, l.quantity])).toEqual([
      ["SKU_12345:green", 1001, 4],
      ["SKU_12346", 2150, 2],
    ]);
    step("remove_from_cart", { currency: "USD", items: [{ ...tea, quantity: 1 }] });
    step("remove_from_cart", { currency: "USD", items: [{ item_id: "SKU_12346" }] });
    expect(cart?.lines.map((l) => [l.id, l.quantity])).toEqual([["SKU_12345:green", 3]]);
    expect(step("begin_checkout", { currency: "USD", items: [mug] })).toEqual([["checkout"]]);
    expect(cart?.lines.map((l) => [l.id, l.quantity])).toEqual([["SKU_12346", 2]]);
    expect(step("add_shipping_info", { currency: "USD", shipping_tier: "Ground" })).toEqual([["moment", "step", { code: "shipping" }]]);
    expect(step("add_payment_info", { currency: "USD", payment_type: "Credit Card" })).toEqual([["moment", "step", { code: "payment" }]]);
    expect(step("purchase", { transaction_id: "T_12345", value: 72.05, currency: "USD" })).toEqual([
      ["purchase", { orderId: "T_12345", total: 7205, currency: "USD" }],
    ]);
    expect(
      apply(undefined, { name: "add_to_cart", params: { currency: "JPY", items: [{ item_id: "a", price: 1500 }] } }).cart?.lines[0]?.price,
    ).toBe(1500);
    expect(apply(undefined, { name: "purchase", params: { currency: "KWD", value: "10.5", transaction_id: 7 } }).calls).toEqual([
      ["purchase", { orderId: "7", total: 10500, currency: "KWD" }],
    ]);
  });

  it("any run of deltas ends where the count of adds minus removes says, and a view_cart replaces it all", () => {
    const ids = ["a", "b", "c"];
    const delta = fc.record({
      add: fc.boolean(),
      id: fc.constantFrom(...ids),
      quantity: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(delta, { maxLength: 40 }), fc.subarray(ids), (deltas, shown) => {
        let cart: Cart | undefined;
        const model = new Map<string, number>();
        for (const d of deltas) {
          const item = { item_id: d.id, item_name: d.id, price: 2.5, quantity: d.quantity };
          cart = apply(cart, { name: d.add ? "add_to_cart" : "remove_from_cart", params: { currency: "EUR", items: [item] } }).cart;
          const now = model.get(d.id) ?? 0;
          const next = d.add ? now + (d.quantity ?? 1) : d.quantity == null ? 0 : now - d.quantity;
          if (next > 0) model.set(d.id, next);
          else model.delete(d.id);
        }
        expect(new Map(cart?.lines.map((l) => [l.id, l.quantity]))).toEqual(model);
        const items = shown.map((id) => ({ item_id: id, item_name: id, price: 1, quantity: 2 }));
        const viewed = apply(cart, { name: "view_cart", params: { currency: "EUR", items } }).cart;
        expect(viewed?.lines.map((l) => [l.id, l.quantity])).toEqual(shown.map((id) => [id, 2]));
      }),
    );
  });
});

describe("cartback-ga4.js on a page", () => {
  afterEach(() => {
    delete (window as { dataLayer?: unknown }).dataLayer;
    delete (window as { cartback?: unknown }).cartback;
  });

  it("replays what was pushed before it loaded, then hears pushes and gtag calls, in order", async () => {
    let saved: Cart | undefined;
    const calls: unknown[][] = [];
    (window as unknown as { cartback: unknown }).cartback = async (name: string, ...args: unknown[]) => {
      calls.push([name, ...args]);
      if (name === "getCart") return saved;
      if (name === "setCart") saved = args[0] as Cart;
    };
    const layer: unknown[] = [
      { ecommerce: null },
      { event: "add_to_cart", ecommerce: { currency: "EUR", items: [{ item_id: "a", item_name: "A", price: 1, quantity: 1 }] } },
    ];
    (window as unknown as { dataLayer: unknown[] }).dataLayer = layer;
    await import("./ga4");
    const gtag = function (..._: unknown[]) {
      // biome-ignore lint/complexity/noArguments: gtag pushes its arguments object, as Google's snippet does
      layer.push(arguments);
    };
    gtag("event", "add_to_cart", { currency: "EUR", items: [{ item_id: "b", item_name: "B", price: 2, quantity: 2 }] });
    layer.push({ ecommerce: null }, { event: "remove_from_cart", ecommerce: { currency: "EUR", items: [{ item_id: "a", quantity: 1 }] } });
    await vi.waitFor(() => expect(saved?.lines.map((l) => [l.id, l.quantity])).toEqual([["b", 2]]));
    gtag("event", "purchase", { transaction_id: "T1", value: 4, currency: "EUR" });
    await vi.waitFor(() => expect(calls.at(-1)).toEqual(["purchase", { orderId: "T1", total: 400, currency: "EUR" }]));
    // Each entry once: the replayed one is not heard again when the array grows.
    expect(calls.filter((c) => c[0] === "setCart")).toHaveLength(3);
  });
});

describe("cartback-ga4.js on a page whose data layer is renamed", () => {
  let saved: Cart | undefined;
  const names = ["shopLayer", "gtmLayer", "wpLayer", "dataLayer", "gtm4wp_datalayer_name"];
  beforeEach(() => {
    saved = undefined;
    (window as unknown as { cartback: unknown }).cartback = async (name: string, ...args: unknown[]) => {
      if (name === "getCart") return saved;
      if (name === "setCart") saved = args[0] as Cart;
    };
  });
  afterEach(() => {
    for (const name of names) delete (window as unknown as Record<string, unknown>)[name];
    for (const tag of document.querySelectorAll("script[data-test-loader]")) tag.remove();
    Object.defineProperty(document, "currentScript", { value: null, configurable: true });
  });
  const added = (id: string) => ({
    event: "add_to_cart",
    ecommerce: { currency: "EUR", items: [{ item_id: id, item_name: id, price: 1, quantity: 1 }] },
  });
  const ids = () => saved?.lines.map((l) => l.id);

  it("hears the layer the tag names (data-datalayer), and that one only", async () => {
    const script = Object.assign(document.createElement("script"), { load: vi.fn() });
    script.dataset.datalayer = "shopLayer";
    Object.defineProperty(document, "currentScript", { value: script, configurable: true });
    const w = window as unknown as Record<string, unknown[]>;
    w.shopLayer = [added("a")];
    w.dataLayer = [];
    await import("./ga4");
    w.shopLayer.push(added("b"));
    w.dataLayer.push(added("not-ours"));
    await vi.waitFor(() => expect(ids()).toEqual(["a", "b"]));
    await new Promise((r) => setTimeout(r, 20));
    expect(ids()).toEqual(["a", "b"]);
  });

  it("finds the layer GTM's snippet renamed (gtm.js?…&l=) and the one GTM4WP names (gtm4wp_datalayer_name)", async () => {
    const w = window as unknown as Record<string, unknown>;
    // Google's snippet: w[l]=w[l]||[]; then its loader with &l= when l is not dataLayer (a first-party server container here).
    w.gtmLayer = [added("gtm")];
    const loader = document.createElement("script");
    loader.type = "text/x-not-run"; // the test's copy of the loader is never fetched
    loader.dataset.testLoader = "";
    loader.setAttribute("src", "https://metrics.shop.example/gtm.js?id=GTM-ABC1234&l=gtmLayer");
    document.head.append(loader);
    // GTM4WP's header_top: var gtm4wp_datalayer_name = "wpLayer"; var wpLayer = wpLayer || [];
    w.gtm4wp_datalayer_name = "wpLayer";
    w.wpLayer = [added("wp")];
    await import("./ga4");
    (w.gtmLayer as unknown[]).push(added("gtm2"));
    await vi.waitFor(() => expect(ids()?.sort()).toEqual(["gtm", "gtm2", "wp"]));
  });
});

describe("ref events", () => {
  // Fresh modules per test (unit-setup resets them with IndexedDB), so the store is this test's.
  let transact: typeof import("../storage").transact;
  let recorder: typeof import("./ref").recorder;
  const script = (dataset: Record<string, string> = {}) => ({ dataset, transact }) as unknown as Script;
  const refsSaved = async () =>
    (await transact((s) => s.outbox.events))
      .filter((e): e is Extract<CartbackEvent, { type: "ref" }> => e.type === "ref")
      .map((e) => [e.platform, e.ref]);
  beforeEach(async () => {
    ({ transact } = await import("../storage"));
    ({ recorder } = await import("./ref"));
    localStorage.clear();
    (window as unknown as { cartback: unknown }).cartback = vi.fn();
  });

  it("records each token once, without its ?key= part, and only for known platforms and printable tokens", async () => {
    const ref = recorder(script());
    ref("shopify", "c1-7a2abe82?key=824bdj25");
    ref("shopify", "c1-7a2abe82?key=other");
    ref("woocommerce", "c1-7a2abe82");
    ref("magento", "x");
    ref("shopify", "has space");
    ref("shopify", "");
    ref("shopify", "c2-next");
    await vi.waitFor(async () =>
      expect(await refsSaved()).toEqual([
        ["shopify", "c1-7a2abe82"],
        ["woocommerce", "c1-7a2abe82"],
        ["shopify", "c2-next"],
      ]),
    );
    // Another page of the shop: the same token is not recorded again, a new one is.
    const next = recorder(script());
    next("shopify", "c2-next?key=x");
    next("shopify", "c3-new");
    await vi.waitFor(async () => expect((await refsSaved()).map((r) => r[1])).toEqual(["c1-7a2abe82", "c1-7a2abe82", "c2-next", "c3-new"]));
  });

  it("records nothing after consent(false), nor with GPC honoured and on: the core's rule", async () => {
    await transact((s) => {
      s.consent = false;
    });
    recorder(script())("shopify", "c1-a");
    await new Promise((r) => setTimeout(r, 50));
    expect(await refsSaved()).toEqual([]);
    await transact((s) => {
      s.consent = true;
    });
    vi.stubGlobal("navigator", { ...navigator, globalPrivacyControl: true });
    recorder(script({ gpc: "" }))("shopify", "c1-b");
    await new Promise((r) => setTimeout(r, 50));
    expect(await refsSaved()).toEqual([]);
    recorder(script())("shopify", "c1-c");
    await vi.waitFor(async () => expect(await refsSaved()).toEqual([["shopify", "c1-c"]]));
    vi.unstubAllGlobals();
  });
});

describe("auto", () => {
  it("picks GA4 where only a renamed layer shows: GTM4WP's name, a Google loader on the page, the tag's data-datalayer", () => {
    expect(detect({ gtm4wp_datalayer_name: "wpLayer" })).toBe("ga4");
    expect(detect({}, true)).toBe("ga4");
    expect(detect({ Shopify: {} }, true)).toBe("shopify");
    expect(detect({})).toBeUndefined();
  });

  it("picks by what the page shows", () => {
    expect(detect({ Shopify: { routes: { root: "/" } }, dataLayer: [] })).toBe("shopify");
    expect(detect({ wcSettings: {}, dataLayer: [] })).toBe("woocommerce");
    expect(detect({ wc_add_to_cart_params: {} })).toBe("woocommerce");
    expect(detect({ wcBlocksMiddlewareConfig: { storeApiNonce: "n" } })).toBe("woocommerce");
    expect(detect({ gtag() {} })).toBe("ga4");
    expect(detect({ dataLayer: [] })).toBe("ga4");
    expect(detect({})).toBeUndefined();
  });
});

describe("ref events from several tabs", () => {
  it("whatever the interleaving of tabs and tokens, every token offered is recorded, none more than once per tab, nothing else", async () => {
    const { IDBFactory } = await import("fake-indexeddb");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ tab: fc.nat(2), token: fc.constantFrom("c1-a", "c1-b?key=1", "c1-b?key=2", "c1-c"), pause: fc.boolean() }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (calls) => {
          globalThis.indexedDB = new IDBFactory();
          localStorage.clear();
          vi.resetModules();
          const { transact } = await import("../storage");
          const { recorder } = await import("./ref");
          (window as unknown as { cartback: unknown }).cartback = () => {};
          // Three tabs of the shop: one outbox (IndexedDB) and one localStorage, a recorder each.
          const tabs = [0, 1, 2].map(() => recorder({ dataset: {}, transact } as unknown as Script));
          for (const { tab, token, pause } of calls) {
            tabs[tab]?.("shopify", token);
            if (pause) await new Promise((r) => setTimeout(r, 0));
          }
          await new Promise((r) => setTimeout(r, 30));
          const recorded = (await transact((s) => s.outbox.events)).flatMap((e) => (e.type === "ref" ? [e.ref] : []));
          const offered = new Set(calls.map((c) => c.token.split("?")[0]));
          expect(new Set(recorded)).toEqual(offered);
          for (const ref of offered)
            expect(recorded.filter((r) => r === ref).length).toBeLessThanOrEqual(
              new Set(calls.filter((c) => c.token.startsWith(ref as string)).map((c) => c.tab)).size,
            );
        },
      ),
      { numRuns: 40 },
    );
  });
});
