// @vitest-environment node
import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import {
  boughtAt,
  compareHlc,
  emptySync,
  type Hlc,
  type LineState,
  latest,
  merge,
  prune,
  record,
  type SyncCart,
  tick,
  touched,
  view,
  ZERO,
} from "./merge";
import { LineSchema, SyncCartSchema } from "./schema";
import type { Cart } from "./types";

const DEVICES = ["d0", "d1", "d2", "d3", "d4"];
const IDS = ["tea", "mug", "kettle", "oolong"];

type Edit = { type: "add" | "remove" | "qty" | "variant"; device: number; id: string; qty: number; advance: number };
type Sync = { type: "sync"; from: number; to: number; times: number };
type Step = Edit | Sync;

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    type: fc.constantFrom("add" as const, "remove" as const, "qty" as const, "variant" as const),
    device: fc.integer({ min: 0, max: 4 }),
    id: fc.constantFrom(...IDS),
    qty: fc.integer({ min: 1, max: 5 }),
    advance: fc.integer({ min: -50, max: 200 }), // wall clocks jump and go back (skewed devices)
  }),
  // A delivery from one device to another, possibly repeated: a replay changes nothing.
  fc.record({
    type: fc.constant("sync" as const),
    from: fc.integer({ min: 0, max: 4 }),
    to: fc.integer({ min: 0, max: 4 }),
    times: fc.integer({ min: 1, max: 3 }),
  }),
);

/** Runs a script of edits and deliveries on 5 replicas; returns them and every change made. */
function run(steps: Step[]) {
  const replicas: SyncCart[] = DEVICES.map(() => emptySync("EUR"));
  const clocks: Hlc[] = DEVICES.map(() => ZERO);
  const walls = DEVICES.map((_, i) => 1_000_000 + i * 7); // each device's own, skewed wall clock
  // Every change: its line, clock, the epoch it belongs to, and what it wrote (a whole write
  // writes every field; an edit one field).
  const changes: { id: string; at: Hlc; epoch: Hlc; whole: boolean; qty?: number; variant?: string | null }[] = [];
  for (const s of steps) {
    if (s.type === "sync") {
      for (let i = 0; i < s.times; i++) replicas[s.to] = merge(replicas[s.to] as SyncCart, replicas[s.from] as SyncCart);
      clocks[s.to] =
        compareHlc(clocks[s.to] as Hlc, latest(replicas[s.to] as SyncCart)) >= 0
          ? (clocks[s.to] as Hlc)
          : latest(replicas[s.to] as SyncCart);
      continue;
    }
    const d = s.device;
    walls[d] = Math.max(0, (walls[d] as number) + s.advance);
    const before = view(replicas[d] as SyncCart);
    const lines = before.lines.filter((l) => l.id !== s.id);
    const existing = before.lines.find((l) => l.id === s.id);
    const after: Cart = { currency: "EUR", lines: before.lines.slice() };
    if (s.type === "remove") {
      if (!existing) continue;
      after.lines = lines;
    } else if (s.type === "variant") {
      if (!existing) continue;
      // A variant chosen, changed, or taken away (an optional field going is an edit too).
      const { variant: _, ...rest } = existing;
      const line = s.qty === 5 ? rest : { ...existing, variant: `v${s.qty}` };
      after.lines = before.lines.map((l) => (l.id === s.id ? line : l));
    } else {
      const quantity = s.type === "add" ? (existing?.quantity ?? 0) + s.qty : s.qty;
      const line = { ...(existing ?? { id: s.id, name: s.id, price: 100 }), quantity };
      after.lines = existing ? before.lines.map((l) => (l.id === s.id ? line : l)) : [...before.lines, line];
    }
    let last: Hlc | undefined;
    const epochBefore = (replicas[d] as SyncCart).lines[s.id];
    replicas[d] = record(replicas[d] as SyncCart, after, () => {
      clocks[d] = tick(clocks[d] as Hlc, DEVICES[d] as string, walls[d] as number);
      last = clocks[d];
      return clocks[d] as Hlc;
    });
    if (!last) continue;
    const whole = s.type === "remove" || !existing;
    const line = after.lines.find((l) => l.id === s.id);
    changes.push({
      id: s.id,
      at: last,
      epoch: whole ? last : (epochBefore?.at as Hlc),
      whole,
      ...(line && (whole || s.type !== "variant") && { qty: line.quantity }),
      ...(line && (whole || s.type === "variant") && { variant: line.variant ?? null }),
    });
  }
  return { replicas, changes };
}

/** Everyone hears from everyone (after the offline stretches end). */
function reconnect(replicas: SyncCart[]): SyncCart[] {
  const all = replicas.reduce(merge);
  return replicas.map((r) => merge(r, all));
}

describe("merging carts across 5 devices (property tests)", () => {
  it("converges to the same cart on every device, whatever the order, delays and duplicates", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const { replicas } = run(steps);
        const final = reconnect(replicas);
        for (const r of final) expect(view(r)).toEqual(view(final[0] as SyncCart));
        for (const r of final) expect(r).toEqual(final[0]);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps the last write of each field in the line's last epoch: a removal is never resurrected, a quantity never doubled, and edits of different fields on different devices both survive", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const { replicas, changes } = run(steps);
        const cart = view(reconnect(replicas)[0] as SyncCart);
        const last = <T>(list: T[], at: (t: T) => Hlc) => list.sort((a, b) => compareHlc(at(a), at(b))).at(-1);
        for (const id of IDS) {
          const mine = changes.filter((c) => c.id === id);
          const epoch = last(
            mine.filter((c) => c.whole),
            (c) => c.at,
          );
          const line = cart.lines.find((l) => l.id === id);
          if (!epoch || epoch.qty === undefined) {
            expect(line).toBeUndefined();
            continue;
          }
          const inEpoch = mine.filter((c) => compareHlc(c.epoch, epoch.at) === 0);
          const qty = last(
            inEpoch.filter((c) => c.qty !== undefined),
            (c) => c.at,
          );
          const variant = last(
            inEpoch.filter((c) => c.variant !== undefined),
            (c) => c.at,
          );
          expect(line?.quantity).toBe(qty?.qty);
          expect(line?.variant ?? null).toBe(variant?.variant);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("a quantity changed on one device and a variant on another, at the same time, both survive", () => {
    const T = 1_700_000_000_000;
    const base = record(emptySync("EUR"), { currency: "EUR", lines: [{ id: "tea", name: "tea", price: 100, quantity: 1 }] }, () => [
      T,
      0,
      "d0",
    ]);
    const phone = record(base, { currency: "EUR", lines: [{ id: "tea", name: "tea", price: 100, quantity: 3 }] }, () => [T + 1, 0, "d1"]);
    const laptop = record(base, { currency: "EUR", lines: [{ id: "tea", name: "tea", price: 100, quantity: 1, variant: "loose" }] }, () => [
      T + 1,
      0,
      "d2",
    ]);
    for (const both of [merge(phone, laptop), merge(laptop, phone)])
      expect(view(both).lines).toEqual([{ id: "tea", name: "tea", price: 100, quantity: 3, variant: "loose" }]);
    // An old replica (no per-field clocks) still reads, and its whole-line writes still win by epoch.
    const old: SyncCart = JSON.parse(JSON.stringify(base));
    expect(view(merge(old, phone)).lines[0]?.quantity).toBe(3);
    expect(v.parse(SyncCartSchema, JSON.parse(JSON.stringify(merge(phone, laptop))))).toEqual(merge(phone, laptop));
  });

  it("merge is commutative, associative and idempotent", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const [a, b, c] = run(steps).replicas as [SyncCart, SyncCart, SyncCart];
        expect(merge(a, b)).toEqual(merge(b, a));
        expect(merge(merge(a, b), c)).toEqual(merge(a, merge(b, c)));
        expect(merge(a, a)).toEqual(a);
        expect(merge(merge(a, b), b)).toEqual(merge(a, b));
      }),
      { numRuns: 300 },
    );
  });
});

it("a clock never goes backwards, even when the wall clock does", () => {
  const a = tick(ZERO, "d0", 1000);
  const b = tick(a, "d0", 900);
  expect(compareHlc(b, a)).toBeGreaterThan(0);
});

describe("prune", () => {
  const entry = fc.record({
    live: fc.boolean(),
    wall: fc.integer({ min: 0, max: 1000 }),
    known: fc.boolean(),
  });
  it("keeps every live line the account knew, drops only old or surplus entries, and stays within max", () => {
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 60 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 10, max: 40 }),
        (entries, before, max) => {
          const state = (e: (typeof entries)[number], i: number) => ({
            ...(e.live && { line: { id: `l${i}`, name: "x", price: 1, quantity: 1 } }),
            at: [e.wall, 0, "d"] as Hlc,
            pos: [e.wall, 0, "d"] as Hlc,
          });
          const merged: SyncCart = {
            currency: "EUR",
            currencyAt: ZERO,
            lines: Object.fromEntries(entries.map((e, i) => [`l${i}`, state(e, i)])),
          };
          const known: SyncCart = {
            ...merged,
            lines: Object.fromEntries(entries.flatMap((e, i) => (e.known ? [[`l${i}`, state(e, i)]] : []))),
          };
          const kept = prune(merged, known, { before, max });
          entries.forEach((e, i) => {
            const id = `l${i}`;
            if (e.live && (e.known || e.wall >= before)) expect(kept.lines[id], `live ${id}`).toBeDefined();
            if (e.wall < before && !(e.live && e.known)) expect(kept.lines[id], `old ${id}`).toBeUndefined();
          });
          const live = Object.values(kept.lines).filter((s) => s.line).length;
          expect(Object.keys(kept.lines).length).toBeLessThanOrEqual(Math.max(max, live));
          expect(prune(kept, known, { before, max })).toEqual(kept); // idempotent
        },
      ),
    );
  });
});

const line = (id: string) => ({ id, name: id, price: 100, quantity: 1 });

describe("boughtAt", () => {
  it("turns every line changed before the order into a tombstone, keeps the later ones, and changes nothing a second time", () => {
    let t = 0;
    const clock = (): Hlc => [1000 + t++, 0, "d"];
    const before = record(emptySync("EUR"), { currency: "EUR", lines: [line("tea"), line("mug")] }, clock);
    const after = record(before, { currency: "EUR", lines: [line("tea"), line("mug"), line("kettle")] }, () => [5000, 0, "d"]);
    const bought = boughtAt(after, 2000, () => [6000, 0, "o"]);
    expect(view(bought).lines.map((l) => l.id)).toEqual(["kettle"]);
    expect(bought.lines.tea?.line).toBeUndefined();
    expect(boughtAt(bought, 2000, () => [7000, 0, "o"])).toEqual(bought);
    // Another device that still holds the bought lines merges to the same: they do not come back.
    expect(view(merge(before, bought)).lines.map((l) => l.id)).toEqual(["kettle"]);
  });
});

describe("a line's data across devices", () => {
  it("goes through record, merge and the sync schema unchanged, and the same fields in another order are no change", () => {
    let t = 0;
    const clock = (): Hlc => [1_700_000_000_000 + t++, 0, "d1"];
    // What the shop on one device gave, and what another device's shop gives for the same line.
    const mine = v.parse(LineSchema, { ...line("tea"), data: { size: "M", color: "blue", productId: "p-7", gift: false } });
    const theirs = v.parse(LineSchema, { ...line("tea"), data: { productId: "p-7", gift: false, color: "blue", size: "M" } });
    const replica = record(emptySync("EUR"), { currency: "EUR", lines: [mine] }, clock);
    // The account cart as the collector answers it: through the sync schema, as JSON.
    const answered = v.parse(SyncCartSchema, JSON.parse(JSON.stringify(merge(emptySync("EUR"), replica))));
    expect(view(answered).lines).toEqual([mine]);
    expect(JSON.stringify(answered)).toBe(JSON.stringify(replica));
    const calls = t;
    const again = record(answered, { currency: "EUR", lines: [theirs] }, clock);
    expect(t).toBe(calls); // no new clock reading: nothing changed
    expect(again).toEqual(answered);
    // A real change of a field is a change.
    const changed = record(answered, { currency: "EUR", lines: [{ ...theirs, data: { ...theirs.data, size: "L" } }] }, clock);
    expect(touched(changed.lines.tea as LineState)).not.toEqual(touched(answered.lines.tea as LineState));
    expect(changed.lines.tea?.f).toEqual({ data: touched(changed.lines.tea as LineState) }); // that field alone
    expect(view(merge(answered, changed)).lines[0]?.data).toEqual({ color: "blue", gift: false, productId: "p-7", size: "L" });
  });
});
