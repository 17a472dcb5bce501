// What an account sends its devices: instead of the whole cart both ways, each change to the
// account cart gets the next sequence number, and every entry remembers the number of its last
// change. A device keeps the number of the last change it has seen (its watermark); reconnecting,
// it gets the entries changed after it, and nothing else. Pure functions: account.ts does the I/O.
import { DAY_MS, MAX_SYNC_ENTRIES } from "../../protocol/limits";
import { emptySync, merge, prune, type SyncCart } from "../../protocol/merge";

export interface Feed {
  /** The number of the account cart's last change (0: none yet). */
  seq: number;
  /** Each entry's last change. An entry without one dates from before the feed: it counts as 0. */
  seqs: Record<string, number>;
  /** The currency's last change. */
  currencySeq: number;
  /** Entries were dropped at this change (pruned, or the cart expired): a device whose watermark is
   * older may hold lines the account no longer has, so it gets the whole cart instead of a delta. */
  floor: number;
}

export const emptyFeed = (): Feed => ({ seq: 0, seqs: {}, currencySeq: 0, floor: 0 });

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The entries of `cart` with these ids, as a (partial) cart a device can merge. */
const only = (cart: SyncCart, ids: Iterable<string>): SyncCart => {
  const lines: SyncCart["lines"] = {};
  for (const id of ids) if (Object.hasOwn(cart.lines, id)) lines[id] = cart.lines[id] as SyncCart["lines"][string];
  return { currency: cart.currency, currencyAt: cart.currencyAt, lines };
};

export interface Applied {
  cart: SyncCart;
  feed: Feed;
  /** The merged entries that changed, for the account's sockets (undefined: nothing changed). */
  delta?: SyncCart;
  /** Entries went (pruned, or the cart expired): every device should take the whole cart. */
  dropped: boolean;
}

/**
 * Merges what a device sent (its whole replica, or only the entries it changed) into the account
 * cart: the merged cart, the feed with the changed entries numbered, and what changed.
 *
 * @example
 * const { cart, feed, delta } = apply(state.cart, state.feed, message.d, { now: Date.now(), ttlDays: 7, updatedAt });
 */
export function apply(
  cart: SyncCart,
  feed: Feed,
  sent: SyncCart,
  { now, ttlDays, updatedAt }: { now: number; ttlDays: number; updatedAt: number },
): Applied {
  const expired = updatedAt > 0 && now - updatedAt > ttlDays * DAY_MS;
  const known = expired ? emptySync(cart.currency) : cart;
  const merged = prune(merge(known, sent), known, { before: now - ttlDays * DAY_MS, max: MAX_SYNC_ENTRIES });
  const changed = Object.keys(merged.lines).filter((id) => !Object.hasOwn(known.lines, id) || !same(known.lines[id], merged.lines[id]));
  const currencyChanged = merged.currency !== known.currency || !same(merged.currencyAt, known.currencyAt);
  const dropped =
    expired ||
    Object.keys(known.lines).some((id) => !Object.hasOwn(merged.lines, id)) ||
    Object.keys(sent.lines).some((id) => !Object.hasOwn(merged.lines, id));
  if (!changed.length && !currencyChanged && !dropped) return { cart, feed, dropped };
  const seq = feed.seq + 1;
  const seqs: Record<string, number> = {};
  const fresh = new Set(changed);
  for (const id of Object.keys(merged.lines)) seqs[id] = fresh.has(id) ? seq : (feed.seqs[id] ?? 0);
  return {
    cart: merged,
    feed: { seq, seqs, currencySeq: currencyChanged ? seq : feed.currencySeq, floor: dropped ? seq : feed.floor },
    delta: only(merged, changed),
    dropped,
  };
}

/**
 * What a device with watermark `w` has not seen: the entries changed after it, or the whole cart
 * when it cannot know what it missed (no watermark, one from before entries were dropped, or one
 * from an account that was since erased and started again).
 *
 * @example
 * const { d, full } = missed(state.cart, state.feed, hello.w);
 */
export function missed(cart: SyncCart, feed: Feed, w: number): { d: SyncCart; full: boolean } {
  if (w <= 0 || w < feed.floor || w > feed.seq) return { d: cart, full: true };
  return {
    d: only(
      cart,
      Object.keys(cart.lines).filter((id) => (feed.seqs[id] ?? 0) > w),
    ),
    full: false,
  };
}
