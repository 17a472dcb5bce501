// `connect`: the shop hands over two functions once, one that reads its own cart and one that puts
// a cart back, and Cartback keeps its copy in step with the shop's. The script tag loads this as
// `cartback-connect.js` on `cartback("connect", …)` (entry.ts); bundler users import it from
// "cartback/connect".
import { MAX_LINES } from "../../protocol/limits";
import type { Cart, Line } from "../../protocol/types";
import { setCart as checked } from "../cart";
import type { Cartback, Restored } from "../client";
import { checkData } from "../data";
import { Signal } from "../extras";
import { warn } from "../warn";

/** What a recovery link does to the cart the shop already holds on this device. */
export type RestoreMode = "replace" | "merge";

/** The shop's cart as `read` returns it: its lines, or an object with them. */
export type ShopCart<L> = L[] | { currency?: string; lines: L[] } | null | undefined;

export interface ConnectOptions<L = Line> {
  /** Reads the shop's cart from its own storage: its lines, or `{ currency?, lines }` (a promise is
   * fine too). Called often (on load, focus, other tabs' changes, `changed`, every 4 s while the
   * page is visible): keep it cheap. */
  read: () => ShopCart<L> | Promise<ShopCart<L>>;
  /** Maps one of the shop's lines to Cartback's `{ id, name, price, quantity, url?, image?, variant? }`;
   * return nothing to leave it out. Without it, `read` gives lines in Cartback's shape. */
  line?: (line: L) => Line | null | undefined | false;
  /** ISO 4217 code, when `read` does not say. The script tag defaults to its `data-currency`. */
  currency?: string;
  /** Puts `cart` (Cartback's shape) into the shop's own storage and UI; a promise is fine too.
   * After it, `read` must return that cart. Called when a recovery link opens and when another
   * device of a signed-in shopper changed the cart. */
  restore: (cart: Cart) => unknown;
  /** What a recovery link does to the cart already on this device: `"replace"` it (the default),
   * or `"merge"`: the link's lines, then the device's lines with other ids (the link's line wins
   * for an id in both, so opening a link twice changes nothing). Overrides the site's setting. */
  restoreMode?: RestoreMode;
  /** `true` when the shop's empty cart is the truth on this load (the shop's server just cleared
   * it, say): the first read's empty cart then empties Cartback's copy too. By default an empty
   * cart on the first read is a cart kept only in page memory, lost when the page closed: the
   * copy Cartback kept (7 days) goes back to the shop through `restore`. */
  emptyIsAuthoritative?: boolean;
}

export interface Connection {
  /** Reads the shop's cart now: call it at the shop's save point (optional, it makes changes
   * reach Cartback at once rather than within 4 s). Resolves once any change is recorded. */
  changed(): Promise<void>;
  /** Stops reading and restoring. */
  stop(): void;
}

/** How often the shop's cart is read while the page is visible, in ms. */
const INTERVAL = 4000;

/** Whether `options` can be connected; warns why not. */
export function usable<L>(options: ConnectOptions<L> | undefined): options is ConnectOptions<L> {
  const ok =
    typeof options?.read === "function" &&
    typeof options.restore === "function" &&
    (options.line == null || typeof options.line === "function");
  if (!ok) warn("invalid connect: read and restore must be functions (and line, if given)");
  return ok;
}

/** A cart as compared: an empty one is the same as none, whatever its currency. */
const key = (cart?: Cart): string => (cart?.lines.length ? JSON.stringify(cart) : "");

/**
 * Whether the first read of a page load puts Cartback's copy back into the shop: the shop's cart
 * is empty (page memory, lost with the page), the copy is not (`getCart` already dropped an
 * expired or bought one), and the shop did not say its empty cart is the truth.
 *
 * @example
 * refills({ currency: "EUR", lines: [] }, saved, false); // true when `saved` has lines
 */
export const refills = (shop: Cart, saved: Cart | undefined, emptyIsAuthoritative?: boolean): saved is Cart =>
  !shop.lines.length && !!saved?.lines.length && !emptyIsAuthoritative;

/**
 * Keeps Cartback's cart in step with the shop's own. `read()` is called on load, on focus, when
 * the page is shown or hidden, when another tab changes storage, on `changed()` and every 4 s
 * while the page is visible; a change is recorded (`setCart`) only when the cart, mapped to
 * Cartback's shape, really differs from the saved one. On load a shop cart Cartback has no copy of
 * is adopted, and Cartback's copy gives way to the shop's cart, unless a recovery link restored one
 * on this page load: then that cart goes to `restore`, and so does the cart of another device of a
 * signed-in shopper. The first read's empty cart beside a saved copy is a cart the page's memory
 * lost: the copy goes to `restore` (unless `emptyIsAuthoritative`), and the shop's cart follows
 * the copy until the shop changes it, so a purchase or a sign-out (in any tab) takes those lines
 * out again. A `read` or `restore` that throws is warned about and changes nothing.
 *
 * @example
 * // Script tag: the shop keeps `[{ sku, title, cents, qty, pid, size }]` in localStorage.cart.
 * cartback("connect", {
 *   read: () => JSON.parse(localStorage.cart || "[]"),
 *   line: (l) => ({ id: l.sku, name: l.title, price: l.cents, quantity: l.qty, data: { pid: l.pid, size: l.size } }),
 *   currency: "EUR",
 *   restore: (cart) => {
 *     const lines = cart.lines.map((l) => ({ sku: l.id, title: l.name, cents: l.price, qty: l.quantity, ...l.data }));
 *     localStorage.cart = JSON.stringify(lines);
 *     renderCart();
 *   },
 * });
 * cartback("changed"); // optional, where the shop saves its cart
 *
 * // ES module: the same options, and the client.
 * import { connect } from "cartback/connect";
 * const shop = connect(cartback, { read, line, currency: "EUR", restore });
 * shop.changed();
 */
export function connect<L = Line>(
  cartback: Pick<Cartback, "getCart" | "setCart" | "onRestore" | "onCart">,
  options: ConnectOptions<L>,
): Connection {
  if (!usable(options)) return { changed: () => Promise.resolve(), stop() {} };
  const { read, line, currency, restore, restoreMode, emptyIsAuthoritative } = options;
  // The shop's cart as last read (mapped, or why it could not be): an unchanged one costs nothing more.
  let last: string | undefined;
  // No cart read yet on this page load: the first one may be page memory that was lost.
  let first = true;
  // The cart (`key`) the first read put back from Cartback's copy, while the shop still holds it:
  // it is Cartback's, so it follows the copy (a purchase must not leave it in the shop).
  let lent: string | undefined;
  // Carts heard (a recovery link's, another device's) and not yet handed to the shop's `restore`.
  let pending = 0;
  let stopped = false;
  // One step at a time, in order, whatever each waits for.
  let chain = Promise.resolve();
  const queue = (task: () => unknown): Promise<void> =>
    (chain = chain
      .then(() => (stopped ? undefined : task()))
      .then(
        () => {},
        (e) => warn(e),
      ));

  /** The shop's cart in Cartback's shape, checked as `setCart` checks it; throws why not. */
  const shopCart = async (): Promise<Cart> => {
    const raw = await read();
    const lines = (Array.isArray(raw) ? raw : raw?.lines || []) as L[];
    return checked(undefined as never, checkData, {
      currency: (raw as { currency?: string } | null)?.currency || currency,
      lines: line ? lines.map((l) => line(l)).filter(Boolean) : lines,
    });
  };

  /** Reads the shop's cart; if it changed since the last read, records it (unless `!save`) when
   * it differs from the saved cart. */
  const look = async (save: boolean): Promise<void> => {
    let cart: Cart | undefined;
    let now: string;
    let error: unknown;
    try {
      cart = await shopCart();
      now = JSON.stringify(cart);
    } catch (e) {
      error = e;
      now = `!${e}`;
    }
    if (now === last) return;
    last = now;
    if (!cart) return warn("connect: reading the shop's cart failed:", error);
    // The shop changed the cart it was lent: from now on it is the shop's, and the shop wins.
    if (key(cart) !== lent) lent = undefined;
    if (!save) return;
    const saved = await cartback.getCart();
    const refill = first && refills(cart, saved, emptyIsAuthoritative);
    first = false;
    // A cart on its way to the shop is newer than what the shop holds: it must not be overwritten.
    if (pending || key(cart) === key(saved)) return;
    // Lost with the page's memory, or lent and no longer Cartback's copy (bought, say, or changed
    // in another tab): the shop gets the copy, or an empty cart.
    if (refill || lent !== undefined) return put(saved || { ...cart, lines: [] }, undefined, true);
    await cartback.setCart(cart);
  };

  /** Cartback's copy changed (here or in another tab): a lent cart is read again, to follow it. */
  const follow = (saved: Cart | undefined): void => {
    if (lent !== undefined && key(saved) !== lent)
      void queue(() => {
        last = undefined;
        return look(true);
      });
  };

  /** Hands `cart` to the shop, merged with the shop's own in "merge" mode, then reads it back;
   * `lend`: the cart came from Cartback's copy on load, and follows it while the shop keeps it. */
  const put = (cart: Cart, mode?: RestoreMode, lend?: boolean): void => {
    pending++;
    queue(async () => {
      let done = false;
      try {
        if (mode === "merge") {
          const mine = await shopCart().catch(() => undefined);
          if (mine?.currency === cart.currency) {
            const ids = new Set(cart.lines.map((l) => l.id));
            cart = { ...cart, lines: [...cart.lines, ...mine.lines.filter((l) => !ids.has(l.id))].slice(0, MAX_LINES) };
          }
        }
        await restore(cart);
        done = true;
      } catch (e) {
        warn("connect: the shop's restore failed:", e);
      }
      pending--;
      // Restored: what the shop now holds is recorded if it is not what Cartback has. Failed: what
      // the shop still holds is only remembered, so it does not overwrite the newer cart.
      last = undefined;
      // Lent before it is read back: a purchase landing meanwhile takes the lines out again.
      lent = lend && done && cart.lines.length ? key(cart) : undefined;
      await look(done);
    });
  };

  cartback.onRestore((restored: Restored) => {
    if (!stopped && restored.status === "restored") put(restored.cart, restoreMode || restored.restoreMode);
  });
  const synced = (e: Event): void => put((e as CustomEvent<Cart>).detail);
  const poke = (): void => void queue(() => look(true));
  const timer = setInterval(() => document.hidden || poke(), INTERVAL);
  addEventListener(Signal.SYNCED, synced);
  const unfollow = cartback.onCart(follow);
  addEventListener("focus", poke);
  addEventListener("storage", poke);
  document.addEventListener("visibilitychange", poke);
  poke();
  return {
    changed: () => queue(() => look(true)),
    stop() {
      stopped = true;
      clearInterval(timer);
      removeEventListener(Signal.SYNCED, synced);
      unfollow?.();
      removeEventListener("focus", poke);
      removeEventListener("storage", poke);
      document.removeEventListener("visibilitychange", poke);
    },
  };
}
