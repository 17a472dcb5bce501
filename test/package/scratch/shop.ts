// An integrator's file, type-checked against the installed package under each resolver
// (package.test.ts). Each `@ts-expect-error` is a wrong call that must stay an error: should the
// types become `any`, the directive is unused and the check fails.
import { type Cart, type Cartback, createCartback } from "cartback";
import { watchCheckout } from "cartback/checkout";
import { connect } from "cartback/connect";
import { signShopperToken } from "cartback/server";
import { sync } from "cartback/sync";

const cartback: Cartback = createCartback({ site: "pk_live_abc", endpoint: "https://cartback.example.com", currency: "EUR", sync });
await cartback.addLine({ id: "tea-100g", name: "Green tea", price: 1250, quantity: 1 });
// @ts-expect-error: a line is an object
await cartback.addLine(42);
// @ts-expect-error: the site key is required
createCartback({ endpoint: "https://cartback.example.com" });
// @ts-expect-error: `sync` is the function from "cartback/sync"
createCartback({ site: "pk_live_abc", endpoint: "https://cartback.example.com", sync: true });
const cart: Cart | undefined = await cartback.getCart();
// @ts-expect-error: a cart's lines are objects
const count: string = cart?.lines[0]?.quantity;

const stop: () => void = watchCheckout(
  (kind, code) => console.log(kind, code),
  (shopper) => cartback.identify(shopper),
  { idleMs: 30_000 },
);
// @ts-expect-error: the report is a function
watchCheckout(42, () => {});
stop();

const connection = connect(cartback, { read: () => [], restore: (restored: Cart) => console.log(restored.lines) });
// @ts-expect-error: read is a function
connect(cartback, { read: 42, restore: () => {} });
await connection.changed();

const token: string = await signShopperToken({ site: "pk_live_abc", userId: "u-1", secret: "sk_test" });
// @ts-expect-error: the user id is required
await signShopperToken({ site: "pk_live_abc", secret: "sk_test" });
console.log(count, token);
