// A shop that runs no platform Cartback knows, only Google's tag: its own code pushes GA4's
// recommended ecommerce events (https://developers.google.com/analytics/devguides/collection/ga4/ecommerce?client_type=gtag
// and ?client_type=gtm for the data-layer form with its `{ ecommerce: null }` clear), some through
// gtag() (Google's snippet: `function gtag(){dataLayer.push(arguments);}`) and some as data-layer
// objects, and keeps its cart in sessionStorage. Its one Cartback call of its own: `identify` at
// checkout, and `onRestore` to rebuild its cart from a recovery link. Its tag says `data-platform="auto"`.
import { html, serve } from "./http";

export const GA4_ITEMS = [
  // https://developers.google.com/analytics/devguides/collection/ga4/reference/events#add_to_cart (items[] fields)
  { item_id: "SKU_12345", item_name: "Stan and Friends Tee", item_variant: "green", price: 10.5, currency: "EUR" },
  { item_id: "SKU_12346", item_name: "Google Grey Women's Tee", price: 21.99, currency: "EUR" },
];

/**
 * The shop; with `layer`, its data layer is renamed as GTM's snippet renames it
 * (https://developers.google.com/tag-platform/tag-manager/datalayer#rename_the_data_layer): the
 * snippet's `l` argument, which its loader passes on as `gtm.js?id=…&l=<layer>` (served here, empty).
 */
export async function startGa4({ port, collector, site, layer }: { port: number; collector: string; site: string; layer?: string }) {
  const name = layer ?? "dataLayer";
  const gtm = layer
    ? `<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src='/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);})(window,document,'script','${layer}','GTM-TEST000');</script>`
    : "";
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tee shop</title>
${gtm}
<script>
  window.${name} = window.${name} || [];
  function gtag() { ${name}.push(arguments); }
  gtag("js", new Date());
  gtag("config", "G-TEST000000");
  window.cartback = window.cartback || function () { (cartback.q = cartback.q || []).push(arguments); };
</script>
<script async src="${collector}/cartback.js" data-site="${site}" data-platform="auto" data-currency="EUR"></script>
<script>
  const ITEMS = ${JSON.stringify(GA4_ITEMS)};
  const load = () => JSON.parse(sessionStorage.getItem("tees") || "[]");
  const save = (lines) => { sessionStorage.setItem("tees", JSON.stringify(lines)); render(); };
  const itemOf = (line) => ({ ...ITEMS.find((i) => i.item_id === line.item_id), quantity: line.quantity });
  const value = (lines) => Math.round(lines.reduce((s, l) => s + itemOf(l).price * l.quantity, 0) * 100) / 100;
  function render() { document.getElementById("cart").innerHTML = load().map((l) => '<li data-id="' + l.item_id + '" data-quantity="' + l.quantity + '">' + l.item_id + " × " + l.quantity + "</li>").join(""); }
  function add(id) {
    const lines = load();
    const line = lines.find((l) => l.item_id === id);
    if (line) line.quantity++; else lines.push({ item_id: id, quantity: 1 });
    save(lines);
    // gtag's form.
    gtag("event", "add_to_cart", { currency: "EUR", value: itemOf({ item_id: id, quantity: 1 }).price, items: [itemOf({ item_id: id, quantity: 1 })] });
  }
  function remove(id) {
    save(load().filter((l) => l.item_id !== id));
    // The data-layer form, with the recommended clear first.
    ${name}.push({ ecommerce: null });
    ${name}.push({ event: "remove_from_cart", ecommerce: { currency: "EUR", items: [{ item_id: id }] } });
  }
  function viewCart() {
    const lines = load();
    ${name}.push({ ecommerce: null });
    ${name}.push({ event: "view_cart", ecommerce: { currency: "EUR", value: value(lines), items: lines.map(itemOf) } });
  }
  function checkout(email) {
    const lines = load();
    gtag("event", "begin_checkout", { currency: "EUR", value: value(lines), items: lines.map(itemOf) });
    cartback("identify", { email });
    gtag("event", "add_shipping_info", { currency: "EUR", value: value(lines), shipping_tier: "Ground", items: lines.map(itemOf) });
    gtag("event", "add_payment_info", { currency: "EUR", value: value(lines), payment_type: "Credit Card", items: lines.map(itemOf) });
  }
  function purchase() {
    const lines = load();
    gtag("event", "purchase", { transaction_id: "T_" + Date.now(), value: value(lines), tax: 0, shipping: 0, currency: "EUR", items: lines.map(itemOf) });
    save([]);
  }
  // The shop's own recovery: Cartback's restored cart back into its own storage.
  cartback("onRestore", (restored) => {
    if (restored.status !== "restored") return;
    save(restored.cart.lines.map((l) => ({ item_id: l.id.split(":")[0], quantity: l.quantity })));
  });
  addEventListener("DOMContentLoaded", render);
</script></head>
<body><ul id="cart"></ul>
<button id="add-tee" onclick="add('SKU_12345')">Add tee</button>
<button id="add-grey" onclick="add('SKU_12346')">Add grey tee</button>
<button id="remove-grey" onclick="remove('SKU_12346')">Remove grey tee</button>
<button id="view-cart" onclick="viewCart()">View cart</button>
<button id="purchase" onclick="purchase()">Buy</button>
</body></html>`;
  return serve(port, (request) =>
    new URL(request.url).pathname === "/gtm.js" ? new Response("", { headers: { "content-type": "text/javascript" } }) : html(page),
  );
}
