import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ErrorBody } from "../../protocol/types";
import { rebuildRollups } from "../db/rollups";
import { eventually, ORIGIN, seedSite } from "../test/helpers";
import { abandon, deliver } from "../test/recovery";
import { computeStats, type Stats } from "./figures";

const HOUR = 3_600_000;
const day = (d: string, hours = 10) => Date.parse(`${d}T00:00:00Z`) + hours * HOUR;

let site: { id: number; key: string };
let other: { id: number; key: string };

// [id, email, abandoned at, value, reason, holdout, recovered order, recovered value, recovered after (h)]
type Seq = [string, string, number, number, string, 0 | 1, string | null, number | null, number | null];
const SEQUENCES: Seq[] = [
  ["s1", "s1@example.com", day("2026-11-01"), 1000, "card_declined", 0, "o1", 1000, 2],
  ["s2", "+sum@example.com", day("2026-11-01", 11), 2000, "card_declined", 0, null, null, null],
  ["s3", "s3@example.com", day("2026-11-01", 12), 3000, "extra_costs", 0, "o3", 2500, 26],
  ["s4", "s4@example.com", day("2026-11-01", 13), 4000, "extra_costs", 1, "o4", 4000, 3],
  ["s5", "s5@example.com", day("2026-11-02"), 500, "hesitation", 0, null, null, null],
  ["s6", "s6@example.com", day("2026-11-02", 11), 1500, "hesitation", 0, "o6", 1500, 1],
  ["s7", "s7@example.com", day("2026-11-02", 12), 1000, "hesitation", 1, null, null, null],
  ["s8", "s8@example.com", day("2026-11-02", 13), 2000, "card_declined", 1, null, null, null],
  ["s9", "s9@example.com", day("2026-11-03"), 800, "question", 0, null, null, null],
  ["s10", "s10@example.com", day("2026-11-03", 11), 1200, "extra_costs", 0, null, null, null],
  ["s11", "s11@example.com", day("2026-10-31", 23), 9999, "card_declined", 0, "o11", 9999, 1], // out of range
];

// [sequence, step, sent after (min), clicked after (min)]
// Sequence, step, sent and clicked (minutes after abandonment), and the channel when not email.
const MESSAGES: [string, number, number | null, number | null, "sms"?][] = [
  ["s1", 0, 30, 40],
  ["s2", 0, 30, null],
  ["s2", 1, 1440, null, "sms"],
  ["s3", 0, 30, null],
  ["s3", 1, 1440, 1450, "sms"],
  ["s5", 0, 30, null],
  ["s6", 0, 30, null],
  ["s9", 0, null, null], // claimed, cancelled before sending
  ["s10", 0, 30, null],
];

beforeAll(async () => {
  site = await seedSite(env.DB, [ORIGIN]);
  other = await seedSite(env.DB, ["https://other.example"]);
  const at = Object.fromEntries(SEQUENCES.map((s) => [s[0], s[2]]));
  await env.DB.batch([
    ...SEQUENCES.map(([id, email, abandoned, value, reason, holdout, order, recovered, after]) =>
      env.DB.prepare(
        `INSERT INTO sequences (id, site_id, email, aid, abandoned_at, started_at, value, currency, reason, status, holdout, recovered_order_id, recovered_value, recovered_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'EUR', ?, 'completed', ?, ?, ?, ?)`,
      ).bind(
        id,
        site.id,
        email,
        `aid-${id}`,
        abandoned,
        abandoned + 30 * 60_000,
        value,
        reason,
        holdout,
        order,
        recovered,
        after === null ? null : abandoned + after * HOUR,
      ),
    ),
    env.DB.prepare(
      "INSERT INTO sequences (id, site_id, email, aid, abandoned_at, started_at, value, currency, reason, status) VALUES ('x1', ?, 'x@example.com', 'x', ?, ?, 5000, 'EUR', 'card_declined', 'active')",
    ).bind(other.id, day("2026-11-02"), day("2026-11-02")),
    ...MESSAGES.map(([sequence, step, sent, clicked, channel = "email"]) =>
      env.DB.prepare(
        "INSERT INTO messages (id, sequence_id, site_id, email, step, kind, status, due_at, queued_at, sent_at, clicked_at, abandoned_at, channel) VALUES (?, ?, ?, 'e', ?, 'recovery', ?, 0, 0, ?, ?, ?, ?)",
      ).bind(
        `${sequence}-${step}`,
        sequence,
        site.id,
        step,
        sent === null ? "cancelled" : "sent",
        sent === null ? null : (at[sequence] as number) + sent * 60_000,
        clicked === null ? null : (at[sequence] as number) + clicked * 60_000,
        at[sequence] as number,
        channel,
      ),
    ),
    // Funnel: 5 shoppers with a cart, 3 started checkout, 3 saw "details", 2 "payment", 1 bought.
    ...[
      ["a1", "cart"],
      ["a2", "cart"],
      ["a3", "cart"],
      ["a4", "cart"],
      ["a5", "cart"],
      ["a1", "checkout"],
      ["a2", "checkout"],
      ["a3", "checkout"],
      ["a1", "moment", "details"],
      ["a2", "moment", "details"],
      ["a3", "moment", "details"],
      ["a1", "moment", "payment"],
      ["a2", "moment", "payment"],
      ["a2", "moment", "payment"], // twice, one shopper
      ["a1", "purchase"],
      ["a6", "cart", undefined, day("2026-10-20")], // out of range
    ].map(([aid, type, step, when], i) =>
      env.DB.prepare("INSERT INTO events (site_id, id, aid, type, at, client_at, received_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").bind(
        site.id,
        `ev${i}`,
        aid,
        type,
        (when as number | undefined) ?? day("2026-11-02"),
        0,
        0,
        JSON.stringify(step ? { type, kind: "step", code: step } : { type }),
      ),
    ),
    // The orders row ingest writes with a1's purchase event, in the same batch.
    env.DB.prepare(
      "INSERT INTO orders (site_id, order_id, aid, total, currency, at, source) VALUES (?, 'o-a1', 'a1', 1000, 'EUR', ?, 'script')",
    ).bind(site.id, day("2026-11-02")),
  ]);
  // The rows above were written without the collector's write paths: their rollups are computed from them.
  for (const s of [site, other]) await rebuildRollups(env.DB, s.id);
});

const get = (path: string, secret: string | null = `sk_${site.key}`) =>
  exports.default.fetch(`https://collector.test${path}`, { headers: secret ? { authorization: `Bearer ${secret}` } : {} });

describe("GET /v1/stats", () => {
  it("computes every figure from the stored facts, equal to the hand-computed values", async () => {
    const res = await get(`/v1/stats?site=${site.key}&from=2026-11-01&to=2026-11-03`);
    expect(res.status).toBe(200);
    const stats = (await res.json()) as Stats;
    expect(stats.currency).toBe("EUR");
    expect(stats.abandoned).toEqual({ carts: 10, value: 17_000 });
    expect(stats.treated).toEqual({ carts: 7, recovered: 3, rate: 3 / 7, revenue: 5000 });
    expect(stats.holdout).toEqual({ carts: 3, recovered: 1, rate: 1 / 3 });
    // Lift: 3/7 − 1/3 = 9.52 points; 95% interval from the normal approximation, worked out by hand.
    expect(stats.lift?.points).toBeCloseTo(9.5238, 3);
    expect(stats.lift?.ci95[0]).toBeCloseTo(-55.2035, 3);
    expect(stats.lift?.ci95[1]).toBeCloseTo(74.2512, 3);
    expect(stats.lift?.incrementalRecoveries).toBeCloseTo(0.6667, 3);
    expect(stats.medianTimeToRecoverMs).toBe(2 * HOUR); // 1 h, 2 h, 26 h
    expect(stats.reasons).toEqual([
      { reason: "card_declined", carts: 3, value: 5000, recovered: 1, rate: 0.5 },
      { reason: "extra_costs", carts: 3, value: 8200, recovered: 1, rate: 0.5 },
      { reason: "hesitation", carts: 3, value: 3000, recovered: 1, rate: 0.5 },
      { reason: "question", carts: 1, value: 800, recovered: 0, rate: 0 },
    ]);
    expect(stats.daily).toEqual([
      { day: "2026-11-01", abandoned: 4, value: 10_000, recovered: 2, revenue: 3500 },
      { day: "2026-11-02", abandoned: 4, value: 5000, recovered: 1, revenue: 1500 },
      { day: "2026-11-03", abandoned: 2, value: 2000, recovered: 0, revenue: 0 },
    ]);
    // A recovery counts for the last message sent before the order: s1 and s6 → step 0, s3 → step 1.
    expect(stats.messages).toEqual([
      { step: 0, sent: 6, clicked: 1, converted: 2, revenue: 2500 },
      { step: 1, sent: 2, clicked: 1, converted: 1, revenue: 2500 },
    ]);
    // By channel: both step-1 messages went as texts, and s3's recovery is the text's.
    expect(stats.channels).toEqual([
      { channel: "email", sent: 6, clicked: 1, converted: 2, revenue: 2500 },
      { channel: "sms", sent: 2, clicked: 1, converted: 1, revenue: 2500 },
    ]);
    expect(stats.funnel).toEqual([
      { stage: "cart", shoppers: 5 },
      { stage: "checkout", shoppers: 3 },
      { stage: "step:details", shoppers: 3 },
      { stage: "step:payment", shoppers: 2 },
      { stage: "purchase", shoppers: 1 },
    ]);
  });

  it("gives no lift without a holdout group, rather than a made-up one", async () => {
    const stats = (await (await get(`/v1/stats?site=${site.key}&from=2026-11-03&to=2026-11-03`)).json()) as Stats;
    expect(stats.holdout.carts).toBe(0);
    expect(stats.lift).toBeNull();
  });

  it("shows one site's figures only to that site's secret", async () => {
    expect((await get(`/v1/stats?site=${site.key}`, null)).status).toBe(401);
    expect((await get(`/v1/stats?site=${site.key}`, `sk_${other.key}`)).status).toBe(403);
    const theirs = (await (await get(`/v1/stats?site=${other.key}&from=2026-11-01&to=2026-11-03`, `sk_${other.key}`)).json()) as Stats;
    expect(theirs.abandoned).toEqual({ carts: 1, value: 5000 });
  });

  it.each([
    ["from=2026-13-01&to=2026-11-03", "invalid_range"],
    ["from=2026-02-30&to=2026-03-03", "invalid_range"],
    ["from=yesterday", "invalid_range"],
    ["from=2026-11-05&to=2026-11-01", "invalid_range"],
    ["from=2024-01-01&to=2026-11-01", "invalid_range"],
  ])("refuses bad dates (%s) with a clear 400", async (query, code) => {
    const res = await get(`/v1/stats?site=${site.key}&${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe(code);
  });
});

describe("GET /v1/stats/orders", () => {
  it("lists interrupted orders newest first, searchable", async () => {
    const res = await get(`/v1/stats/orders?site=${site.key}&from=2026-11-01&to=2026-11-03`);
    const { orders } = (await res.json()) as { orders: { sequenceId: string; status: string; messagesSent: number }[] };
    expect(orders.map((o) => o.sequenceId)).toEqual(["s10", "s9", "s8", "s7", "s6", "s5", "s4", "s3", "s2", "s1"]);
    const found = (await (await get(`/v1/stats/orders?site=${site.key}&from=2026-11-01&to=2026-11-03&q=S6@`)).json()) as {
      orders: { sequenceId: string; status: string; messagesSent: number }[];
    };
    expect(found.orders).toEqual([expect.objectContaining({ sequenceId: "s6", status: "recovered", messagesSent: 1 })]);
    const holdout = (await (await get(`/v1/stats/orders?site=${site.key}&from=2026-11-01&to=2026-11-03&q=s7`)).json()) as {
      orders: { status: string }[];
    };
    expect(holdout.orders[0]?.status).toBe("holdout");
    const wildcard = (await (await get(`/v1/stats/orders?site=${site.key}&from=2026-11-01&to=2026-11-03&q=%25`)).json()) as {
      orders: unknown[];
    };
    expect(wildcard.orders).toEqual([]); // % is searched for, not a wildcard
  });

  it("exports CSV that a spreadsheet cannot run as a formula", async () => {
    const res = await get(`/v1/stats/orders?site=${site.key}&from=2026-11-01&to=2026-11-01&format=csv`);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const lines = (await res.text()).trim().split("\r\n");
    expect(lines[0]).toBe("abandoned_at,email,value,currency,reason,status,messages_sent,recovered_order_id,recovered_value");
    expect(lines).toHaveLength(5);
    expect(lines).toContain("2026-11-01T11:00:00.000Z,'+sum@example.com,20.00,EUR,card_declined,completed,2,,");
  });

  it("refuses bad list parameters", async () => {
    for (const query of ["limit=0", "limit=9999", "offset=-1", "format=xml"]) {
      const res = await get(`/v1/stats/orders?site=${site.key}&${query}`);
      expect(res.status, query).toBe(400);
    }
  });
});

describe("figures from a real sequence", () => {
  it("counts a message sent by the mail consumer against the day its cart was abandoned", async () => {
    const shop = await seedSite(env.DB, [ORIGIN], { abandonAfterMinutes: 1, holdoutPercent: 0 });
    const email = "real.sequence@example.com";
    await abandon(shop.key, email);
    const [message] = await eventually(async () => {
      const { results } = await env.DB.prepare("SELECT id FROM messages WHERE email = ?").bind(email).all<{ id: string }>();
      expect(results).toHaveLength(1);
      return results;
    }, 15_000);
    await deliver([{ kind: "recovery", id: message?.id as string, site: shop.id, email }]);
    // Yesterday too: a run just after midnight (UTC) abandons the cart the day before.
    const day = (offset: number) => new Date(Date.now() + offset).toISOString().slice(0, 10);
    const stats = await computeStats(env.DB, shop.id, { from: day(-86_400_000), to: day(0) });
    expect(stats.abandoned.carts).toBe(1);
    expect(stats.messages).toEqual([{ step: 0, sent: 1, clicked: 0, converted: 0, revenue: 0 }]);
  });
});

describe("the checkout funnel", () => {
  it("shows the steps in checkout order and counts the orders the shop's server reported", async () => {
    const shop = await seedSite(env.DB, [ORIGIN]);
    const t = day("2026-11-05");
    const minute = 60_000;
    // Most shoppers go shipping → payment → review; b3 was signed in with a saved address and
    // skipped shipping, so payment has the most shoppers and neither the counts nor the
    // alphabet give the order.
    const events: [string, string, string | undefined, number][] = [
      ...["b1", "b2", "b3", "b4"].flatMap((aid): [string, string, string | undefined, number][] => [
        [aid, "cart", undefined, t],
        [aid, "checkout", undefined, t + minute],
      ]),
      ["b1", "moment", "shipping", t + 2 * minute],
      ["b1", "moment", "payment", t + 3 * minute],
      ["b1", "moment", "review", t + 4 * minute],
      ["b1", "purchase", undefined, t + 5 * minute],
      ["b2", "moment", "shipping", t + 2 * minute],
      ["b2", "moment", "payment", t + 9 * minute],
      ["b2", "moment", "shipping", t + 10 * minute], // back to change the address
      ["b3", "moment", "payment", t + 2 * minute],
      ["b3", "moment", "review", t + 3 * minute],
      ["b4", "moment", "shipping", t + 2 * minute],
      ["b4", "moment", "payment", t + 3 * minute],
      ["b4", "moment", "review", t + 4 * minute],
    ];
    // [order, aid, source, paid at]: b1's order came from the script and again from the server (one
    // row); b4 paid by bank transfer, reported by the server only; two more server orders carry no
    // browser id (a shopper whose aid the shop never had, or one erased since); one is out of range.
    const orders: [string, string | null, string, number][] = [
      ["o-b1", "b1", "script", t + 5 * minute],
      ["o-b4", "b4", "server", t + 60 * minute],
      ["o-phone-1", null, "server", t + 2 * HOUR],
      ["o-phone-2", null, "server", t + 3 * HOUR],
      ["o-old", null, "server", day("2026-10-01")],
    ];
    await env.DB.batch([
      ...events.map(([aid, type, step, at], i) =>
        env.DB.prepare(
          "INSERT INTO events (site_id, id, aid, type, at, client_at, received_at, data) VALUES (?, ?, ?, ?, ?, 0, 0, ?)",
        ).bind(shop.id, `fe${i}`, aid, type, at, JSON.stringify(step ? { type, kind: "step", code: step } : { type })),
      ),
      ...orders.map(([order, aid, source, at]) =>
        env.DB.prepare(
          "INSERT OR IGNORE INTO orders (site_id, order_id, aid, total, currency, at, source) VALUES (?, ?, ?, 1000, 'EUR', ?, ?)",
        ).bind(shop.id, order, aid, at, source),
      ),
      env.DB.prepare(
        "INSERT OR IGNORE INTO orders (site_id, order_id, aid, total, currency, at, source) VALUES (?, 'o-b1', NULL, 1000, 'EUR', ?, 'server')",
      ).bind(shop.id, t + 6 * minute),
    ]);
    await rebuildRollups(env.DB, shop.id);
    const stats = await computeStats(env.DB, shop.id, { from: "2026-11-05", to: "2026-11-05" });
    expect(stats.funnel).toEqual([
      { stage: "cart", shoppers: 4 },
      { stage: "checkout", shoppers: 4 },
      { stage: "step:shipping", shoppers: 3 },
      { stage: "step:payment", shoppers: 4 },
      { stage: "step:review", shoppers: 3 },
      { stage: "purchase", shoppers: 4 }, // b1, b4 and the two phone orders
    ]);
  });

  it("orders folded steps by their folded positions, and puts steps folded before positions were last", async () => {
    const shop = await seedSite(env.DB, [ORIGIN]);
    const d = Date.parse("2026-09-10T00:00:00Z") / 86_400_000;
    const rows: [string, number][] = [
      ["cart", 9],
      ["checkout", 6],
      ["step:legacy", 5], // folded before positions were: nothing says where it goes
      ["step:payment", 2],
      ["rank:payment", 4],
      ["ranked:payment", 2],
      ["step:shipping", 3],
      ["rank:shipping", 3],
      ["ranked:shipping", 3],
      ["purchase", 7], // folded before purchases were counted from `orders`: those rows hold them
    ];
    await env.DB.batch([
      ...rows.map(([stage, n]) =>
        env.DB.prepare("INSERT INTO funnel_daily (site_id, day, stage, shoppers) VALUES (?, ?, ?, ?)").bind(shop.id, d, stage, n),
      ),
      env.DB.prepare(
        "INSERT INTO orders (site_id, order_id, aid, total, currency, at, source) VALUES (?, 'o-1', 'gone', 100, 'EUR', ?, 'script')",
      ).bind(shop.id, d * 86_400_000 + HOUR),
    ]);
    await rebuildRollups(env.DB, shop.id);
    const stats = await computeStats(env.DB, shop.id, { from: "2026-09-10", to: "2026-09-10" });
    expect(stats.funnel).toEqual([
      { stage: "cart", shoppers: 9 },
      { stage: "checkout", shoppers: 6 },
      { stage: "step:shipping", shoppers: 3 },
      { stage: "step:payment", shoppers: 2 },
      { stage: "step:legacy", shoppers: 5 },
      { stage: "purchase", shoppers: 1 },
    ]);
  });
});
