// The ES module: the client, with `moment` and the recovery-link code built in (the script tag
// loads those parts only where a page needs them).
import { type Cartback, type CartbackOptions, createClient } from "./client";
import { gpcOn } from "./consent";
import { checkData } from "./data";
import { identifyShopper, signOut } from "./identify";
import { momentRecorder } from "./moment";
import { emitter } from "./outbox";
import { purchase } from "./purchase";
import { restoreFromLink } from "./restore";
import { transact } from "./storage";
import { warn } from "./warn";

export type { Cart, CartAction, Line, MomentKind } from "../protocol/types";
export type { Cartback, CartbackOptions, CartListener, Order, Restored, Shopper } from "./client";

/**
 * Creates the client. The script tag makes one from its `data-` attributes; bundler users call
 * this once on the client.
 *
 * @example
 * const cartback = createCartback({ site: "pk_live_abc", endpoint: "https://cartback.example.com", currency: "EUR" });
 * await cartback.addLine({ id: "tea-100g", name: "Green tea", price: 1250, quantity: 1 });
 */
export function createCartback(options: CartbackOptions): Cartback {
  const emit = emitter(options.gpc && gpcOn());
  // The client's flush, once there is a client.
  const moment = momentRecorder(
    (event) => transact((s) => emit(s, event)),
    () => client.flush(),
  );
  const client = createClient(options, async () => ({}), {
    identify: identifyShopper,
    signOut,
    checkout: moment.checkout,
    purchase,
    data: checkData,
  });
  const restored = restoreFromLink(options.endpoint, options.site, client.setCart, () => transact((s) => s.aid));
  return { ...client, moment, onRestore: (listener) => void restored.then((r) => r && listener(r)).catch(warn) };
}
