// A Shopify storefront, simulated from the AJAX Cart API's documentation
// (https://shopify.dev/docs/api/ajax/reference/cart): /cart.js, /cart/add, /cart/change,
// /cart/update and /cart/clear (each with or without .js; JSON, urlencoded or FormData bodies), a
// `cart` cookie per browser, and pages like Dawn's: a product form whose script posts FormData to
// /cart/add and then publishes the theme's cart-update event (Dawn's product-form.js and pubsub.js),
// a plain form post, a cart drawer whose buttons change lines, and a checkout page where the Custom
// Pixel runs over a shim of the documented pixel API.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Held, type Product, shopifyCart, shopifyItem, shopifyKey } from "./fixtures";
import { fieldsOf, html, json, serve } from "./http";

export const PRODUCTS: Product[] = [
  { id: 39897499729985, productId: 6786188247105, title: "Health potion", variant: "S / Low", price: 900, handle: "health-potion" },
  { id: 39888235757633, productId: 6785887256641, title: "Elixir", price: 1250, handle: "elixir" },
  { id: 39888235790401, productId: 6785887289409, title: "Mana potion", variant: "Large", price: 2000, handle: "mana-potion" },
];

const PIXEL = new URL("../../examples/shopify/pixel.js", import.meta.url);

export interface ShopifySimulator {
  origin: string;
  /** The cart of the browser holding `token` (the `cart` cookie), as the simulator keeps it. */
  carts: Map<string, Held[]>;
  /** Every cart request the theme made, for the test to see what reached the "platform". */
  requests: string[];
  close(): Promise<void>;
}

export async function startShopify({
  port,
  collector,
  site,
}: {
  port: number;
  collector: string;
  site: string;
}): Promise<ShopifySimulator> {
  const carts = new Map<string, Held[]>();
  const requests: string[] = [];
  const tag = `<script async src="${collector}/cartback.js" data-site="${site}" data-platform="shopify"></script>`;

  const page = (title: string, body: string, token: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title} – Polina's Potent Potions</title>
<script>window.Shopify = { shop: "polinas-potent-potions.myshopify.com", locale: "en", currency: { active: "CAD", rate: "1.0" }, routes: { root: "/" } };</script>
${tag}
<script>
  // Dawn's pubsub.js and the routes its product form and cart use.
  window.routes = { cart_add_url: "/cart/add", cart_change_url: "/cart/change", cart_url: "/cart" };
  const subscribers = {};
  function subscribe(event, callback) { (subscribers[event] ||= []).push(callback); }
  function publish(event, data) { for (const callback of subscribers[event] || []) callback(data); }
  const PUB_SUB_EVENTS = { cartUpdate: "cart-update" };
  async function renderCart() {
    const cart = await (await fetch(routes.cart_url + ".js")).json();
    document.getElementById("cart-count").textContent = cart.item_count;
    document.getElementById("cart-drawer").innerHTML = cart.items.map((item, i) =>
      '<li data-key="' + item.key + '" data-quantity="' + item.quantity + '">' + item.product_title + ' × ' + item.quantity +
      ' <button class="plus" data-line="' + (i + 1) + '" data-quantity="' + (item.quantity + 1) + '">+</button>' +
      ' <button class="remove" data-line="' + (i + 1) + '">remove</button></li>').join("");
  }
  subscribe(PUB_SUB_EVENTS.cartUpdate, renderCart);
  document.addEventListener("click", (e) => {
    const button = e.target.closest("button.plus, button.remove");
    if (!button) return;
    if (button.classList.contains("plus")) {
      // Dawn's cart.js: updateQuantity posts JSON to routes.cart_change_url.
      fetch(routes.cart_change_url, { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ line: Number(button.dataset.line), quantity: Number(button.dataset.quantity) }) })
        .then((r) => r.json()).then((cart) => publish(PUB_SUB_EVENTS.cartUpdate, { source: "cart-items", cartData: cart }));
    } else {
      // An older theme's jQuery-style XMLHttpRequest to /cart/change.js.
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/cart/change.js");
      xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
      xhr.onload = () => publish(PUB_SUB_EVENTS.cartUpdate, { source: "cart-items" });
      xhr.send("line=" + button.dataset.line + "&quantity=0");
    }
  });
  document.addEventListener("submit", (e) => {
    const form = e.target.closest("product-form form");
    if (!form) return;
    // Dawn's product-form.js: FormData to routes.cart_add_url, then the cart-update event.
    e.preventDefault();
    fetch(routes.cart_add_url, { method: "POST", headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/javascript" }, body: new FormData(form) })
      .then((r) => r.json()).then((item) => publish(PUB_SUB_EVENTS.cartUpdate, { source: "product-form", productVariantId: item.variant_id }));
  });
  addEventListener("DOMContentLoaded", renderCart);
</script></head>
<body><header>Cart (<span id="cart-count">0</span>)</header><ul id="cart-drawer"></ul>${body}<!-- cart ${token} --></body></html>`;

  const productForm = (p: Product, extra = "") =>
    `<product-form><form action="/cart/add" method="post" data-product="${p.handle}"><input type="hidden" name="id" value="${p.id}">${extra}<button type="submit">Add ${p.title}</button></form></product-form>`;

  const home = () =>
    `<main>${productForm(PRODUCTS[0] as Product, '<input type="hidden" name="properties[Engraving]" value="For Ana"><input type="hidden" name="properties[_gift]" value="yes">')}
${productForm(PRODUCTS[2] as Product)}
<form class="plain" action="/cart/add" method="post"><input type="hidden" name="id" value="${(PRODUCTS[1] as Product).id}"><input type="hidden" name="quantity" value="1"><button type="submit">Add Elixir (plain form)</button></form></main>`;

  const find = (id: unknown): Product | undefined => PRODUCTS.find((p) => String(p.id) === String(id));

  /** Adds to `lines` as Shopify does: the same variant with the same properties and selling plan adds to its quantity. */
  const add = (lines: Held[], id: unknown, quantity: unknown, properties?: Record<string, string>, plan?: unknown): Held | undefined => {
    const product = find(id);
    if (!product) return undefined;
    const held: Held = {
      product,
      quantity: Number(quantity ?? 1) || 1,
      properties: properties && Object.keys(properties).length ? properties : undefined,
    };
    if (plan != null && plan !== "") held.sellingPlan = Number(plan);
    const same = lines.find((l) => shopifyKey(l) === shopifyKey(held));
    if (same) same.quantity += held.quantity;
    else lines.push(held);
    return same || held;
  };

  const server = await serve(port, async (request, cookies) => {
    const url = new URL(request.url);
    let token = cookies.cart;
    const headers: Record<string, string> = {};
    if (!token || !carts.has(token)) {
      token = `c1-${randomBytes(16).toString("hex")}`;
      carts.set(token, []);
      headers["set-cookie"] = `cart=${token}; path=/; samesite=lax`;
    }
    const lines = carts.get(token) as Held[];
    const path = url.pathname.replace(/\.js$/, "");
    const wantsJson = url.pathname.endsWith(".js") || /json|javascript/.test(request.headers.get("accept") || "");
    const cartJson = () => json(shopifyCart(token, lines), { headers });

    if (request.method === "GET" && url.pathname === "/") return html(page("Home", home(), token), { headers });
    if (request.method === "GET" && url.pathname === "/cart")
      return html(page("Your cart", "<main><h1>Your cart</h1></main>", token), { headers });
    if (request.method === "GET" && url.pathname === "/cart.js") return cartJson();
    if (request.method === "GET" && url.pathname.startsWith("/checkouts/")) {
      const pixel = readFileSync(PIXEL, "utf8")
        .replace(/const CARTBACK_SITE = ".*";/, `const CARTBACK_SITE = ${JSON.stringify(site)};`)
        .replace(/const CARTBACK_ENDPOINT = ".*";/, `const CARTBACK_ENDPOINT = ${JSON.stringify(collector)};`);
      return html(checkoutPage(pixel, shopifyCart(token, lines)), { headers });
    }
    if (request.method !== "POST") return new Response("not found", { status: 404 });

    if (["/cart/add", "/cart/change", "/cart/update", "/cart/clear"].includes(path)) requests.push(`${request.method} ${url.pathname}`);
    const fields = await fieldsOf(request);
    switch (path) {
      case "/cart/add": {
        // One item (`id`, `quantity`, `properties`, `selling_plan`) or many (`items`); the answer is the item(s) added.
        const items = Array.isArray(fields.items) ? (fields.items as Record<string, unknown>[]) : [fields];
        const added = items.map((i) => add(lines, i.id, i.quantity, i.properties as Record<string, string>, i.selling_plan));
        if (added.some((a) => !a))
          return json({ status: 422, message: "Cart Error", description: "The product couldn't be found." }, { status: 422 });
        if (!wantsJson) return new Response(null, { status: 302, headers: { ...headers, location: "/cart" } });
        const shaped = added.map((a) => shopifyItem(a as Held));
        return json(Array.isArray(fields.items) ? { items: shaped } : shaped[0], { headers });
      }
      case "/cart/change": {
        // By `line` (1-based) or by `id` (an item key or a variant id).
        const index =
          fields.line != null
            ? Number(fields.line) - 1
            : lines.findIndex((l) => shopifyKey(l) === fields.id || String(l.product.id) === String(fields.id));
        const held = lines[index];
        if (!held) return json({ status: 400, message: "Cart Error", description: "no such line" }, { status: 400 });
        const quantity = Number(fields.quantity);
        if (quantity > 0) held.quantity = quantity;
        else lines.splice(index, 1);
        return wantsJson ? cartJson() : new Response(null, { status: 302, headers: { ...headers, location: "/cart" } });
      }
      case "/cart/update": {
        for (const [id, quantity] of Object.entries((fields.updates as Record<string, number>) || {})) {
          const index = lines.findIndex((l) => shopifyKey(l) === id || String(l.product.id) === id);
          if (index >= 0 && Number(quantity) > 0) (lines[index] as Held).quantity = Number(quantity);
          else if (index >= 0) lines.splice(index, 1);
          else if (Number(quantity) > 0) add(lines, id, quantity);
        }
        return wantsJson ? cartJson() : new Response(null, { status: 302, headers: { ...headers, location: "/cart" } });
      }
      case "/cart/clear":
        lines.splice(0);
        return cartJson();
      default:
        return new Response("not found", { status: 404 });
    }
  });
  return { origin: server.origin, carts, requests, close: server.close };
}

/**
 * Shopify's checkout, where no theme script runs: only the Custom Pixel, given the documented API
 * (https://shopify.dev/docs/api/web-pixels-api/standard-api) over this origin's own localStorage
 * and cookies, as Shopify's sandbox runs `browser.*` in the top frame. `window.checkoutEvents(list)`
 * replays standard events to its subscribers.
 */
function checkoutPage(pixel: string, cart: ReturnType<typeof shopifyCart>): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Checkout</title></head><body><h1>Checkout</h1>
<script>
  const subscribers = {};
  const analytics = { subscribe: async (name, callback) => { (subscribers[name] ||= []).push(callback); } };
  const browser = {
    localStorage: { getItem: async (k) => localStorage.getItem(k), setItem: async (k, v) => localStorage.setItem(k, v) },
    cookie: { get: async (name) => (document.cookie.split("; ").find((c) => c.startsWith(name + "=")) || "").slice(name.length + 1) },
  };
  const init = { customerPrivacy: { analyticsProcessingAllowed: true, marketingAllowed: true, preferencesProcessingAllowed: true, saleOfDataAllowed: true } };
  const api = { analytics, browser, init, customerPrivacy: { subscribe: async () => {} } };
  window.checkoutCart = ${JSON.stringify(cart)};
  window.checkoutEvents = async (events) => { for (const event of events) for (const callback of subscribers[event.name] || []) await callback(event); };
</script>
<script>${pixel}</script></body></html>`;
}
