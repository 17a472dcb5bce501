// Almacén Cordillera: a single-page shop whose cart lives only in the page's memory (a component's
// state, as a Vue or React shop keeps it), lost when the tab or the browser closes. It knows
// nothing of Cartback; the page's last script hands Cartback this cart with `connect`.
const PRODUCTS = [
  { sku: "cafe-grano", nombre: "Café de grano 250 g", pesos: 6490 },
  { sku: "miel-ulmo", nombre: "Miel de ulmo 500 g", pesos: 8990 },
  { sku: "merken", nombre: "Merkén ahumado", pesos: 3290 },
];

/** The cart: `[{ sku, nombre, pesos, cantidad }]`, in this variable only. */
let cart = [];

export const getCart = () => cart;
export function setCart(items) {
  cart = items;
  render();
}

const money = (pesos) => new Intl.NumberFormat("es-CL", { style: "currency", currency: "CLP" }).format(pesos);

function add(sku) {
  const product = PRODUCTS.find((p) => p.sku === sku);
  const line = cart.find((i) => i.sku === sku);
  setCart(line ? cart.map((i) => (i === line ? { ...i, cantidad: i.cantidad + 1 } : i)) : [...cart, { ...product, cantidad: 1 }]);
  window.cartback?.("changed");
}

export function render() {
  document.getElementById("cart").replaceChildren(
    ...cart.map((i) => {
      const row = document.createElement("li");
      Object.assign(row.dataset, { sku: i.sku, cantidad: i.cantidad });
      row.textContent = `${i.cantidad} × ${i.nombre} ${money(i.pesos * i.cantidad)}`;
      return row;
    }),
  );
  document.getElementById("total").textContent = money(cart.reduce((t, i) => t + i.pesos * i.cantidad, 0));
  document.getElementById("empty").hidden = cart.length > 0;
}

export function renderProducts() {
  document.getElementById("products").replaceChildren(
    ...PRODUCTS.map((p) => {
      const card = document.createElement("article");
      card.innerHTML = "<h3></h3><p></p><button type=button>Agregar al carro</button>";
      card.querySelector("h3").textContent = p.nombre;
      card.querySelector("p").textContent = money(p.pesos);
      const button = card.querySelector("button");
      button.dataset.add = p.sku;
      button.onclick = () => add(p.sku);
      return card;
    }),
  );
}
