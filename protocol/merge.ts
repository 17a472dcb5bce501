// The cross-device cart. Each line has an epoch, the clock of its last whole write (added, or
// removed: a tombstone, so a stale device cannot bring a removed line back), and the epoch with the
// later clock wins. Within one epoch each field is its own last-writer-wins register under a hybrid
// logical clock (`f`), so a quantity changed on one device and a variant on another both survive. A
// field edited on a line that another device removed meanwhile is lost with the line: otherwise
// merging would depend on the order the changes arrived. `merge` is commutative, associative and
// idempotent: replicas that have seen the same changes hold the same cart, in whatever order and
// however many times the changes arrived. Shared by the script and the collector.
import type { Cart, Line } from "./types";

/** A hybrid logical clock reading: wall time (ms), a counter for ties, the device that made it. */
export type Hlc = [wall: number, counter: number, device: string];

/** The fields of a line that merge one by one (the id is the line's key). */
export const FIELDS = ["name", "price", "quantity", "url", "image", "variant", "data"] as const;
export type Field = (typeof FIELDS)[number];

export interface LineState {
  /** The line, or undefined for a tombstone. */
  line?: Line;
  /** The epoch: when the line was last added or removed as a whole. */
  at: Hlc;
  /** When the line was first added: keeps the cart's order stable across devices. */
  pos: Hlc;
  /** Fields edited since `at`, and when; a field not here was last written at `at`. Replicas from
   * before per-field merge have none, and read as whole-line writes. */
  f?: Partial<Record<Field, Hlc>>;
}

export interface SyncCart {
  currency: string;
  currencyAt: Hlc;
  lines: Record<string, LineState>;
}

export const ZERO: Hlc = [0, 0, ""];

/** Orders clock readings: wall time, then counter, then device id (a total order). */
export function compareHlc(a: Hlc, b: Hlc): number {
  return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0);
}

const later = (a: Hlc, b: Hlc): Hlc => (compareHlc(a, b) >= 0 ? a : b);
const earlier = (a: Hlc, b: Hlc): Hlc => (compareHlc(a, b) <= 0 ? a : b);

/** The next reading for a local change: never behind the last one seen, even if the wall clock is. */
export function tick(last: Hlc, device: string, now: number): Hlc {
  return now > last[0] ? [now, 0, device] : [last[0], last[1] + 1, device];
}

/** The latest clock reading of one line: its epoch or a later field edit. */
export function touched(state: LineState): Hlc {
  let max = state.at;
  for (const at of Object.values(state.f ?? {})) max = later(max, at);
  return max;
}

/** The latest clock reading anywhere in a cart (what a device must tick past). */
export function latest(cart: SyncCart): Hlc {
  let max = cart.currencyAt;
  for (const state of Object.values(cart.lines)) max = later(max, touched(state));
  return max;
}

const fieldAt = (state: LineState, field: Field): Hlc => state.f?.[field] ?? state.at;

function mergeLine(a: LineState | undefined, b: LineState | undefined): LineState {
  if (!a) return b as LineState;
  if (!b) return a;
  const pos = earlier(a.pos, b.pos);
  const order = compareHlc(a.at, b.at);
  // Different epochs, or a tie with a tombstone: the later whole write wins, edits and all. A tie
  // goes to the tombstone whichever side it is on, so the answer does not depend on the order.
  if (order || !a.line || !b.line) {
    const winner = order > 0 || (!order && !a.line) ? a : b;
    return winner.pos === pos ? winner : { ...winner, pos };
  }
  // One epoch: field by field. When one side has every field's latest write, that side is the
  // answer as it was (so merging what is already known changes nothing, not even key order).
  const from = FIELDS.map((k) => (compareHlc(fieldAt(a, k), fieldAt(b, k)) >= 0 ? a : b));
  if (from.every((s) => s === a) && a.pos === pos) return a;
  if (from.every((s) => s === b) && b.pos === pos) return b;
  const line: Record<string, unknown> = { id: a.line.id };
  const f: Partial<Record<Field, Hlc>> = {};
  FIELDS.forEach((k, i) => {
    const source = from[i] as LineState & { line: Line };
    if (source.line[k] !== undefined) line[k] = source.line[k];
    if (source.f?.[k]) f[k] = source.f[k];
  });
  return { line: line as unknown as Line, at: a.at, pos, ...(Object.keys(f).length && { f }) };
}

/**
 * Merges two replicas of a cart.
 *
 * @example
 * const both = merge(phoneCart, laptopCart); // same result as merge(laptopCart, phoneCart)
 */
export function merge(a: SyncCart, b: SyncCart): SyncCart {
  const lines: Record<string, LineState> = {};
  // Own entries only: a line id such as "toString" must not find Object.prototype's.
  const own = (cart: SyncCart, id: string) => (Object.hasOwn(cart.lines, id) ? cart.lines[id] : undefined);
  for (const id of new Set([...Object.keys(a.lines), ...Object.keys(b.lines)])) lines[id] = mergeLine(own(a, id), own(b, id));
  const currencyWinner = compareHlc(a.currencyAt, b.currencyAt) >= 0 ? a : b;
  return { currency: currencyWinner.currency, currencyAt: currencyWinner.currencyAt, lines };
}

/**
 * What the account keeps of a merged cart, so it stays bounded however many lines come and go
 * (the collector's side only; a device takes the pruned cart as its replica):
 * - tombstones from before `before` (the cart lifetime ago) go: a replica that old has expired;
 * - a live line from before `before` that only the device had goes too: its tombstone was pruned,
 *   so it is a removed line coming back from a stale device;
 * - beyond `max` entries, the oldest tombstones go.
 *
 * @example
 * const kept = prune(merge(account, device), account, { before: Date.now() - 7 * DAY_MS, max: 300 });
 */
export function prune(merged: SyncCart, known: SyncCart, { before, max }: { before: number; max: number }): SyncCart {
  const entries = Object.entries(merged.lines).filter(
    ([id, state]) => touched(state)[0] >= before || (state.line !== undefined && Object.hasOwn(known.lines, id)),
  );
  const tombstones = entries.filter(([, state]) => !state.line).sort((x, y) => compareHlc(x[1].at, y[1].at));
  const drop = new Set(tombstones.slice(0, Math.max(0, entries.length - max)).map(([id]) => id));
  return { ...merged, lines: Object.fromEntries(entries.filter(([id]) => !drop.has(id))) };
}

/** The cart a shop sees: live lines in the order they were first added. */
export function view(cart: SyncCart): Cart {
  const live = Object.entries(cart.lines).filter((e): e is [string, LineState & { line: Line }] => e[1].line !== undefined);
  live.sort((x, y) => compareHlc(x[1].pos, y[1].pos) || (x[0] < y[0] ? -1 : 1));
  return { currency: cart.currency, lines: live.map(([, s]) => s.line) };
}

/**
 * The changes that turn `before` into `after` (a plain cart, as the shop set it), stamped with
 * clock readings from `clock`. A new line is a whole write (a new epoch); a line already there
 * gets its changed fields stamped, one reading for all of them. Lines gone from `after` become
 * tombstones.
 *
 * @example
 * const replica = record(stored, await cartback("getCart"), () => (clock = tick(clock, aid, Date.now())));
 */
export function record<S extends SyncCart>(sync: S, after: Cart, clock: () => Hlc): S {
  const lines = { ...sync.lines };
  const seen = new Set<string>();
  for (const line of after.lines) {
    seen.add(line.id);
    const current = Object.hasOwn(lines, line.id) ? lines[line.id] : undefined;
    if (!current?.line) {
      const at = clock();
      lines[line.id] = { line, at, pos: at };
      continue;
    }
    const was = current.line;
    const changed = FIELDS.filter((k) => JSON.stringify(was[k]) !== JSON.stringify(line[k]));
    if (!changed.length) continue;
    const at = clock();
    const f = { ...current.f };
    for (const k of changed) f[k] = at;
    lines[line.id] = { line, at: current.at, pos: current.pos, f };
  }
  for (const [id, state] of Object.entries(lines)) if (!seen.has(id) && state.line) lines[id] = { at: clock(), pos: state.pos };
  const currencyChanged = after.currency !== sync.currency;
  // Whatever else the replica carries (a device's watermark, say) stays with it.
  return { ...sync, currency: after.currency, currencyAt: currencyChanged ? clock() : sync.currencyAt, lines };
}

export const emptySync = (currency: string): SyncCart => ({ currency, currencyAt: ZERO, lines: {} });

/**
 * After a paid order at `at` (ms): every line last changed before it was bought, so it becomes a
 * tombstone; a line changed after the order stays.
 *
 * @example
 * const after = boughtAt(account, purchase.at, () => (clock = tick(clock, aid, Date.now())));
 */
export const boughtAt = <S extends SyncCart>(sync: S, at: number, clock: () => Hlc): S =>
  record(sync, { currency: sync.currency, lines: view(sync).lines.filter((l) => touched(sync.lines[l.id] as LineState)[0] > at) }, clock);

/**
 * The entries this device changed after clock reading `after` (its changes the account has not
 * acknowledged yet): what it sends instead of its whole replica. A device's own changes carry its
 * id in their clock readings, and its clock only goes forward, so this needs no list to be kept.
 *
 * @example
 * socket.send(JSON.stringify({ t: "push", d: changedBy(replica, aid, acked), k: clock }));
 */
export function changedBy(cart: SyncCart, device: string, after: Hlc): SyncCart {
  const lines: Record<string, LineState> = {};
  // A device's clock ticks past every reading it has seen, so a line with a change of its own the
  // account has not acknowledged has that change as its latest reading.
  for (const [id, state] of Object.entries(cart.lines)) {
    const at = touched(state);
    if (at[2] === device && compareHlc(at, after) > 0) lines[id] = state;
  }
  return { currency: cart.currency, currencyAt: cart.currencyAt, lines };
}

/**
 * A device takes what its account sent (after the account merged it, so every entry there holds
 * all the account knows): the account's entries over the device's own, but for those the device
 * changed since the account last acknowledged them (`mine`, see changedBy), which it keeps; they go
 * up next and come back merged. Only the account merges, so a device needs no merge of its own,
 * and it hears the account's states in the order the account had them (one socket, in order; the
 * HTTP fallback never while a socket is open). `full`: `sent` is the whole account cart.
 *
 * @example
 * replica = adopt(replica, message.d, message.full, changedBy(replica, aid, acked));
 */
export function adopt<R extends SyncCart>(replica: R, sent: SyncCart, full: boolean | undefined, mine: SyncCart): R {
  const currency = compareHlc(replica.currencyAt, sent.currencyAt) > 0 ? replica : sent;
  return {
    ...replica,
    currency: currency.currency,
    currencyAt: currency.currencyAt,
    lines: { ...(full ? {} : replica.lines), ...sent.lines, ...mine.lines },
  };
}
