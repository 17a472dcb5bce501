// How the collector stores carts: the latest cart per browser in `carts`, and per cart event only
// what changed (docs/cart-changes.md). The format lives here, once, as pure functions: the
// collector writes and reads it (worker/db/cart-events.ts), the tests read D1 rows with it. The
// browser script never imports this file.
import type { Cart, CartAction, CartEvent, Line, LineData, PurchaseEvent } from "./types";

/** A line's fields in a fixed order: a line is stored as an array of them, without the key names. */
const FIELDS = ["id", "name", "price", "quantity", "url", "image", "variant", "data"] as const;
// Every field of a Line has a place above (a field added to Line and not here fails to compile).
const EVERY_FIELD: [Exclude<keyof Line, (typeof FIELDS)[number]>] extends [never] ? true : never = true;
void EVERY_FIELD;

type FieldValue = string | number | LineData;
/** A line as stored: its fields in FIELDS order, `null` for one it lacks, none after its last. */
export type PackedLine = (FieldValue | null)[];

/**
 * A line as stored: the same fields, by position.
 *
 * @example
 * packLine({ id: "tea", name: "Green tea", price: 1250, quantity: 2 }); // ["tea", "Green tea", 1250, 2]
 */
export function packLine(line: Line): PackedLine {
  const packed: PackedLine = FIELDS.map((f) => line[f] ?? null);
  while (packed.length && packed.at(-1) === null) packed.pop();
  return packed;
}

/** The line a packed line stands for; a line stored as an object (before packing) is read as it is. */
export function unpackLine(stored: PackedLine | Line): Line {
  if (!Array.isArray(stored)) return stored;
  const line: Record<string, FieldValue> = {};
  FIELDS.forEach((f, i) => {
    const value = stored[i];
    if (value !== null && value !== undefined) line[f] = value;
  });
  return line as unknown as Line;
}

/**
 * A `carts.lines` column, as written now (packed) or before (objects).
 *
 * @example
 * readLines('[["tea","Green tea",1250,2]]'); // [{ id: "tea", name: "Green tea", price: 1250, quantity: 2 }]
 */
export const readLines = (json: string): Line[] => (JSON.parse(json) as (PackedLine | Line)[]).map(unpackLine);

/** What a `carts.lines` column holds for these lines. */
export const writeLines = (lines: Line[]): string => JSON.stringify(lines.map(packLine));

/**
 * What turns one cart into the next, and back: lines removed and added with their place and
 * content, fields changed with both values, the kept lines' new order, the currency. Both ways,
 * so a chain can be read from its oldest cart forwards or from the latest cart backwards.
 */
export interface CartDiff {
  /** The currency before (null: there was no cart) and after, when it changed. */
  cur?: [string | null, string];
  /** Lines gone: their index in the cart before, and the line. */
  del?: [number, PackedLine][];
  /** Lines new: their index in the cart after, and the line. */
  add?: [number, PackedLine][];
  /** Lines kept with fields changed: the id, then each field's index in FIELDS, value before, value after. */
  upd?: [string, [number, FieldValue | null, FieldValue | null][]][];
  /** When kept lines changed order: for each kept line of the cart after, its rank among the kept lines before. */
  ord?: number[];
}

const same = (a: FieldValue | null, b: FieldValue | null) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * What changed from `prev` (null: no cart yet) to `next`.
 *
 * @example
 * diffCart({ currency: "EUR", lines: [] }, { currency: "EUR", lines: [tea] }); // { add: [[0, ["tea", "Green tea", 1250, 1]]] }
 */
export function diffCart(prev: Cart | null, next: Cart): CartDiff {
  const diff: CartDiff = {};
  if (prev?.currency !== next.currency) diff.cur = [prev?.currency ?? null, next.currency];
  const before = prev?.lines ?? [];
  const nextIds = new Set(next.lines.map((l) => l.id));
  const prevById = new Map(before.map((l) => [l.id, l]));
  const del = before.flatMap((l, i): [number, PackedLine][] => (nextIds.has(l.id) ? [] : [[i, packLine(l)]]));
  const add = next.lines.flatMap((l, i): [number, PackedLine][] => (prevById.has(l.id) ? [] : [[i, packLine(l)]]));
  const keptBefore = before.filter((l) => nextIds.has(l.id)).map((l) => l.id);
  const keptAfter = next.lines.filter((l) => prevById.has(l.id));
  const upd = keptAfter.flatMap((l): NonNullable<CartDiff["upd"]> => {
    const [was, now] = [packLine(prevById.get(l.id) as Line), packLine(l)];
    const fields = FIELDS.flatMap((_, i): [number, FieldValue | null, FieldValue | null][] =>
      same(was[i] ?? null, now[i] ?? null) ? [] : [[i, was[i] ?? null, now[i] ?? null]],
    );
    return fields.length ? [[l.id, fields]] : [];
  });
  const ord = keptAfter.map((l) => keptBefore.indexOf(l.id));
  if (del.length) diff.del = del;
  if (add.length) diff.add = add;
  if (upd.length) diff.upd = upd;
  if (ord.some((rank, i) => rank !== i)) diff.ord = ord;
  return diff;
}

/** Sets each changed field of a line to its value after (`forward`) or before. */
function changeFields(line: Line, fields: [number, FieldValue | null, FieldValue | null][], forward: boolean): Line {
  const packed = packLine(line);
  for (const [i, before, after] of fields) packed[i] = forward ? after : before;
  return unpackLine(packed);
}

/** One way of a diff: drop `gone`, change the kept, reorder them, put `come` in their places. */
function step(from: Line[], diff: CartDiff, forward: boolean): Line[] {
  const [gone, come] = forward ? [diff.del, diff.add] : [diff.add, diff.del];
  const goneIds = new Set((gone ?? []).map(([, l]) => unpackLine(l).id));
  const fields = new Map((diff.upd ?? []).map(([id, f]) => [id, f]));
  let kept = from.filter((l) => !goneIds.has(l.id)).map((l) => (fields.has(l.id) ? changeFields(l, fields.get(l.id) ?? [], forward) : l));
  const ord = diff.ord;
  if (ord) {
    const reordered: Line[] = [];
    ord.forEach((rank, i) => {
      if (forward) reordered[i] = kept[rank] as Line;
      else reordered[rank] = kept[i] as Line;
    });
    kept = reordered;
  }
  for (const [i, l] of [...(come ?? [])].sort((a, b) => a[0] - b[0])) kept.splice(i, 0, unpackLine(l));
  return kept;
}

/**
 * The cart after `diff`, from the cart it was made against (null: none).
 *
 * @example
 * applyCartDiff(prev, diffCart(prev, next)); // equal to next
 */
export const applyCartDiff = (prev: Cart | null, diff: CartDiff): Cart => ({
  currency: diff.cur?.[1] ?? (prev?.currency as string),
  lines: step(prev?.lines ?? [], diff, true),
});

/**
 * The cart `diff` was made against, from the cart after it; null when it was made against no cart.
 *
 * @example
 * revertCartDiff(next, diffCart(prev, next)); // equal to prev
 */
export function revertCartDiff(next: Cart, diff: CartDiff): Cart | null {
  if (diff.cur && diff.cur[0] === null) return null;
  return { currency: diff.cur?.[0] ?? next.currency, lines: step(next.lines, diff, false) };
}

/**
 * A cart event as `events.data` holds it (the id, the browser's time and the type are columns):
 * the action, the change against the cart labelled `b` (absent: against no cart, so the whole
 * cart), and the cart's value after it, so a snapshot reads values without rebuilding carts.
 */
export interface StoredCartChange extends CartDiff {
  act: CartAction;
  b?: string;
  v: number;
}

/** A cart a change can be made against, named by its label (the id of the event that made it). */
export interface CartHeadLabel {
  label: string;
  cart: Cart;
}

/** A cart's value in minor units. */
export const cartValue = (cart: Cart): number => cart.lines.reduce((sum, l) => sum + l.price * l.quantity, 0);

/**
 * What `events.data` holds for a cart event, against the cart labelled `base` (null: none).
 *
 * @example
 * storedCartChange({ id, at, type: "cart", action: "add", cart }, head && { label: head.label, cart: head.cart });
 */
export function storedCartChange(event: CartEvent, base: CartHeadLabel | null): string {
  const change: StoredCartChange = {
    act: event.action,
    ...(base && { b: base.label }),
    v: cartValue(event.cart),
    ...diffCart(base?.cart ?? null, event.cart),
  };
  return JSON.stringify(change);
}

/** One `events` row as read back, its data parsed. */
export interface StoredEventRow {
  id: string;
  type: string;
  /** The browser's time (`client_at`). */
  clientAt: number;
  data: unknown;
}

const isChange = (row: StoredEventRow): row is StoredEventRow & { data: StoredCartChange } =>
  row.type === "cart" && typeof row.data === "object" && row.data !== null && "act" in row.data;

/** The cart a label stands for when the row holding it was written by a purchase (no cart row before). */
const purchaseCart = (data: PurchaseEvent): Cart => data.cart ?? { currency: data.currency, lines: [] };

/**
 * Every cart the rows and the browser's latest cart (`head`: `carts.lines_of` and its cart) tell,
 * by label: a change's cart from its base's going forwards, its base's from its own going
 * backwards, until nothing new comes. A row written whole (before changes were stored) is known
 * at once; so is the head, whatever of the chain retention has purged before it.
 */
export function cartsOf(rows: StoredEventRow[], heads: CartHeadLabel[]): Map<string, Cart> {
  const known = new Map<string, Cart>();
  const changes = rows.filter(isChange);
  const byBase = new Map<string, (typeof changes)[number][]>();
  const byId = new Map(changes.map((r) => [r.id, r]));
  const queue: string[] = [];
  const learn = (label: string, cart: Cart) => {
    if (known.has(label)) return;
    known.set(label, cart);
    queue.push(label);
  };
  for (const r of changes) if (r.data.b !== undefined) byBase.set(r.data.b, [...(byBase.get(r.data.b) ?? []), r]);
  for (const { label, cart } of heads) learn(label, cart);
  for (const r of rows) {
    if (r.type === "cart" && !isChange(r)) learn(r.id, (r.data as CartEvent).cart);
    if (r.type === "purchase" && byBase.has(r.id)) learn(r.id, purchaseCart(r.data as PurchaseEvent));
  }
  for (const r of changes) if (r.data.b === undefined) learn(r.id, applyCartDiff(null, r.data));
  for (let label = queue.shift(); label !== undefined; label = queue.shift()) {
    const cart = known.get(label) as Cart;
    for (const r of byBase.get(label) ?? []) learn(r.id, applyCartDiff(cart, r.data));
    const own = byId.get(label);
    const before = own?.data.b !== undefined && !known.has(own.data.b) ? revertCartDiff(cart, own.data) : null;
    if (own?.data.b !== undefined && before) learn(own.data.b, before);
  }
  return known;
}

/**
 * The events as the browser sent them, from their rows: a stored change becomes its cart event
 * again. One whose cart cannot be rebuilt (its chain purged on both sides) keeps its stored form.
 *
 * @example
 * eventsAsSent(rows, head ? [head] : []).find((e) => e.type === "cart")?.cart;
 */
export function eventsAsSent(rows: StoredEventRow[], heads: CartHeadLabel[]): unknown[] {
  const carts = cartsOf(rows, heads);
  return rows.map((r) => {
    if (!isChange(r)) return r.data;
    const cart = carts.get(r.id);
    return cart ? { id: r.id, at: r.clientAt, type: "cart", action: r.data.act, cart } : r.data;
  });
}
