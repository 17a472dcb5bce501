// A WooCommerce shop, simulated from the Store API's documentation
// (https://developer.woocommerce.com/docs/apis/store-api/resources-endpoints/cart/ and
// .../cart-items/): GET /wp-json/wc/store/v1/cart with its `Nonce` and `Cart-Token` headers,
// POST cart/add-item, cart/remove-item and cart/update-item and DELETE cart/items, each write
// refused without the session's nonce (https://developer.woocommerce.com/docs/apis/store-api/nonce-tokens/),
// a session cookie per browser and the `woocommerce_cart_hash` cookie. Pages like a classic theme
// (the `?wc-ajax=add_to_cart` / `remove_from_cart` calls of add-to-cart.js and cart.js, then their
// jQuery events `added_to_cart`, `removed_from_cart`, `updated_cart_totals`) and like the blocks
// (Store API writes, then `wc-blocks_added_to_cart` / `wc-blocks_removed_from_cart` on document.body),
// and the classic basket's remove link (cart.js: a GET of its href, then update_wc_div's events:
// `wc_cart_emptied` when the last line went, `updated_wc_div` always). WordPress installed at `base`
// (a subdirectory such as `/shop/` answers nothing outside it) publishes its REST root as wp_head and
// send_headers do (https://developer.wordpress.org/rest-api/using-the-rest-api/discovery/): the
// `<link rel="https://api.w.org/">` element and the `Link` header, and no `wpApiSettings` on the page.
import { createHash, randomBytes } from "node:crypto";
import { type Held, type Product, wooCart } from "./fixtures";
import { fieldsOf, html, json, serve } from "./http";

export const WOO_PRODUCTS: Product[] = [
  { id: 22, productId: 22, title: "Beanie", price: 1800, handle: "beanie" },
  { id: 35, productId: 31, title: "Hoodie", variant: "Blue", price: 4500, handle: "hoodie" },
  { id: 27, productId: 27, title: "Cap", price: 1600, handle: "cap" },
];

export interface WooLine {
  held: Held;
  key: string;
}

export interface WooSimulator {
  origin: string;
  /** Carts by session (the `wp_woocommerce_session_sim` cookie). */
  carts: Map<string, WooLine[]>;
  close(): Promise<void>;
}

const md5 = (text: string): string => createHash("md5").update(text).digest("hex");

/**
 * A stand-in for the two jQuery methods WooCommerce's scripts use here, `on` and `trigger`. Like
 * jQuery, `trigger` of a custom event calls only handlers added with `on`: a native listener for
 * `added_to_cart` hears nothing, which is why the adapter must go through jQuery.
 */
const JQUERY = `window.jQuery = window.$ = (function () {
  const handlers = new Map();
  return function (target) {
    const api = {
      on(events, handler) { for (const e of events.split(/\\s+/)) { const key = e; if (!handlers.has(target)) handlers.set(target, {}); (handlers.get(target)[key] ||= []).push(handler); } return api; },
      trigger(event, args) { const list = (handlers.get(target) || {})[event] || []; for (const h of list) h.apply(target, [{ type: event }].concat(args || [])); return api; },
    };
    return api;
  };
})();`;

export async function startWooCommerce({
  port,
  collector,
  site,
  base = "/",
  publish = ["element", "header"],
}: {
  port: number;
  collector: string;
  site: string;
  /** Where WordPress is installed: "/", or a subdirectory like "/shop/". */
  base?: string;
  /** Where it publishes its REST root (a theme may remove either). */
  publish?: ("element" | "header")[];
}): Promise<WooSimulator> {
  const carts = new Map<string, WooLine[]>();
  const nonceOf = (session: string) => md5(`nonce:${session}`).slice(0, 10);
  const tag = `<script async src="${collector}/cartback.js" data-site="${site}" data-platform="woocommerce" data-capture-email="true"></script>`;

  const restRoot = `http://127.0.0.1:${port}${base}wp-json/`;
  const page = (title: string, body: string, session: string) => `<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>${title} – Woo Sim</title>
${publish.includes("element") ? `<link rel="https://api.w.org/" href="${restRoot}">` : ""}
<script>${JQUERY}</script>
<script>
  var wc_add_to_cart_params = { ajax_url: "${base}wp-admin/admin-ajax.php", wc_ajax_url: "${base}?wc-ajax=%%endpoint%%", cart_url: "${base}cart/", is_cart: "" };
  var wcBlocksMiddlewareConfig = { storeApiNonce: "${nonceOf(session)}", wcStoreApiNonceTimestamp: "1700000000" };
  var wcSettings = { storePages: { cart: { permalink: "${base}cart/" }, checkout: { permalink: "${base}checkout/" } }, currency: { code: "GBP", precision: 2 } };
</script>
${tag}
<script>
  const wcAjax = (endpoint, fields) => fetch(wc_add_to_cart_params.wc_ajax_url.replace("%%endpoint%%", endpoint), { method: "POST", body: new URLSearchParams(fields) }).then((r) => r.json());
  const storeApi = (path, body) => fetch("${base}wp-json/wc/store/v1/" + path, { method: "POST", headers: { "Content-Type": "application/json", Nonce: wcBlocksMiddlewareConfig.storeApiNonce }, body: JSON.stringify(body) }).then((r) => r.json());
  const count = (n) => { document.getElementById("count").textContent = n; };
  document.addEventListener("click", async (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.classicAdd) {
      // add-to-cart.js: the AJAX add, then jQuery's added_to_cart on document.body.
      const res = await wcAjax("add_to_cart", { product_id: b.dataset.classicAdd, quantity: 1 });
      count(res.count);
      jQuery(document.body).trigger("added_to_cart", [res.fragments, res.cart_hash, jQuery(b)]);
    } else if (b.dataset.classicRemove) {
      const res = await wcAjax("remove_from_cart", { cart_item_key: b.dataset.classicRemove });
      count(res.count);
      jQuery(document.body).trigger("removed_from_cart", [res.fragments, res.cart_hash, jQuery(b)]);
    } else if (b.dataset.blocksAdd) {
      // The blocks: a Store API write, then their native event on document.body.
      const body = { id: Number(b.dataset.blocksAdd), quantity: 1 };
      if (b.dataset.attribute) body.variation = [{ attribute: b.dataset.attribute, value: b.dataset.value }];
      const cart = await storeApi("cart/add-item", body);
      count(cart.items_count);
      document.body.dispatchEvent(new CustomEvent("wc-blocks_added_to_cart", { bubbles: true, cancelable: true }));
    } else if (b.dataset.blocksRemove) {
      const cart = await storeApi("cart/remove-item", { key: b.dataset.blocksRemove });
      count(cart.items_count);
      document.body.dispatchEvent(new CustomEvent("wc-blocks_removed_from_cart", { bubbles: true, cancelable: true }));
    } else if (b.name === "update_cart") {
      // cart.js: the cart form posted, then updated_cart_totals.
      e.preventDefault();
      await fetch("${base}cart/", { method: "POST", body: new FormData(b.form) });
      jQuery(document.body).trigger("updated_cart_totals");
    }
  });
  document.addEventListener("click", async (e) => {
    const a = e.target.closest(".woocommerce-cart-form .product-remove > a");
    if (!a) return;
    // cart.js item_remove_clicked: a GET of the link, then update_wc_div with the page it answers.
    e.preventDefault();
    const html = await (await fetch(a.href)).text();
    const next = new DOMParser().parseFromString(html, "text/html");
    const form = next.querySelector(".woocommerce-cart-form");
    if (form) {
      document.querySelector(".woocommerce-cart-form").replaceWith(form);
      jQuery(document.body).trigger("updated_cart_totals");
    } else {
      document.querySelector(".woocommerce-cart-form").replaceWith(next.querySelector(".wc-empty-cart-message"));
      jQuery(document.body).trigger("wc_cart_emptied");
    }
    jQuery(document.body).trigger("updated_wc_div");
  });
</script></head>
<body class="woocommerce"><header>Basket (<span id="count">0</span>)</header>${body}</body></html>`;

  const server = await serve(port, async (request, cookies) => {
    const url = new URL(request.url);
    // Nothing of WordPress outside the directory it is installed in.
    if (!url.pathname.startsWith(base)) return new Response("not found", { status: 404 });
    url.pathname = `/${url.pathname.slice(base.length)}`;
    let session = cookies.wp_woocommerce_session_sim;
    const headers = new Headers();
    if (!session || !carts.has(session)) {
      session = randomBytes(12).toString("hex");
      carts.set(session, []);
      headers.append("set-cookie", `wp_woocommerce_session_sim=${session}; path=${base}; httponly; samesite=lax`);
    }
    const lines = carts.get(session) as WooLine[];
    const after = () => {
      // WooCommerce sets the cart hash cookie for its fragments script (not HttpOnly), and keeps it as the order's cart_hash.
      const hash = lines.length ? md5(JSON.stringify(lines.map((l) => [l.key, l.held.quantity]))) : "";
      headers.append(
        "set-cookie",
        hash ? `woocommerce_cart_hash=${hash}; path=${base}` : `woocommerce_cart_hash=; path=${base}; max-age=0`,
      );
      headers.append("set-cookie", `woocommerce_items_in_cart=${lines.length ? 1 : 0}; path=${base}`);
    };
    const add = (id: unknown, quantity: unknown, variation: { attribute: string; value: string }[] = []): boolean => {
      const product = WOO_PRODUCTS.find((p) => String(p.id) === String(id));
      if (!product || (product.variant && !variation.some((v) => v.value === product.variant))) return false;
      const key = md5(`${product.id}:${JSON.stringify(variation)}`);
      const same = lines.find((l) => l.key === key);
      if (same) same.held.quantity += Number(quantity) || 1;
      else lines.push({ key, held: { product, quantity: Number(quantity) || 1 } });
      return true;
    };
    const cartResponse = (status = 200) => {
      headers.set("Nonce", nonceOf(session));
      headers.set("Cart-Token", `eyJ0eXAiOiJKV1QifQ.${Buffer.from(session).toString("base64url")}.sig`);
      return json(wooCart(lines), { status, headers });
    };
    const api = url.pathname.startsWith("/wp-json/wc/store/v1/") ? url.pathname.slice("/wp-json/wc/store/v1/".length) : undefined;

    if (api !== undefined) {
      if (request.method === "GET" && api === "cart") return cartResponse();
      if (request.headers.get("nonce") !== nonceOf(session))
        return json(
          {
            code: "woocommerce_rest_missing_nonce",
            message: "Missing the Nonce header. This endpoint requires a valid nonce.",
            data: { status: 401 },
          },
          { status: 401, headers },
        );
      const fields = (await fieldsOf(request)) as Record<string, never>;
      if (request.method === "POST" && api === "cart/add-item") {
        if (!add(fields.id, fields.quantity, fields.variation))
          return json(
            { code: "woocommerce_rest_cart_invalid_product", message: "This product cannot be added to the cart.", data: { status: 400 } },
            { status: 400, headers },
          );
        after();
        return cartResponse(201);
      }
      if (request.method === "POST" && api === "cart/remove-item") {
        const i = lines.findIndex((l) => l.key === fields.key);
        if (i < 0)
          return json(
            { code: "woocommerce_rest_cart_invalid_key", message: "Cart item no longer exists or is invalid.", data: { status: 409 } },
            { status: 409, headers },
          );
        lines.splice(i, 1);
        after();
        return cartResponse();
      }
      if (request.method === "DELETE" && api === "cart/items") {
        lines.splice(0);
        after();
        headers.set("Nonce", nonceOf(session));
        return json([], { headers });
      }
      return json(
        { code: "rest_no_route", message: "No route was found matching the URL and request method.", data: { status: 404 } },
        { status: 404, headers },
      );
    }

    const wcAjax = url.searchParams.get("wc-ajax");
    if (request.method === "POST" && wcAjax) {
      const fields = (await fieldsOf(request)) as Record<string, string>;
      if (wcAjax === "add_to_cart") add(fields.product_id, fields.quantity);
      if (wcAjax === "remove_from_cart") lines.splice(lines.findIndex((l) => l.key === fields.cart_item_key) >>> 0, 1);
      after();
      return json(
        { fragments: {}, cart_hash: md5(JSON.stringify(lines)), count: lines.reduce((n, l) => n + l.held.quantity, 0) },
        { headers },
      );
    }
    if (request.method === "POST" && url.pathname === "/cart/") {
      const form = await request.formData();
      for (const [name, value] of form) {
        const key = /^cart\[(\w+)\]\[qty\]$/.exec(name)?.[1];
        const line = lines.find((l) => l.key === key);
        if (line) line.held.quantity = Number(value);
      }
      after();
      return html("<p>Cart updated.</p>", { headers });
    }
    // Every page sends its REST root in a Link header (rest_output_link_header); a HEAD gets the headers only.
    if (publish.includes("header")) headers.set("link", `<${restRoot}>; rel="https://api.w.org/"`);
    if (request.method === "HEAD") return new Response(null, { status: 200, headers });
    if (request.method !== "GET") return new Response("not found", { status: 404 });
    // The basket's remove link (WC_Form_Handler::update_cart_action): the line goes, the basket is shown again.
    const removed = url.searchParams.get("remove_item");
    if (url.pathname === "/cart/" && removed !== null) {
      const i = lines.findIndex((l) => l.key === removed);
      if (i >= 0) lines.splice(i, 1);
      after();
    }
    if (url.pathname === "/")
      return html(
        page(
          "Shop",
          `<ul class="products">
<li>Beanie <button data-classic-add="22">Add to basket</button></li>
<li>Hoodie (Blue) <button data-blocks-add="35" data-attribute="Color" data-value="Blue">Add to basket</button></li>
<li>Cap <button data-blocks-add="27">Add to basket</button></li>
</ul><div id="mini-cart">${lines.map((l) => `<p data-key="${l.key}">${l.held.product.title} × ${l.held.quantity} <button data-blocks-remove="${l.key}">×</button></p>`).join("")}</div>`,
          session,
        ),
        { headers },
      );
    if (url.pathname === "/cart/")
      return html(
        page(
          "Basket",
          lines.length
            ? `<form class="woocommerce-cart-form">${lines
                .map(
                  (l) =>
                    `<p data-key="${l.key}"><span class="product-remove"><a href="${base}cart/?remove_item=${l.key}&amp;_wpnonce=${nonceOf(session)}">×</a></span> ${l.held.product.title} <input name="cart[${l.key}][qty]" value="${l.held.quantity}"> <button type="button" data-classic-remove="${l.key}">Remove</button></p>`,
                )
                .join("")}<button type="submit" name="update_cart" value="Update basket">Update basket</button></form>`
            : `<div class="wc-empty-cart-message"><p class="cart-empty woocommerce-info">Your basket is currently empty.</p></div>`,
          session,
        ),
        { headers },
      );
    if (url.pathname === "/checkout/")
      return html(
        page(
          "Checkout",
          `<form class="checkout woocommerce-checkout"><p><label for="billing_email">Email address</label><input type="email" id="billing_email" name="billing_email" autocomplete="email"></p><p><input id="billing_first_name" name="billing_first_name"></p></form>`,
          session,
        ),
        { headers },
      );
    return new Response("not found", { status: 404 });
  });
  return { origin: server.origin, carts, close: server.close };
}
