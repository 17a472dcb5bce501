// Tea Corner: a shop that bundles Cartback as an ES module (`npm install cartback`), with the
// cross-device cart for its signed-in customers. scripts/build.mjs bundles this file with esbuild,
// resolving "cartback" and "cartback/sync" through the package's own `exports`, as a shop's bundler
// resolves them from node_modules. Served by the local collector at /module-shop/.
import { createCartback } from "cartback";
import { sync } from "cartback/sync";

const PRODUCTS = [
  { id: "green-tea-100g", name: "Green tea 100 g", price: 1250 },
  { id: "oolong-50g", name: "Oolong 50 g", price: 1490 },
  { id: "kettle", name: "Kettle", price: 4500 },
];

// `sync`: a signed-in customer's cart on all their devices (the script tag loads the same code as cartback-sync.js).
const cartback = createCartback({ site: "pk_demo_local", endpoint: location.origin, currency: "EUR", sync });

const money = (cents) => new Intl.NumberFormat("en", { style: "currency", currency: "EUR" }).format(cents / 100);

function render(cart) {
  const lines = cart?.lines ?? [];
  document.getElementById("cart").replaceChildren(
    ...lines.map((line) => {
      const row = document.createElement("li");
      Object.assign(row.dataset, { line: line.id, quantity: line.quantity });
      row.textContent = `${line.quantity} × ${line.name} ${money(line.price * line.quantity)}`;
      return row;
    }),
  );
  document.getElementById("empty").hidden = lines.length > 0;
}

document.getElementById("products").replaceChildren(
  ...PRODUCTS.map((product) => {
    const card = document.createElement("article");
    card.innerHTML = "<h3></h3><p></p><button type=button>Add to cart</button>";
    card.querySelector("h3").textContent = product.name;
    card.querySelector("p").textContent = money(product.price);
    const button = card.querySelector("button");
    button.dataset.add = product.id;
    button.onclick = () => cartback.addLine({ ...product, quantity: 1 });
    return card;
  }),
);
cartback.onCart(render);

// The shop's sign-in: its server signs the customer a token (`signShopperToken` from
// "cartback/server") and the page hands it over with `identify`. Here the browser test calls it.
window.shop = { signIn: (userId, token) => cartback.identify({ userId, token }), cartback };
