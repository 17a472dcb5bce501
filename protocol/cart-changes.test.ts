import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyCartDiff,
  type CartDiff,
  cartsOf,
  diffCart,
  packLine,
  readLines,
  revertCartDiff,
  type StoredEventRow,
  storedCartChange,
  unpackLine,
  writeLines,
} from "./cart-changes";
import type { Cart, CartEvent, Line, LineData } from "./types";

// A few ids, so that two carts share lines; every optional field present or not.
const line: fc.Arbitrary<Line> = fc.record(
  {
    id: fc.constantFrom("tea", "mug", "pot", "cup", "lid", "bag"),
    name: fc.constantFrom("Green tea", "Mug", "Teapot «Ōsaka»"),
    price: fc.integer({ min: 0, max: 5000 }),
    quantity: fc.integer({ min: 1, max: 5 }),
    url: fc.constantFrom("https://shop.example/p/1", "https://shop.example/p/2"),
    image: fc.constantFrom("https://shop.example/i/1.jpg", "https://cdn.example/i/2.jpg"),
    variant: fc.constantFrom("M", "L / Blue"),
    data: fc.constantFrom<LineData[]>({ productId: "p-7", size: "M" }, { gift: true }, { color: "blue", productId: "p-7" }),
  },
  { requiredKeys: ["id", "name", "price", "quantity"] },
);
const cart: fc.Arbitrary<Cart> = fc.record({
  currency: fc.constantFrom("EUR", "USD"),
  lines: fc.uniqueArray(line, { selector: (l) => l.id, maxLength: 6 }),
});
/** As D1 gives it back: through JSON. */
const stored = (diff: CartDiff): CartDiff => JSON.parse(JSON.stringify(diff));

describe("a cart change (diffCart, applyCartDiff, revertCartDiff)", () => {
  it("turns the cart before into the cart after, and back, through JSON", () => {
    fc.assert(
      fc.property(fc.option(cart, { nil: null }), cart, (prev, next) => {
        const diff = stored(diffCart(prev, next));
        expect(applyCartDiff(prev, diff)).toEqual(next);
        expect(revertCartDiff(next, diff)).toEqual(prev);
      }),
      { numRuns: 2000 },
    );
  });

  it("holds only what changed: one line added to a cart is that line and its place", () => {
    const tea = { id: "tea", name: "Green tea", price: 1250, quantity: 1 };
    const mug = { id: "mug", name: "Mug", price: 900, quantity: 2, url: "https://shop.example/mug" };
    expect(diffCart({ currency: "EUR", lines: [tea] }, { currency: "EUR", lines: [tea, mug] })).toEqual({
      add: [[1, ["mug", "Mug", 900, 2, "https://shop.example/mug"]]],
    });
    expect(diffCart({ currency: "EUR", lines: [tea, mug] }, { currency: "EUR", lines: [{ ...tea, quantity: 3 }, mug] })).toEqual({
      upd: [["tea", [[3, 1, 3]]]],
    });
  });
});

describe("a stored line", () => {
  it("is the same line once packed, and a line stored as an object before is read as it is", () => {
    fc.assert(
      fc.property(fc.uniqueArray(line, { selector: (l) => l.id }), (lines) => {
        expect(lines.map((l) => unpackLine(JSON.parse(JSON.stringify(packLine(l)))))).toEqual(lines);
        expect(readLines(writeLines(lines))).toEqual(lines);
        expect(readLines(JSON.stringify(lines))).toEqual(lines);
      }),
    );
  });
});

describe("cartsOf", () => {
  // The collector's rule, without D1: each change against the head at its write (by browser time,
  // then id), which only moves forward. The workerd property (worker/ingest/cart-changes.test.ts)
  // runs the real consumer with redeliveries, stale reads and purges.
  it("rebuilds every cart of a chain written in any order, from its oldest forwards or from the head backwards", () => {
    fc.assert(
      fc.property(fc.array(cart, { minLength: 1, maxLength: 8 }), fc.infiniteStream(fc.nat()), (carts, picks) => {
        const events: CartEvent[] = carts.map((c, i) => ({ id: `e${i}`, at: 1_700_000_000_000 + i, type: "cart", action: "set", cart: c }));
        const order = [...events].sort(() => (picks.next().value % 3) - 1);
        let head: { label: string; cart: Cart; at: number } | null = null;
        const rows: StoredEventRow[] = [];
        for (const e of order) {
          rows.push({ id: e.id, type: "cart", clientAt: e.at, data: JSON.parse(storedCartChange(e, head)) });
          if (!head || e.at > head.at) head = { label: e.id, cart: e.cart, at: e.at };
        }
        const h = head as { label: string; cart: Cart };
        const all = cartsOf(rows, [h]);
        for (const e of events) expect(all.get(e.id)).toEqual(e.cart);
        // Without the head, from the first change written (against no cart).
        const forwards = cartsOf(rows, []);
        for (const e of events) expect(forwards.get(e.id)).toEqual(e.cart);
        // The older half purged: the rest from the head.
        const cut = events[Math.floor(events.length / 2)]?.at ?? 0;
        const kept = rows.filter((r) => r.clientAt >= cut);
        const fromHead = cartsOf(kept, [h]);
        for (const e of events.filter((e) => e.at >= cut)) expect(fromHead.get(e.id)).toEqual(e.cart);
      }),
      { numRuns: 500 },
    );
  });
});
