// The script checks calls by hand (the schema library would triple its size); the collector
// checks batches with the protocol's schemas. These properties prove the script never produces
// what the collector would refuse.
import fc from "fast-check";
import * as v from "valibot";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { BatchSchema, describeIssues, LineSchema } from "../protocol/schema";
import { checkLine as checkAnyLine } from "../sdk/cart";
import { checkData } from "../sdk/data";

/** The script's check of a line with its `data` checks at hand, as the core has them once a line has data. */
const checkLine = (input: unknown) => checkAnyLine(input, checkData);

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

describe("identify, the page's language and the browser's zone", () => {
  const sent = async (fetch: ReturnType<typeof vi.fn>) =>
    fetch.mock.calls.map((call) => JSON.parse((call as unknown as [string, RequestInit])[1].body as string));
  // Mostly good values, so that many identifies pass, with every kind of bad one mixed in.
  const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<unknown>) =>
    fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: bad, weight: 1 });
  const shopper = fc.record(
    {
      email: mostly(
        fc.constantFrom("ana@example.com", "o.brien+tea@shop.example"),
        fc.oneof(fc.emailAddress(), fc.string(), fc.constant(null)),
      ),
      userId: mostly(
        fc.string({ minLength: 1, maxLength: 128 }),
        fc.oneof(fc.string({ minLength: 129, maxLength: 140 }), fc.integer(), fc.constant("")),
      ),
      name: mostly(fc.constant("Ana"), fc.oneof(fc.string({ maxLength: 210 }), fc.constant(null))),
      locale: mostly(
        fc.constantFrom("es", "es-MX", "pt-BR", "zh-Hant-TW", "de-DE-1996"),
        fc.oneof(fc.constantFrom("es_ES", "", "e", "english", "x-klingon", "de-DE-1996-x-a"), fc.string()),
      ),
      phone: mostly(
        fc.constantFrom("+34600111222", "+14155550100"),
        fc.oneof(fc.constantFrom("+1 415 555 0100", "600111222", "+0123456789", "+3460011122233344"), fc.string()),
      ),
      smsConsent: mostly(fc.boolean(), fc.constantFrom("yes", 1, null)),
    },
    { requiredKeys: [] },
  );

  it("whatever the shop passes, an identify the script records the collector accepts, and a refusal records nothing", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { createCartback } = await import("../sdk/index");
    const { transact } = await import("../sdk/storage");
    const cb = createCartback({ site: "pk_test", endpoint: "https://collector.test", currency: "EUR" });
    let recorded = 0;
    await fc.assert(
      fc.asyncProperty(shopper, async (who) => {
        await transact((s) => {
          s.outbox.events = [];
        });
        warn.mockClear();
        await cb.identify(who as never);
        const events = await transact((s) => s.outbox.events);
        if (!events.length) {
          expect(warn).toHaveBeenCalled();
          return;
        }
        recorded++;
        const batch = { aid: "a".repeat(22), sentAt: Date.now(), events };
        expect(v.safeParse(BatchSchema, batch).issues).toBeUndefined();
        // A number goes only with the shopper's yes.
        if ((who as { phone?: unknown }).phone != null) expect(events[0]).toMatchObject({ smsConsent: true });
      }),
      { numRuns: 300 },
    );
    expect(recorded).toBeGreaterThan(10);
  });

  it("a batch carries the tag's data-locale, else <html lang>, and identify's locale over both; an odd lang never costs the batch", async () => {
    const fetch = vi.fn(async () => new Response("{}", { status: 202 }));
    vi.stubGlobal("fetch", fetch);
    const { createCartback } = await import("../sdk/index");
    document.documentElement.lang = "es_ES"; // not a tag the collector reads: sent, ignored there, the batch kept
    const cb = createCartback({ site: "pk_test", endpoint: "https://collector.test", currency: "EUR" });
    await cb.addLine(LINE);
    await cb.flush();
    document.documentElement.lang = "es";
    await cb.checkout();
    await cb.flush();
    await cb.identify({ email: "ana@example.com", locale: "pt-BR" });
    await cb.flush();
    await cb.checkout(); // a later batch still says the shopper's own language
    await cb.flush();
    const bodies = await sent(fetch);
    expect(bodies.map((b) => b.locale)).toEqual(["es_ES", "es", "pt-BR", "pt-BR"]);
    for (const body of bodies) {
      expect(body.timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
      expect(v.safeParse(BatchSchema, body).issues).toBeUndefined();
    }
    document.documentElement.lang = "";
    const tagged = createCartback({ site: "pk_test", endpoint: "https://collector.test", currency: "EUR", locale: "fr" });
    fetch.mockClear();
    await tagged.signOut(); // the signed-out device forgets the shopper's language
    await tagged.addLine(LINE);
    await tagged.flush();
    expect((await sent(fetch)).at(-1)?.locale).toBe("fr");
  });
});
