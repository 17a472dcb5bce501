// The ES module: the client, with `moment` and the recovery-link code built in (the script tag
// loads those parts only where a page needs them), and the cross-device cart when the shop passes
// `sync` from "cartback/sync".
import { type Cartback, type CartbackOptions, createClient } from "./client";
import { gpcOn } from "./consent";
import { checkData } from "./data";
import { identifyShopper, signOut } from "./identify";
import { momentRecorder } from "./moment";
import { emitter } from "./outbox";
import { purchase } from "./purchase";
import { restoreFromLink } from "./restore";
import { transact } from "./storage";
import type { sync } from "./sync";
import { warn } from "./warn";

export type { Cart, CartAction, Line, MomentKind } from "../protocol/types";
export type { Cartback, CartbackOptions, CartListener, Order, Restored, Shopper } from "./client";

/** The ES module's options: the client's, and the parts a bundle takes in only when it imports them. */
export interface ModuleOptions extends CartbackOptions {
  /** `sync` from "cartback/sync": a signed-in shopper's cart shared by their devices, as the script
   * tag's `cartback-sync.js` does. Started when the shopper is signed in, or `identify` gets a token. */
  sync?: typeof sync;
}

/** Warned once a process: a server renders many pages. */
let told = false;

/**
 * What `createCartback` returns outside a browser (server-side rendering in Next, Nuxt, SvelteKit,
 * Astro): the same methods, which do nothing and resolve, so a component that calls them on the
 * server renders. It says why once.
 */
function inert(): Cartback {
  if (!told) warn("not in a browser: this client does nothing");
  told = true;
  const nothing = async () => {};
  // Every method, and nothing else: a client with a `then` would hang an `await` of it, one with
  // symbols would pass for iterable or printable.
  const get = (_: unknown, name: unknown) =>
    name === "then" || typeof name === "symbol" ? undefined : name === "onCart" ? () => nothing : nothing;
  return new Proxy({}, { get }) as Cartback;
}

/**
 * Creates the client. The script tag makes one from its `data-` attributes; bundler users call
 * this once on the client. Outside a browser it returns a client that does nothing.
 *
 * @example
 * import { sync } from "cartback/sync"; // optional: signed-in shoppers' carts on all their devices
 * const cartback = createCartback({ site: "pk_live_abc", endpoint: "https://cartback.example.com", currency: "EUR", sync });
 * await cartback.addLine({ id: "tea-100g", name: "Green tea", price: 1250, quantity: 1 });
 */
export function createCartback(options: ModuleOptions): Cartback {
  if (typeof document === "undefined") return inert();
  const { endpoint, site, sync } = options;
  const gpc = options.gpc && gpcOn();
  const emit = emitter(gpc);
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
  const restored = restoreFromLink(endpoint, site, client.setCart, () => transact((s) => s.aid));
  let syncing = false;
  // Once a page, as the tag loads its sync file once.
  const startSync = (): void => {
    if (!syncing) sync?.(options, client, transact, emit, gpc);
    syncing = true;
  };
  if (sync) transact((s) => s.account).then((account) => account && startSync(), warn);
  return {
    ...client,
    identify: (shopper) => {
      // Queued first, so the sync's first read of the saved state finds the account.
      const done = client.identify(shopper);
      if (shopper?.token) startSync();
      return done;
    },
    moment,
    onRestore: (listener) => void restored.then((r) => r && listener(r)).catch(warn),
  };
}
