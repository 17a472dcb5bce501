// The script checks calls by hand (the schema library would triple its size); the collector
// checks batches with the protocol's schemas. These properties prove the script never produces
// what the collector would refuse.
import fc from "fast-check";
import * as v from "valibot";
import { beforeEach, expect, it, vi } from "vitest";
import { BatchSchema, LineSchema } from "../protocol/schema";
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

const lineLike = fc.record(
  {
    id: fc.oneof(fc.string({ maxLength: 140 }), anything),
    name: fc.oneof(fc.string({ maxLength: 210 }), anything),
    price: fc.oneof(fc.integer({ min: -5, max: 2_000_000_000 }), anything),
    quantity: fc.oneof(fc.integer({ min: -2, max: 12_000 }), anything),
    url: anything,
    image: anything,
    variant: anything,
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
