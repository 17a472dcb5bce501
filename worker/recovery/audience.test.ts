// Who recovery writes to, end to end (issue 22, points 6-8): a shop's page sends a cart and an
// email, the person's object decides at its alarm, the mail consumer delivers. An excluded cart, a
// non-customer under `customers_only` and a merchant-suppressed address get nothing, and the first
// two are counted as excluded in /v1/stats, never as abandoned. Each has a control that does get
// its message, so "nothing" is not a path that never ran.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CartbackEvent } from "../../protocol/types";
import type { Stats } from "../stats/figures";
import { eventually, ORIGIN, randomId, seedSite } from "../test/helpers";
import { abandon, deliver, messagesOf } from "../test/recovery";
import type { PersonState } from "./person";
import { shopperStub } from "./shopper";

const settings = { abandonAfterMinutes: 1, shopName: "Tea & Kettle", holdoutPercent: 0 };
const cup = [{ id: "cup", name: "Cup", price: 900, quantity: 1 }];

const api = (key: string, path: string, init: { method?: string; body?: unknown } = {}) =>
  exports.default.fetch(`https://collector.test${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer sk_${key}`, "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

const sequenceOf = (email: string) =>
  eventually(async () => {
    const row = await env.DB.prepare("SELECT status, stop_reason FROM sequences WHERE email = ?")
      .bind(email)
      .first<{ status: string; stop_reason: string | null }>();
    expect(row).not.toBeNull();
    return row as { status: string; stop_reason: string | null };
  }, 15_000);

const claimed = (email: string) =>
  eventually(async () => {
    const { results } = await messagesOf(email);
    expect(results.length).toBeGreaterThan(0);
    return results;
  }, 15_000);

const statsOf = async (key: string): Promise<Stats> => {
  const today = new Date().toISOString().slice(0, 10);
  return (await (await api(key, `/v1/stats?site=${key}&from=${today}&to=${today}`)).json()) as Stats;
};

const identify = (more: Record<string, unknown>): CartbackEvent =>
  ({ id: randomId(), at: Date.now() - 9 * 60_000, type: "identify", ...more }) as CartbackEvent;

describe("exclusion rules", () => {
  it("a cart with an excluded product gets nothing and counts as excluded; another cart gets its message", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { ...settings, exclusions: { productIds: ["tea"] } });
    await abandon(site.key, "tea.lover@example.com");
    await abandon(site.key, "cup.lover@example.com", { lines: cup });
    expect(await sequenceOf("tea.lover@example.com")).toEqual({ status: "excluded", stop_reason: "product" });
    await claimed("cup.lover@example.com");
    expect((await messagesOf("tea.lover@example.com")).results).toEqual([]);
    const stats = await statsOf(site.key);
    expect(stats.abandoned).toEqual({ carts: 1, value: 900 });
    expect(stats.excluded).toEqual({ carts: 1, value: 2500, reasons: [{ why: "product", carts: 1, value: 2500 }] });
    // The interrupted orders list says why.
    const orders = (await (await api(site.key, `/v1/stats/orders?site=${site.key}`)).json()) as {
      orders: { email: string; status: string }[];
    };
    expect(orders.orders.find((o) => o.email === "tea.lover@example.com")?.status).toBe("excluded: product");
  });

  it("the shop marks a shopper at identify, or on its list: nothing for them", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    await abandon(site.key, "staff@example.com", { extra: [identify({ exclude: true })] });
    expect(
      (await api(site.key, `/v1/sites/${site.key}/excluded-shoppers`, { method: "POST", body: { emails: ["listed@example.com"] } })).status,
    ).toBe(201);
    await abandon(site.key, "listed@example.com");
    expect(await sequenceOf("staff@example.com")).toEqual({ status: "excluded", stop_reason: "shopper" });
    expect(await sequenceOf("listed@example.com")).toEqual({ status: "excluded", stop_reason: "shopper" });
    expect((await messagesOf("staff@example.com")).results).toEqual([]);
    expect((await messagesOf("listed@example.com")).results).toEqual([]);
    expect((await statsOf(site.key)).excluded.reasons).toEqual([{ why: "shopper", carts: 2, value: 5000 }]);
  });
});

describe("customers only", () => {
  it("writes to a customer (an order on record, or the shop's word) and not to anyone else, who counts as not eligible", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { ...settings, audience: "customers_only" });
    // Bought a month ago, reported by the shop's server.
    const paidAt = Date.now() - 30 * 24 * 3_600_000;
    const order = { orderId: "old-1", email: "regular@example.com", total: 4200, currency: "EUR", paidAt };
    expect((await api(site.key, `/v1/sites/${site.key}/orders`, { method: "POST", body: order })).status).toBe(201);
    await abandon(site.key, "regular@example.com");
    // The shop's yes stays: a later identify saying no does not undo having bought.
    const no = { ...identify({ customer: false }), at: Date.now() - 8 * 60_000 } as CartbackEvent;
    await abandon(site.key, "told@example.com", { extra: [identify({ customer: true }), no] });
    await abandon(site.key, "stranger@example.com");
    await claimed("regular@example.com");
    await claimed("told@example.com");
    expect(await sequenceOf("stranger@example.com")).toEqual({ status: "excluded", stop_reason: "not_customer" });
    expect((await messagesOf("stranger@example.com")).results).toEqual([]);
    const stats = await statsOf(site.key);
    expect(stats.excluded.reasons).toEqual([{ why: "not_customer", carts: 1, value: 2500 }]);
    expect(stats.abandoned.carts).toBe(2);
  });
});

describe("merchant suppressions", () => {
  it("a suppressed address gets nothing: no sequence starts, and one claimed before is cancelled at the last check", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const post = await api(site.key, `/v1/sites/${site.key}/suppressions`, { method: "POST", body: { emails: ["Quiet@Example.com"] } });
    expect(post.status).toBe(201);
    await abandon(site.key, "quiet@example.com");
    // Claimed before the merchant's suppression: the consumer asks the person, who says no.
    await abandon(site.key, "late@example.com");
    const [message] = await claimed("late@example.com");
    await api(site.key, `/v1/sites/${site.key}/suppressions`, { method: "POST", body: { emails: ["late@example.com"] } });
    await deliver([{ kind: "recovery", id: message?.id as string, site: site.id, email: "late@example.com" }]);
    expect((await messagesOf("late@example.com")).results).toMatchObject([{ status: "cancelled" }]);
    // The suppressed person's alarm ran and refused the intent, for good.
    const state = await eventually(async () => {
      const person = await runInDurableObject(shopperStub(env, site.id, "quiet@example.com"), (_o, s) =>
        s.storage.get<PersonState>("person"),
      );
      expect(person?.sequences.length).toBe(1);
      return person as PersonState;
    }, 15_000);
    expect(state.sequences[0]?.status).toBe("stopped");
    expect((await messagesOf("quiet@example.com")).results).toEqual([]);
    const sent = await env.DB.prepare(
      `SELECT count(*) AS n FROM dev_outbox WHERE "to" IN ('quiet@example.com', 'late@example.com')`,
    ).first<number>("n");
    expect(sent).toBe(0);
  });
});
