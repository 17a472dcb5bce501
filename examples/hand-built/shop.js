// Papelería Luna: a hand-built shop that knows nothing of Cartback. Its cart lives in
// localStorage under "luna.cart", in its own shape; the page's own buttons change it.
const CDN = "https://images.papeleria-luna.example";
const KEY = "luna.cart";

export const PRODUCTS = [
  { productoId: "p-cuaderno", titulo: "Cuaderno punteado A5", centavos: 18900, colores: ["azul", "verde"], foto: `${CDN}/cuaderno.jpg` },
  { productoId: "p-pluma", titulo: "Pluma fuente", centavos: 64500, colores: ["negro", "rojo"], foto: `${CDN}/pluma.jpg` },
  { productoId: "p-tinta", titulo: "Tinta 50 ml", centavos: 23000, colores: ["azul"], foto: `${CDN}/tinta.jpg` },
];

/** The cart as the shop keeps it: `[{ sku, titulo, centavos, cantidad, productoId, color, foto }]`. */
export const loadCart = () => JSON.parse(localStorage.getItem(KEY) || "[]");
export const saveCart = (items) => localStorage.setItem(KEY, JSON.stringify(items));

const money = (centavos) => new Intl.NumberFormat("es-MX", { style: "currency", currency: "MXN" }).format(centavos / 100);

export function add(productoId, color) {
  const p = PRODUCTS.find((x) => x.productoId === productoId);
  const sku = `${productoId}-${color}`;
  const items = loadCart();
  const line = items.find((i) => i.sku === sku);
  if (line) line.cantidad++;
  else items.push({ sku, titulo: p.titulo, centavos: p.centavos, cantidad: 1, productoId, color, foto: p.foto });
  saveCart(items);
  render();
}

export function remove(sku) {
  saveCart(loadCart().filter((i) => i.sku !== sku));
  render();
}

export function render() {
  const items = loadCart();
  const cart = document.getElementById("cart");
  cart.replaceChildren(
    ...items.map((i) => {
      const row = document.createElement("li");
      Object.assign(row.dataset, { sku: i.sku, cantidad: i.cantidad, color: i.color, producto: i.productoId });
      row.textContent = `${i.cantidad} × ${i.titulo} (${i.color}) ${money(i.centavos * i.cantidad)} `;
      const x = document.createElement("button");
      x.textContent = "Quitar";
      x.onclick = () => remove(i.sku);
      row.append(x);
      return row;
    }),
  );
  document.getElementById("total").textContent = money(items.reduce((t, i) => t + i.centavos * i.cantidad, 0));
}

export function renderProducts() {
  document.getElementById("products").replaceChildren(
    ...PRODUCTS.flatMap((p) =>
      p.colores.map((color) => {
        const card = document.createElement("article");
        card.innerHTML = `<img alt="" width="80" height="80"><h3></h3><p></p><button type="button">Añadir</button>`;
        card.querySelector("img").src = p.foto;
        card.querySelector("h3").textContent = `${p.titulo} (${color})`;
        card.querySelector("p").textContent = money(p.centavos);
        const button = card.querySelector("button");
        button.dataset.add = `${p.productoId}:${color}`;
        button.onclick = () => add(p.productoId, color);
        return card;
      }),
    ),
  );
}
