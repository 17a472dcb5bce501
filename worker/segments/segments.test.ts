// Segments over random histories: each person is in a segment iff the segment's rule, written here
// again from the raw history (not from worker/segments/rules.ts), holds for what they did.
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { seedSite } from "../test/helpers";

const DAY = 86_400_000;
const NOW = Date.now();
const WINDOW_DAYS = 30;
const RULES = { windowDays: WINDOW_DAYS, upsellCategories: ["shoes"], upsellMinOrder: 20_000, highValueMin: 10_000 };
// A static code, offered at step 2 (the default sequence's third message) and for extra-cost shock.
const SETTINGS = { segments: RULES, incentive: { code: "BACK10", description: "10% off." } };
const REASONS = ["payment_failed", "extra_costs", "question", "reminder"] as const;

export const call = (key: string, path: string, secret: string | null = `sk_${key}`, init: RequestInit = {}) =>
  exports.default.fetch(`https://collector.test/v1/sites/${key}${path}`, {
    ...init,
    headers: { ...(secret && { authorization: `Bearer ${secret}` }), "content-type": "application/json" },
  });

const sequenceArb = fc.record({
  browser: fc.nat(1),
  daysAgo: fc.integer({ min: 0, max: 2 * WINDOW_DAYS }),
  value: fc.constantFrom(0, 5_000, 9_999, 10_000, 25_000),
  reason: fc.constantFrom(...REASONS),
  holdout: fc.boolean(),
  recovered: fc.option(fc.constantFrom(5_000, 19_999, 20_000, 40_000), { nil: undefined }),
  poolCode: fc.boolean(),
  // Each step: not sent, sent before the recovery, or sent after it.
  steps: fc.array(fc.constantFrom("none", "before", "after"), { minLength: 3, maxLength: 3 }),
});
const personArb = fc.record({
  sequences: fc.array(sequenceArb, { maxLength: 4 }),
  orders: fc.array(
    fc.record({ browser: fc.nat(2), daysAgo: fc.integer({ min: 0, max: 2 * WINDOW_DAYS }), total: fc.constantFrom(1_000, 20_000, 30_000) }),
    {
      maxLength: 3,
    },
  ),
  // Browser 2 was never identified: its orders are nobody's.
  categories: fc.array(fc.constantFrom("shoes", " Shoes ", "hats", "hats,shoes", null), { minLength: 3, maxLength: 3 }),
});
type Person = typeof personArb extends fc.Arbitrary<infer T> ? T : never;
const historyArb = fc.array(personArb, { minLength: 1, maxLength: 6 });

const emailOf = (i: number) => `p${i}@example.com`;
const aidOf = (site: number, i: number, b: number) => `a-${site}-${i}-${b}`.padEnd(22, "x");

/** Writes the history as the collector would have stored it. */
async function store(site: number, people: Person[]): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  const db = env.DB;
  people.forEach((p, i) => {
    const email = emailOf(i);
    for (const b of [0, 1, 2]) {
      const aid = aidOf(site, i, b);
      statements.push(
        db
          .prepare("INSERT INTO shoppers (site_id, aid, email, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)")
          .bind(site, aid, b === 2 ? null : email, `Person ${i}`, NOW, NOW),
      );
      const category = p.categories[b];
      const lines = [{ id: "x", name: "X", price: 100, quantity: 1, data: category === null ? {} : { category } }];
      statements.push(
        db
          .prepare(
            "INSERT INTO carts (site_id, aid, status, currency, lines, item_count, value, updated_at, client_at, version, expires_at) VALUES (?, ?, 'active', 'EUR', ?, 1, 100, ?, ?, 'v', ?)",
          )
          .bind(site, aid, JSON.stringify(lines), NOW, NOW, NOW + DAY),
      );
    }
    p.sequences.forEach((s, k) => {
      const id = `seq-${site}-${i}-${k}`;
      const abandonedAt = NOW - s.daysAgo * DAY - 1000;
      const recovered = s.recovered !== undefined;
      const recoveredAt = abandonedAt + 10 * 60_000;
      statements.push(
        db
          .prepare(
            `INSERT INTO sequences (id, site_id, email, aid, abandoned_at, started_at, value, currency, reason, status, holdout,
               recovered_order_id, recovered_value, recovered_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'EUR', ?, 'completed', ?, ?, ?, ?)`,
          )
          .bind(
            id,
            site,
            email,
            aidOf(site, i, s.browser),
            abandonedAt,
            abandonedAt,
            s.value,
            s.reason,
            s.holdout ? 1 : 0,
            recovered ? `o-${id}` : null,
            recovered ? s.recovered : null,
            recovered ? recoveredAt : null,
          ),
      );
      if (s.holdout) return; // the holdout gets no messages and no code
      if (s.poolCode)
        statements.push(
          db
            .prepare("INSERT INTO codes (site_id, code, added_at, sequence_id, claimed_at) VALUES (?, ?, ?, ?, ?)")
            .bind(site, `C-${id}`, NOW, id, abandonedAt),
        );
      s.steps.forEach((when, step) => {
        if (when === "none") return;
        const sentAt = when === "before" || !recovered ? recoveredAt - 60_000 : recoveredAt + 60_000;
        statements.push(
          db
            .prepare(
              "INSERT INTO messages (id, sequence_id, site_id, email, step, kind, status, due_at, queued_at, sent_at, abandoned_at) VALUES (?, ?, ?, ?, ?, 'recovery', 'sent', ?, ?, ?, ?)",
            )
            .bind(`${id}-${step}`, id, site, email, step, sentAt, sentAt, sentAt, abandonedAt),
        );
      });
    });
    for (const [k, o] of p.orders.entries())
      statements.push(
        db
          .prepare("INSERT INTO orders (site_id, order_id, aid, total, currency, at, source) VALUES (?, ?, ?, ?, 'EUR', ?, 'script')")
          .bind(site, `order-${i}-${k}`, aidOf(site, i, o.browser), o.total, NOW - o.daysAgo * DAY - 1000),
      );
  });
  if (statements.length > 0) await db.batch(statements);
}

/** The rules, from the raw history of one person. */
function expected(p: Person): Record<string, boolean> {
  const inWindow = (daysAgo: number) => daysAgo < WINDOW_DAYS; // a day's margin: `daysAgo * DAY + 1s` back
  const seqs = p.sequences.filter((s) => inWindow(s.daysAgo));
  const orders = p.orders.filter((o) => o.browser !== 2 && inWindow(o.daysAgo));
  const recovered = seqs.filter((s) => s.recovered !== undefined);
  const browsers = new Set([...seqs.map((s) => s.browser), ...p.orders.filter((o) => inWindow(o.daysAgo)).map((o) => o.browser)]);
  // Orders from the anonymous browser count for no one, so its cart is nobody's either.
  browsers.delete(2);
  const categories = [...browsers].flatMap((b) => (p.categories[b] ?? "").split(",").map((c) => c.trim().toLowerCase()));
  const top = Math.max(0, ...orders.map((o) => o.total), ...recovered.map((s) => s.recovered ?? 0));
  const offers = (reason: string, step: number) => reason !== "payment_failed" && (reason === "extra_costs" || step === 2);
  return {
    "upsell-ready": (recovered.length >= 1 || orders.length >= 2) && (categories.includes("shoes") || top >= RULES.upsellMinOrder),
    "high-value-abandoners": seqs.some((s) => s.recovered === undefined && s.value > 0 && s.value >= RULES.highValueMin),
    "repeat-abandoners": seqs.length >= 2,
    "recovered-by-code": recovered.some(
      (s) => !s.holdout && (s.poolCode || s.steps.some((when, step) => when === "before" && offers(s.reason, step))),
    ),
  };
}

const emailsIn = (csv: string) =>
  csv
    .trim()
    .split("\r\n")
    .slice(1)
    .map((row) => row.split(",")[0]);

describe("segments over random histories", () => {
  it("each person is in a segment iff its rule holds for their history; counts match the lists", async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, async (people) => {
        const site = await seedSite(env.DB, undefined, SETTINGS);
        await store(site.id, people);
        const summary = (await (await call(site.key, "/segments")).json()) as { segments: { name: string; count: number }[] };
        for (const { name, count } of summary.segments) {
          const want = people.flatMap((p, i) => (expected(p)[name] ? [emailOf(i)] : [])).sort();
          const res = await call(site.key, `/segments/${name}.csv`);
          expect(res.status).toBe(200);
          expect(emailsIn(await res.text()).sort(), name).toEqual(want);
          expect(count, name).toBe(want.length);
        }
      }),
      { numRuns: 40 },
    );
  });
});
