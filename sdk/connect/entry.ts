// `cartback-connect.js`: loaded by cartback.js on a `cartback("connect", …)` call. Takes the page's
// `connect` and `changed` calls the core kept for it (those made before it loaded first, in order,
// then each as it comes), and talks to the client through the page's `cartback(...)` queue.
import type { Cart } from "../../protocol/types";
import type { Restored } from "../client";
import { type Script, takeHeld } from "../extras";
import { type Connection, type ConnectOptions, connect, usable } from "./index";

const script = document.currentScript as Script;
// Nothing to take when the page loaded this file itself rather than through the core.
const held = script?.held ?? [];
const cartback = (...args: unknown[]) => (window as unknown as { cartback: (...a: unknown[]) => unknown }).cartback(...args);
const client = {
  getCart: () => cartback("getCart") as Promise<Cart | undefined>,
  setCart: (cart: Cart) => cartback("setCart", cart) as Promise<void>,
  onRestore: (listener: (restored: Restored) => void) => void cartback("onRestore", listener),
  onCart: (listener: (cart?: Cart) => void) => cartback("onCart", listener) as () => boolean,
};

let connection: Connection | undefined;
const take = ([name, options]: unknown[]): void => {
  if (name === "changed") connection?.changed();
  else if (usable(options as ConnectOptions)) {
    // A second `connect` replaces the first; a bad one changes nothing.
    connection?.stop();
    connection = connect(client, { currency: script.dataset.currency, ...(options as ConnectOptions) });
  }
};
takeHeld(held, ["connect", "changed"], take);
