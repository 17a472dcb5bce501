// The script checks calls by hand (the schema library would triple its size); the collector
// checks batches with the protocol's schemas. These properties prove the script never produces
// what the collector would refuse.
import fc from "fast-check";
import * as v from "valibot";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { BatchSchema, describeIssues, LineSchema } from "../protocol/schema";
import { checkLine } from "../sdk/cart";

const anything = fc.oneof(
  fc.string(),
  fc.string({ minLength: 195, maxLength: 260 }),
  fc.integer(),
  fc.double(),
  fc.constant(undefined),
  fc.constant(null),
  fc.webUrl(),
  fc.constantFrom("javascript:alert(1)", "/relative/path", "data:text/html,x", "https://shop.example/p?q=1#x", "ftp://x.example"),
);

// A line's `data`: the shop's own fields, carried unchanged (keys sorted), refused when it breaks a rule.
const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${String(i).padStart(2, "0")}`, i]));
const LIMIT_DATA: Record<string, unknown>[] = [
  keys(16),
  { ["a".repeat(64)]: "x" },
  { k: "x".repeat(1024 - '{"k":""}'.length) }, // exactly 1024 bytes of JSON
  { k: "é".repeat((1024 - '{"k":""}'.length) / 2) }, // the same in two-byte characters
  { productId: "p-7", size: "M", color: "blue", inStock: true, weight: 0.25, rank: -3, note: "" },
  { emoji: "😀 tea", "größe 🍵": "L" }, // surrogate pairs are fine
];
const BAD_DATA: [string, unknown, string][] = [
  ["17 keys", keys(17), "data"],
  ["a nested object", { size: { eu: 42 } }, "data.size"],
  ["an array value", { sizes: ["M", "L"] }, "data.sizes"],
  ["a null value", { size: null }, "data.size"],
  ["NaN", { weight: Number.NaN }, "data.weight"],
  ["Infinity", { weight: Number.POSITIVE_INFINITY }, "data.weight"],
  ["1024 bytes + 1", { k: "x".repeat(1024 - '{"k":""}'.length + 1) }, "data"],
  ["1024 bytes + 1 in two-byte characters", { k: `${"é".repeat(508)}x` }, "data"],
  ["a lone surrogate in a value", { size: "M\ud800" }, "data.size"],
  ["a lone surrogate in a key", { "size\udc00": "M" }, "data.size\udc00"],
  ["__proto__", JSON.parse('{"size":"M","__proto__":{"polluted":true}}'), "data"],
  ["constructor", { constructor: "x" }, "data"],
  ["prototype", { prototype: "x" }, "data"],
  ["an empty key", { "": "x" }, "data."],
  ["a key of 65 characters", { ["a".repeat(65)]: "x" }, `data.${"a".repeat(65)}`],
  ["an array", ["M"], "data"],
  ["a string", "size=M", "data"],
  ["a Map", new Map([["size", "M"]]), "data"],
  ["an object without a prototype", Object.assign(Object.create(null), { size: "M" }), "data"],
];
/** A line's data: random fields of every kind (lone surrogates, nesting, non-finite numbers), the cases above, anything. */
const dataLike = fc.oneof(
  fc.dictionary(
    fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom("productId", "__proto__", "constructor", "prototype", "toString", "k".repeat(64), "k".repeat(65), "\ud800"),
    ),
    fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ unit: "binary", maxLength: 6 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constantFrom(null, undefined, { a: 1 }, [1], "x".repeat(1016)),
    ),
    { maxKeys: 18 },
  ),
  fc.constantFrom(...LIMIT_DATA, ...BAD_DATA.map(([, d]) => d)),
  anything,
);

const lineLike = fc.record(
  {
    id: fc.oneof(fc.string({ maxLength: 140 }), anything),
    name: fc.oneof(fc.string({ maxLength: 210 }), anything),
    price: fc.oneof(fc.integer({ min: -5, max: 2_000_000_000 }), anything),
    quantity: fc.oneof(fc.integer({ min: -2, max: 12_000 }), anything),
    url: anything,
    image: anything,
    variant: anything,
    data: dataLike,
    extra: anything,
  },
  { requiredKeys: [] },
);

it("every line the script accepts, the collector's schema accepts", () => {
  fc.assert(
    fc.property(lineLike, (input) => {
      let line: unknown;
      try {
        line = checkLine(input);
      } catch (refusal) {
        expect(typeof refusal).toBe("string");
        return;
      }
      const result = v.safeParse(LineSchema, line);
      expect(result.issues).toBeUndefined();
    }),
    { numRuns: 3000 },
  );
});

it("lines the schema accepts are accepted by the script too (no needless refusals)", () => {
  fc.assert(
    fc.property(lineLike, (input) => {
      const clean = Object.fromEntries(Object.entries(input).filter(([k, val]) => k !== "extra" && val != null));
      if (!v.safeParse(LineSchema, clean).success) return;
      expect(() => checkLine(clean)).not.toThrow();
    }),
    { numRuns: 3000 },
  );
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
});

it("every batch the script sends matches the collector's BatchSchema", async () => {
  const fetch = vi.fn(async () => new Response("{}", { status: 202 }));
  vi.stubGlobal("fetch", fetch);
  const { createCartback } = await import("../sdk/index");
  const cb = createCartback({ site: "pk_test", endpoint: "https://collector.test", currency: "EUR" });
  await cb.addLine({ id: "tea", name: "Tea <b>", price: 1250, quantity: 2, url: "/tea", image: "/tea.png", variant: "100 g" });
  await cb.updateLine("tea", { quantity: 3 });
  await cb.setCart({ currency: "EUR", lines: [{ id: "mug", name: "Mug", price: 0, quantity: 1 }] });
  await cb.identify({ email: "ana@example.com", userId: "u-1", name: "Ana" });
  await cb.checkout();
  await cb.removeLine("mug");
  await cb.clear();
  await cb.addLine({ id: "kettle", name: "Kettle", price: 6900, quantity: 1 });
  await cb.purchase({ orderId: "order-1", total: 6900 });
  await cb.flush();
  const bodies = fetch.mock.calls.map((call) => JSON.parse((call as unknown as [string, RequestInit])[1].body as string));
  expect(bodies.flatMap((b) => b.events.map((e: { type: string }) => e.type))).toEqual([
    "cart",
    "cart",
    "cart",
    "identify",
    "checkout",
    "cart",
    "cart",
    "cart",
    "purchase",
  ]);
  for (const body of bodies) expect(v.safeParse(BatchSchema, body).issues).toBeUndefined();
});

const LINE = { id: "tea", name: "Tea", price: 100, quantity: 1 };

describe("a line's data", () => {
  it.each(LIMIT_DATA.map((d) => [Object.keys(d).length, d] as const))("accepts %i keys at the limits", (_, data) => {
    const parsed = v.safeParse(LineSchema, { ...LINE, data });
    expect(parsed.issues).toBeUndefined();
    expect(parsed.success && parsed.output.data).toEqual(data);
  });

  it("hands the fields on with their keys sorted, whatever order they came in", () => {
    const a = v.parse(LineSchema, { ...LINE, data: { size: "M", color: "blue", productId: "p-7" } });
    const b = v.parse(LineSchema, { ...LINE, data: { productId: "p-7", color: "blue", size: "M" } });
    expect(Object.keys(a.data ?? {})).toEqual(["color", "productId", "size"]);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it.each(LIMIT_DATA.map((d) => [Object.keys(d).length, d] as const))(
    "the script hands on %i keys at the limits as the schema does",
    (_, data) => {
      const line = checkLine({ ...LINE, data });
      expect(line.data).toEqual(data);
      expect(JSON.stringify(line)).toBe(JSON.stringify(v.parse(LineSchema, { ...LINE, data })));
    },
  );

  it.each(BAD_DATA)("the script refuses %s as invalid line.data", (_, data) => {
    expect(() => checkLine({ ...LINE, data })).toThrow("invalid line.data");
  });

  it("the script's copy of the fields is the schema's, keys sorted, for any fields", () => {
    fc.assert(
      fc.property(dataLike, (data) => {
        let line: ReturnType<typeof checkLine>;
        try {
          line = checkLine({ ...LINE, data });
        } catch {
          return;
        }
        expect(JSON.stringify(line)).toBe(JSON.stringify(v.parse(LineSchema, line)));
      }),
      { numRuns: 2000 },
    );
  });

  it.each(BAD_DATA)("refuses %s, saying where", (_, data, path) => {
    const parsed = v.safeParse(LineSchema, { ...LINE, data });
    expect(parsed.success).toBe(false);
    expect(describeIssues(parsed.issues ?? [])[0]?.path).toBe(path);
  });

  it("refuses a batch with bad data, naming the line's data", () => {
    const event = { id: "a".repeat(16), at: 1_700_000_000_000, type: "cart", action: "set" };
    for (const [, data, path] of BAD_DATA) {
      const batch = {
        aid: "b".repeat(16),
        sentAt: 1_700_000_000_000,
        events: [{ ...event, cart: { currency: "EUR", lines: [{ ...LINE, data }] } }],
      };
      const parsed = v.safeParse(BatchSchema, batch);
      expect(describeIssues(parsed.issues ?? []).map((i) => i.path)).toEqual([`events.0.cart.lines.0.${path}`]);
    }
  });
});
