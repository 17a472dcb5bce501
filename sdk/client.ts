import { CART_TTL_DAYS, DAY_MS } from "../protocol/limits";
import type { Cart, CartAction, Line, MomentKind } from "../protocol/types";
import * as carts from "./cart";
import { gpcOn, mayShare } from "./consent";
import { type Files, Signal } from "./extras";
import { createSender, emitter } from "./outbox";
import { type State, transact } from "./storage";
import { warn } from "./warn";

export type { Cart, CartAction, Line, MomentKind } from "../protocol/types";

export interface CartbackOptions {
  /** The site's public key, `pk_…`, from `npm run site:create`. */
  site: string;
  /** The collector's origin, e.g. `https://cartback.example.com`. */
  endpoint: string;
  /** ISO 4217 currency of carts built line by line (`setCart` can also set it). */
  currency?: string;
  /** Days a cart is kept after its last change. Default 7. */
  ttlDays?: number;
  /** Nothing leaves the browser until `consent(true)`: events wait in the outbox meanwhile. */
  consent?: boolean;
  /** Honour Global Privacy Control: with `navigator.globalPrivacyControl` on, nothing is recorded or sent. */
  gpc?: boolean;
  /** The page's language when `<html lang>` does not say it (the tag's `data-locale`). */
  locale?: string;
}

export interface Shopper {
  email?: string;
  /** The shop's own id for a signed-in customer. */
  userId?: string;
  name?: string;
  /** For a signed-in customer: signed by the shop's server (`cartback/server`), it turns on the
   * cart shared by their devices. Kept on this device only; never sent in an event. */
  token?: string;
  /** Their language, when the shop knows it better than the page does: `es`, `pt-BR`. Kept on this device. */
  locale?: string;
  /** A mobile number in E.164 (`+34600111222`), only with `smsConsent: true`. */
  phone?: string;
  /** The shopper's explicit yes to recovery texts; `false` withdraws it. */
  smsConsent?: boolean;
  /** No recovery messages for this shopper (staff, wholesale, a test account); `false` lifts it. */
  exclude?: boolean;
  /** The shopper bought from the shop before: the customers-only audience writes to them (docs/audience.md). */
  customer?: boolean;
}

export interface Order {
  orderId: string;
  /** Order total in minor units. */
  total: number;
  /** Defaults to the cart's currency. */
  currency?: string;
}

export type CartListener = (cart: Cart | undefined) => void;

/** What a recovery link brought: the cart, now saved here, or the news that it was already bought.
 * `restoreMode` is the site's setting for `connect` (sdk/connect), when the collector sends one. */
export type Restored = { status: "restored"; cart: Cart; restoreMode?: "replace" | "merge" } | { status: "purchased" };

/** Every method resolves, never rejects: an invalid call warns on the console and changes nothing. */
export interface Cartback {
  /** Replaces the whole cart: `setCart({ currency: "EUR", lines: [...] })`. */
  setCart(cart: Cart): Promise<void>;
  /** Adds a line; the same id again adds to its quantity. */
  addLine(line: Line): Promise<void>;
  /** Changes fields of a line; `{ quantity: 0 }` removes it. */
  updateLine(id: string, changes: Partial<Omit<Line, "id">>): Promise<void>;
  removeLine(id: string): Promise<void>;
  clear(): Promise<void>;
  /** The saved cart, or undefined when there is none or it expired. */
  getCart(): Promise<Cart | undefined>;
  /** Calls `listener` now and after every change, in this tab or another. Returns an unsubscribe. */
  onCart(listener: CartListener): () => void;
  /** Says who the shopper is, so a stalled checkout can be followed up. */
  identify(shopper: Shopper): Promise<void>;
  /** The shopper started checkout. */
  checkout(): Promise<void>;
  /** The shopper signed out: this device leaves the account and keeps no account cart. */
  signOut(): Promise<void>;
  /** The order was placed: reports it and empties the cart. */
  purchase(order: Order): Promise<void>;
  /** A checkout micro-moment: `moment("payment_failed", { code: "card_declined" })` (sdk/moment.ts). */
  moment(kind: MomentKind, detail?: { code?: string; value?: number }): Promise<void>;
  /** The shopper's consent, from the shop's consent banner: `true` lets waiting events go,
   * `false` drops them and records nothing more. Kept on this device. */
  consent(granted: boolean): Promise<void>;
  /** Sends queued events now instead of within the next second. */
  flush(): Promise<void>;
  /** Called once when the page was opened from a recovery email's link (soon after, for a
   * listener added once the link's cart had come): rebuild the shop's cart from `restored.cart`,
   * or say the order went through (`status: "purchased"`). */
  onRestore(listener: (restored: Restored) => void): void;
}

/**
 * The client without `moment` (sdk/moment.ts), and without the recovery-link code and `onRestore`, which only a page opened from an
 * email needs: the script tag loads that as `cartback-restore.js` (which takes the page's `onRestore` calls), the ES module
 * (`createCartback`) includes it. What `identify`, `signOut`, `checkout` and `purchase` do, and the checks of a line's `data`, are
 * `codes` (sdk/extras.ts `Files`): the ES module has them all; the script tag has none, and loads each file through `lazy` on the
 * first call that needs it.
 *
 * @example
 * const client = createClient({ site: "pk_live_abc", endpoint: "https://cartback.example.com", currency: "EUR" }, load);
 */
export function createClient(
  options: CartbackOptions,
  lazy: (file: string) => Promise<Files>,
  codes: Files = {},
): Omit<Cartback, "moment" | "onRestore"> {
  const ttl = (options.ttlDays || CART_TTL_DAYS) * DAY_MS;
  const gpc = options.gpc && gpcOn();
  const sender = createSender(
    `${options.endpoint}/v1/events?site=${encodeURIComponent(options.site)}`,
    (s) => mayShare(s.consent, options.consent, gpc),
    // The language the shopper reads the shop in, so their messages are written in it too.
    (s) => s.locale || options.locale || document.documentElement.lang,
  );
  const listeners = new Set<CartListener>();
  // Other tabs of the shop hear about changes, so every open tab shows the same cart (every
  // browser the script targets has BroadcastChannel: Safari since 15.4).
  const channel = new BroadcastChannel("cartback");
  let chain: Promise<unknown> = Promise.resolve();

  // Calls run one at a time in call order, whatever each waits for, and never reject.
  const serial = <R>(task: () => Promise<R>): Promise<R | undefined> => {
    chain = chain.then(task).catch(warn);
    return chain as Promise<R | undefined>;
  };

  /** The saved cart; drops it when its time is up (so "checked on load and on read"). */
  const current = (s: State): Cart => {
    if (s.cart && Date.now() - s.cart.updatedAt > ttl) s.cart = undefined;
    return s.cart || { currency: options.currency as string, lines: [] };
  };

  const emit = emitter(gpc);

  // A shop's listener that throws must not break the client, nor surface as our error.
  const tell = (targets: Iterable<CartListener>): void => {
    getCart().then((cart) => {
      for (const listener of targets) {
        try {
          listener(cart);
        } catch (e) {
          warn(e);
        }
      }
    });
  };
  const notify = (): void => tell(listeners);
  const changed = (cartChanged?: unknown): void => {
    sender.soon();
    if (cartChanged) {
      channel.postMessage(0);
      notify();
    }
  };
  // The sync file saved another device's cart here, with its event, in its own transaction.
  addEventListener(Signal.SYNCED, changed);

  // A change that needs code not yet here throws `needs cartback-<file>.js` (nothing is saved), and
  // runs again once the file gave it.
  const use = <N extends keyof Files>(name: N, file: string = name): NonNullable<Files[N]> => {
    if (!codes[name]) throw `needs cartback-${file}.js`;
    return codes[name];
  };
  const record = (change: (s: State) => void, cartChanged?: unknown): Promise<void> => {
    const save = () => transact((s) => (change(s), true));
    return serial(() =>
      save().catch(async (e) => {
        const file = /^needs cartback-(\w+)/.exec(e)?.[1];
        if (!file) throw e;
        Object.assign(codes, await lazy(file));
        return save();
      }),
    ).then((done) => changed(cartChanged && done));
  };

  // A call whose code is in a lazy file (`Files`): it runs as the core's own calls do, in their order.
  const lazily =
    (name: Exclude<keyof Files, "data">, file?: string, cartChanged?: boolean) =>
    (arg?: unknown): Promise<void> =>
      record((s) => use(name, file)(s, arg, emit, current(s)), cartChanged);

  const changeCart =
    <A extends unknown[]>(action: CartAction, op: (cart: Cart, check: carts.CheckData | undefined, ...args: A) => Cart) =>
    (...args: A): Promise<void> =>
      record((s) => {
        const { currency, lines } = op(current(s), codes.data, ...args);
        emit(s, { type: "cart", action, cart: { currency, lines } });
        s.cart = { currency, lines, updatedAt: Date.now() };
      }, true);

  const getCart = (): Promise<Cart | undefined> =>
    serial(() =>
      transact((s) => {
        const { currency, lines } = current(s);
        return s.cart && { currency, lines };
      }),
    );

  channel.onmessage = notify;

  return {
    setCart: changeCart("set", carts.setCart),
    addLine: changeCart("add", carts.addLine),
    updateLine: changeCart("update", carts.updateLine),
    removeLine: changeCart("remove", carts.removeLine),
    clear: changeCart("clear", carts.clearCart),
    getCart,
    onCart(listener) {
      listeners.add(listener);
      tell([listener]);
      return () => listeners.delete(listener);
    },
    identify: lazily("identify"),
    checkout: lazily("checkout"),
    signOut: lazily("signOut", "identify", true),
    purchase: lazily("purchase", "purchase", true),
    consent: (granted) =>
      record((s) => {
        s.consent = !!granted;
        if (!granted) s.outbox.events = [];
      }),
    // After every call made before it, so what those calls recorded goes too.
    // Outside the chain once those calls are done: waiting on another tab's send must not hold up
    // this tab's next calls.
    flush: () => serial(async () => {}).then(() => sender.flush(1)),
  };
}
