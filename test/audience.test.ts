// Who recovery writes to (issue 22, points 7 and 8): the exclusion rules and the audience mode as
// pure decisions (worker/recovery/audience.ts), and through the one place recovery is decided
// (person.ts `decide`): random carts × random rules × what the shop said, checked against an
// oracle written here from the rules' words, not from the code.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cartRule, EXCLUDED_WHY, exclusionOf, shopSaid } from "../worker/recovery/audience";
import { type Browser, decide, type Facts, newPerson, type PersonState } from "../worker/recovery/person";
import { DEFAULT_SETTINGS, type Exclusions, type SiteSettings } from "../worker/sites/settings";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 1, 10);
const none: Exclusions = { minValue: {}, maxValue: {}, productIds: [], lineData: [] };
const base: SiteSettings = { ...DEFAULT_SETTINGS, abandonAfterMinutes: 30, holdoutPercent: 0, quietHours: null };
const facts = (more: Partial<Facts> = {}): Facts => ({ suppressed: false, siteSentToday: 0, holdout: false, newId: "seq", ...more });

describe("the cart rules", () => {
  const cart = (value: number, lines: { id: string; data?: Record<string, string | number | boolean> }[] = [], currency = "EUR") => ({
    value,
    currency,
    lines,
  });

  it("value bounds are per currency, strict, and a currency without one has none", () => {
    const rules = { ...none, minValue: { EUR: 1000 }, maxValue: { EUR: 50_000 } };
    expect(cartRule(cart(999), rules)).toBe("under_min_value");
    expect(cartRule(cart(1000), rules)).toBeUndefined();
    expect(cartRule(cart(50_000), rules)).toBeUndefined();
    expect(cartRule(cart(50_001), rules)).toBe("over_max_value");
    expect(cartRule(cart(5, [], "USD"), rules)).toBeUndefined();
  });

  it("a product by line id or by data.productId; a line data key, with its value when given", () => {
    const rules = { ...none, productIds: ["gift-card", "p-7"], lineData: [{ key: "preorder" }, { key: "kind", value: "subscription" }] };
    expect(cartRule(cart(100, [{ id: "gift-card" }]), rules)).toBe("product");
    expect(cartRule(cart(100, [{ id: "42:abc", data: { productId: "p-7" } }]), rules)).toBe("product");
    expect(cartRule(cart(100, [{ id: "x", data: { preorder: false } }]), rules)).toBe("line_data");
    expect(cartRule(cart(100, [{ id: "x", data: { kind: "subscription" } }]), rules)).toBe("line_data");
    expect(cartRule(cart(100, [{ id: "x", data: { kind: "one-off" } }]), rules)).toBeUndefined();
    // An inherited key is not the line's: `constructor` on a plain object is not a tag.
    expect(cartRule(cart(100, [{ id: "x", data: {} }]), { ...none, lineData: [{ key: "constructor" }] })).toBeUndefined();
  });

  it("the shop's word first, then the cart rules, then the audience", () => {
    const settings = { exclusions: { ...none, minValue: { EUR: 1000 } }, audience: "customers_only" as const };
    expect(exclusionOf(cart(5), { excluded: true, customer: true }, settings)).toBe("shopper");
    expect(exclusionOf(cart(5), { excluded: false, customer: false }, settings)).toBe("under_min_value");
    expect(exclusionOf(cart(5000), { excluded: false, customer: false }, settings)).toBe("not_customer");
    expect(exclusionOf(cart(5000), { excluded: false, customer: true }, settings)).toBeUndefined();
    expect(exclusionOf(cart(5000), { excluded: false, customer: false }, { ...settings, audience: "everyone" })).toBeUndefined();
  });

  it("the freshest browser that said whether to exclude wins; any browser that said customer makes one", () => {
    const b = (lastActivity: number, more: Partial<Browser>): Browser => ({
      aid: `a${lastActivity}`,
      points: [],
      currency: "EUR",
      expiresAt: 0,
      lastActivity,
      moments: [],
      orders: [],
      ...more,
    });
    expect(shopSaid([b(1, { excluded: true }), b(2, { excluded: false })])).toEqual({ excluded: false, customer: false });
    expect(shopSaid([b(3, { excluded: true }), b(2, { excluded: false }), b(4, {})])).toEqual({ excluded: true, customer: false });
    expect(shopSaid([b(1, { customer: true }), b(2, { customer: false })])).toEqual({ excluded: false, customer: true });
  });
});

// ── The property: a sequence starts iff nothing excludes the cart; every quiet cart counted once ──

const PRODUCTS = ["tea", "cup", "gift", "kettle"];
const line = fc.record({
  id: fc.constantFrom(...PRODUCTS),
  quantity: fc.integer({ min: 1, max: 3 }),
  price: fc.integer({ min: 1, max: 4000 }),
  tag: fc.option(fc.constantFrom("preorder", "sample"), { nil: undefined }),
  productId: fc.option(fc.constantFrom("p-1", "p-2"), { nil: undefined }),
});
const person = fc.record({
  lines: fc.uniqueArray(line, { minLength: 1, maxLength: 3, selector: (l) => l.id }),
  currency: fc.constantFrom("EUR", "USD"),
  said: fc.constantFrom(undefined, true, false),
  customerSaid: fc.constantFrom(undefined, true, false),
  earlierOrder: fc.boolean(),
  listed: fc.boolean(),
});
const rules = fc.record({
  min: fc.option(fc.integer({ min: 0, max: 6000 }), { nil: undefined }),
  max: fc.option(fc.integer({ min: 0, max: 12_000 }), { nil: undefined }),
  productIds: fc.subarray([...PRODUCTS, "p-1", "p-2"], { maxLength: 2 }),
  tags: fc.subarray(["preorder", "sample"], { maxLength: 1 }),
  customersOnly: fc.boolean(),
});
type P = typeof person extends fc.Arbitrary<infer T> ? T : never;
type R = typeof rules extends fc.Arbitrary<infer T> ? T : never;

/** The rules as the issue words them, independently of audience.ts. */
function oracleExcludes(p: P, r: R): boolean {
  const value = p.lines.reduce((n, l) => n + l.price * l.quantity, 0);
  const shopSaysExclude = p.listed || p.said === true;
  const product = p.lines.some((l) => r.productIds.includes(l.id) || (l.productId !== undefined && r.productIds.includes(l.productId)));
  const tagged = p.lines.some((l) => l.tag !== undefined && r.tags.includes(l.tag));
  // Value bounds are set for EUR only: a USD cart has none.
  const tooSmall = p.currency === "EUR" && r.min !== undefined && value < r.min;
  const tooBig = p.currency === "EUR" && r.max !== undefined && value > r.max;
  const customer = p.earlierOrder || p.customerSaid === true;
  return shopSaysExclude || product || tagged || tooSmall || tooBig || (r.customersOnly && !customer);
}

function stateOf(p: P): PersonState {
  const state = newPerson(1, "ana@example.com");
  const at = T0 - 40 * MINUTE;
  const value = p.lines.reduce((n, l) => n + l.price * l.quantity, 0);
  // An earlier purchase on another browser, before this intent: a customer on record.
  if (p.earlierOrder) state.orders = [{ orderId: "o-old", total: 100, at: T0 - 90 * 24 * 60 * MINUTE }];
  state.browsers.a = {
    aid: "a",
    points: [{ at, value }],
    currency: p.currency,
    expiresAt: T0 + 7 * 24 * 60 * MINUTE,
    lastActivity: at,
    moments: [],
    orders: [],
    lines: p.lines.map((l) => ({
      id: l.id,
      ...((l.tag || l.productId) && { data: { ...(l.tag && { [l.tag]: true }), ...(l.productId && { productId: l.productId }) } }),
    })),
    ...(p.said !== undefined && { excluded: p.said }),
    ...(p.customerSaid !== undefined && { customer: p.customerSaid }),
  };
  return state;
}

const settingsOf = (r: R): SiteSettings => ({
  ...base,
  exclusions: {
    minValue: r.min === undefined ? {} : { EUR: r.min },
    maxValue: r.max === undefined ? {} : { EUR: r.max },
    productIds: r.productIds,
    lineData: r.tags.map((key) => ({ key })),
  },
  audience: r.customersOnly ? "customers_only" : "everyone",
});

describe("decide with the rules", () => {
  it("a quiet cart gets a sequence and a first message iff no rule excludes it; else it is recorded as excluded, nothing else", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(person, rules), { minLength: 1, maxLength: 20 }), (cases) => {
        let started = 0;
        let excluded = 0;
        for (const [p, r] of cases) {
          const { effects, state } = decide(stateOf(p), settingsOf(r), T0, { type: "alarm" }, facts({ listed: p.listed }));
          const starts = effects.filter((e) => e.do === "start");
          expect(starts).toHaveLength(1);
          const sequence = starts[0]?.do === "start" ? starts[0].sequence : undefined;
          if (oracleExcludes(p, r)) {
            expect(sequence?.status).toBe("excluded");
            expect(EXCLUDED_WHY).toContain(sequence?.excluded);
            // Nothing goes out: no claim, no notice to the merchant, no alarm for a step.
            expect(effects.map((e) => e.do)).toEqual(["start"]);
            excluded++;
            // Remembered for the intent: the next alarm decides nothing new.
            expect(decide(state, settingsOf(r), T0 + MINUTE, { type: "alarm" }, facts()).effects).toEqual([]);
          } else {
            expect(sequence?.status).toBe("active");
            expect(effects.some((e) => e.do === "claim")).toBe(true);
            started++;
          }
        }
        // Every quiet cart is counted once: as excluded, or as a sequence.
        expect(started + excluded).toBe(cases.length);
      }),
      { numRuns: 300 },
    );
  });

  it("a merchant-suppressed address gets no email: the sequence is refused when email is its only way, texts go on", () => {
    const p: P = { lines: [{ id: "tea", quantity: 1, price: 2000 }], currency: "EUR", earlierOrder: false, listed: false } as P;
    const state = stateOf(p);
    const refused = decide(state, base, T0, { type: "alarm" }, facts({ emailSuppressed: true }));
    expect(refused.effects).toEqual([]);
    expect(refused.alarm).toBeNull(); // refused for the intent, not looked at again each alarm
    // With a consented number and a text step, the text goes; the email step is passed over.
    state.browsers.a = { ...(state.browsers.a as Browser), sms: { phone: "+34600111222", at: T0 - 50 * MINUTE } };
    const steps = [
      { afterMinutes: 0, incentive: false, channel: "email" as const },
      { afterMinutes: 0, incentive: false, channel: "sms" as const },
    ];
    const texted = decide(state, { ...base, steps }, T0, { type: "alarm" }, facts({ emailSuppressed: true }));
    const claims = texted.effects.flatMap((e) => (e.do === "claim" ? [e.claim] : []));
    expect(claims.map((c) => c.channel)).toEqual(["sms"]);
    // The last check before an email claimed earlier refuses it.
    const verdict = decide(
      texted.state,
      base,
      T0,
      { type: "confirm", messageId: "seq-0", channel: "email" },
      facts({ emailSuppressed: true }),
    );
    expect(verdict.verdict).toEqual({ send: false, why: "unreachable" });
  });
});
