// The demo shop's own code. It talks to Cartback only through the `cartback(...)` command queue,
// exactly as a real shop would after pasting the snippet.
const PRODUCTS = [
  { id: "green-tea-100g", name: "Green tea", variant: "100 g tin", price: 1250, image: "img/green-tea.svg" },
  { id: "oolong-50g", name: "Oolong", variant: "50 g pouch", price: 1890, image: "img/oolong.svg" },
  { id: "mug-blue", name: "Stoneware mug", variant: "Blue", price: 2400, image: "img/mug.svg" },
  { id: "kettle", name: "Gooseneck kettle", price: 6900, image: "img/kettle.svg" },
];

const money = (minor, currency = "EUR") => new Intl.NumberFormat("en", { style: "currency", currency }).format(minor / 100);
const absolute = (path) => new URL(path, location.href).href;

function build(tag, props, children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

export function renderProducts(root) {
  for (const p of PRODUCTS) {
    const add = build("button", { textContent: "Add to cart", onclick: () => addToCart(p) }, []);
    add.dataset.add = p.id;
    root.append(
      build("div", { className: "product" }, [
        build("img", { src: p.image, alt: p.name }, []),
        build("h3", { textContent: p.name }, []),
        build("p", { className: "muted", textContent: [p.variant, money(p.price)].filter(Boolean).join(" · ") }, []),
        add,
      ]),
    );
  }
}

function addToCart(p) {
  cartback("addLine", { ...p, quantity: 1, url: absolute(`./#${p.id}`), image: absolute(p.image) });
}

/** Renders the cart Cartback keeps; called on load and after every change, in any tab. */
export function renderCart(root, { editable = true } = {}) {
  cartback("onCart", (cart) => {
    const lines = cart?.lines ?? [];
    root.replaceChildren();
    if (!lines.length) {
      root.append(build("p", { className: "muted", textContent: "Your cart is empty." }, []));
    }
    for (const line of lines) {
      const controls = editable
        ? build("span", { className: "qty" }, [
            build(
              "button",
              { className: "secondary", textContent: "−", onclick: () => cartback("updateLine", line.id, { quantity: line.quantity - 1 }) },
              [],
            ),
            ` ${line.quantity} `,
            build(
              "button",
              { className: "secondary", textContent: "+", onclick: () => cartback("updateLine", line.id, { quantity: line.quantity + 1 }) },
              [],
            ),
          ])
        : build("span", { textContent: `× ${line.quantity}` }, []);
      const row = build("div", { className: "line" }, [
        build("img", { src: line.image ?? "", alt: "" }, []),
        build("div", {}, [
          build("strong", { textContent: line.name }, []),
          build(
            "div",
            { className: "muted", textContent: [line.variant, money(line.price, cart.currency)].filter(Boolean).join(" · ") },
            [],
          ),
        ]),
        controls,
      ]);
      row.dataset.line = line.id;
      row.dataset.quantity = line.quantity;
      root.append(row);
    }
    const total = lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
    const summary = build("p", { textContent: `Total: ${money(total, cart?.currency)}` }, []);
    summary.dataset.total = total;
    root.append(summary);
    document.dispatchEvent(new CustomEvent("demo:cart", { detail: cart }));
  });
}
