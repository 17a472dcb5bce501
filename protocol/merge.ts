// The cross-device cart: each line is last-writer-wins under a hybrid logical clock, and a removal
// leaves a tombstone, so a stale device cannot bring a removed line back. `merge` is commutative,
// associative and idempotent: replicas that have seen the same changes hold the same cart, in
// whatever order and however many times the changes arrived. Shared by the script and the collector.
import type { Cart, Line } from "./types";

/** A hybrid logical clock reading: wall time (ms), a counter for ties, the device that made it. */
export type Hlc = [wall: number, counter: number, device: string];

export interface LineState {
  /** The line, or undefined for a tombstone. */
  line?: Line;
  at: Hlc;
  /** When the line was first added: keeps the cart's order stable across devices. */
  pos: Hlc;
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

/** The latest clock reading anywhere in a cart (what a device must tick past). */
export function latest(cart: SyncCart): Hlc {
  let max = cart.currencyAt;
  for (const state of Object.values(cart.lines)) max = later(max, state.at);
  return max;
}

function mergeLine(a: LineState | undefined, b: LineState | undefined): LineState {
  if (!a) return b as LineState;
  if (!b) return a;
  const winner = compareHlc(a.at, b.at) >= 0 ? a : b;
  return { ...winner, pos: earlier(a.pos, b.pos) };
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
    ([id, state]) => state.at[0] >= before || (state.line !== undefined && Object.hasOwn(known.lines, id)),
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
 * clock readings from `clock`. Lines gone from `after` become tombstones.
 */
export function record(sync: SyncCart, after: Cart, clock: () => Hlc): SyncCart {
  const lines = { ...sync.lines };
  const seen = new Set<string>();
  for (const line of after.lines) {
    seen.add(line.id);
    const current = lines[line.id];
    if (current?.line && JSON.stringify(current.line) === JSON.stringify(line)) continue;
    const at = clock();
    lines[line.id] = { line, at, pos: current?.line ? current.pos : at };
  }
  for (const [id, state] of Object.entries(lines)) if (!seen.has(id) && state.line) lines[id] = { at: clock(), pos: state.pos };
  const currencyChanged = after.currency !== sync.currency;
  return { currency: after.currency, currencyAt: currencyChanged ? clock() : sync.currencyAt, lines };
}

export const emptySync = (currency: string): SyncCart => ({ currency, currencyAt: ZERO, lines: {} });

/**
 * After a paid order at `at` (ms): every line last changed before it was bought, so it becomes a
 * tombstone; a line changed after the order stays.
 *
 * @example
 * const after = boughtAt(account, purchase.at, () => (clock = tick(clock, aid, Date.now())));
 */
export const boughtAt = (sync: SyncCart, at: number, clock: () => Hlc): SyncCart =>
  record(sync, { currency: sync.currency, lines: view(sync).lines.filter((l) => (sync.lines[l.id]?.at[0] ?? 0) > at) }, clock);
