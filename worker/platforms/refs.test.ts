// Where a browser's platform tokens live (platform_refs): stored by ingest without `?key=`, and
// covered by export, erase and retention like the rest of a shopper's rows; receipts forgotten.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { CartbackEvent } from "../../protocol/types";
import worker from "../index";
import { batchOf, cartEvent, count, eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";
import { deliverHook, SHOPIFY_ORDER, setPlatformSecret, shopifyHeaders, shopifyTime, withFields } from "../test/platforms";
import { abandon, deliver, messagesOf } from "../test/recovery";

const DAY = 86_400_000;
const SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const ref = (at: number, token: string): CartbackEvent => ({ id: randomId(), at, type: "ref", platform: "shopify", ref: token });
const refsOf = (site: number) =>
  env.DB.prepare("SELECT ref, aid, at FROM platform_refs WHERE site_id = ? ORDER BY aid, ref")
    .bind(site)
    .all<{ ref: string; aid: string; at: number }>()
    .then((r) => r.results);

it("stores each token once per browser, without its ?key=, and keeps its latest report", async () => {
  const site = await seedSite(env.DB);
  const now = Date.now() - 60_000;
  const a = batchOf([cartEvent(now, [{ id: "x", price: 100, quantity: 1 }]), ref(now + 1, "tok-1?key=aa"), ref(now + 2, "tok-1?key=bb")]);
  const b = batchOf([ref(now + 3, "tok-1"), ref(now + 4, "chk-9")]);
  for (const batch of [a, b, a]) expect((await postEvents(site.key, batch)).status).toBe(202);
  await eventually(async () => expect(await refsOf(site.id)).toHaveLength(3));
  // Times are the events' own, on the collector's clock (corrected for the browser's skew).
  const refTimes = (aid: string) =>
    env.DB.prepare("SELECT at FROM events WHERE site_id = ? AND aid = ? AND type = 'ref' ORDER BY at")
      .bind(site.id, aid)
      .all<{ at: number }>()
      .then((r) => r.results.map((e) => e.at));
  const [, aLatest] = await refTimes(a.aid);
  const [bTok, bChk] = await refTimes(b.aid);
  const byAid = (aid: string) => refsOf(site.id).then((rows) => rows.filter((r) => r.aid === aid).map(({ ref, at }) => ({ ref, at })));
  expect(await byAid(a.aid)).toEqual([{ ref: "tok-1", at: aLatest }]);
  expect(await byAid(b.aid)).toEqual([
    { ref: "chk-9", at: bChk },
    { ref: "tok-1", at: bTok },
  ]);
  // The event itself is kept as sent, like every event.
  expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE site_id = ? AND type = 'ref'", site.id)).toBe(4);
});

it("goes with the shopper's export and erase", async () => {
  const site = await seedSite(env.DB, [ORIGIN], { holdoutPercent: 0 });
  const email = "refs.erased@example.com";
  const aid = randomId();
  const at = Date.now() - 60_000;
  const res = await postEvents(
    site.key,
    batchOf([ref(at, "shopify-cart-1"), { id: randomId(), at: at + 1, type: "identify", email }], aid),
  );
  expect(res.status).toBe(202);
  const call = (method: string) =>
    exports.default.fetch(`https://collector.test/v1/sites/${site.key}/shoppers?email=${email}`, {
      method,
      headers: { authorization: `Bearer sk_${site.key}` },
    });
  const exported = (await (await call("GET")).json()) as { platformRefs: unknown[] };
  const refAt = await env.DB.prepare("SELECT at FROM events WHERE aid = ? AND type = 'ref'").bind(aid).first<number>("at");
  expect(exported.platformRefs).toEqual([{ platform: "shopify", ref: "shopify-cart-1", aid, at: refAt }]);
  const erased = (await (await call("DELETE")).json()) as { erased: Record<string, number> };
  expect(erased.erased.platformRefs).toBe(1);
  expect(await refsOf(site.id)).toEqual([]);
});

it("is purged with the browser's events, and receipts are forgotten 30 days after they came", async () => {
  const site = await seedSite(env.DB, [ORIGIN], { holdoutPercent: 0 });
  await setPlatformSecret(site.key, SECRET);
  const now = Date.now();
  const old = batchOf([cartEvent(now - 9 * DAY, [{ id: "x", price: 100, quantity: 1 }]), ref(now - 9 * DAY + 1, "old-cart")]);
  const fresh = batchOf([cartEvent(now - DAY, [{ id: "y", price: 100, quantity: 1 }]), ref(now - DAY + 1, "fresh-cart")]);
  for (const batch of [old, fresh]) expect((await postEvents(site.key, batch)).status).toBe(202);
  await eventually(async () => expect(await refsOf(site.id)).toHaveLength(2));
  const body = withFields(SHOPIFY_ORDER, {
    financial_status: "paid",
    processed_at: shopifyTime(now),
    checkout_token: "checkout-named-by-the-order",
    test: false,
  });
  const orderRefs = () => count(env.DB, "SELECT count(*) AS n FROM platform_order_refs WHERE site_id = ?", site.id);
  expect(
    (await deliverHook("shopify", site.key, body, { headers: shopifyHeaders("orders/paid", randomId()), secret: SECRET })).status,
  ).toBe(200);

  const run = async (at: number) => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "17 3 * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
  };
  await run(now);
  expect((await refsOf(site.id)).map((r) => r.ref)).toEqual(["fresh-cart"]);
  expect(await count(env.DB, "SELECT count(*) AS n FROM platform_receipts WHERE site_id = ?", site.id)).toBe(1);
  expect(await orderRefs()).toBe(1);
  await run(now + 31 * DAY);
  expect(await orderRefs()).toBe(0);
  expect(await refsOf(site.id)).toEqual([]);
  expect(await count(env.DB, "SELECT count(*) AS n FROM platform_receipts WHERE site_id = ?", site.id)).toBe(0);
  // The order itself is the shop's: kept.
  expect(await count(env.DB, "SELECT count(*) AS n FROM orders WHERE site_id = ?", site.id)).toBe(1);
});

it("an order that reaches two persons (the order's address and the browser's) stops both and is credited once", async () => {
  const site = await seedSite(env.DB, [ORIGIN], { abandonAfterMinutes: 1, holdoutPercent: 0 });
  await setPlatformSecret(site.key, SECRET);
  const [typed, ordered] = ["typed.on.store@example.com", "jon@example.com"];
  const token = randomId();
  // The storefront browser reported the Shopify cart token and was identified with another address.
  await abandon(site.key, typed, { extra: [ref(Date.now() - 9 * 60_000, token)] });
  await abandon(site.key, ordered);
  // Both got their first message, so the order falls in both attribution windows.
  for (const email of [typed, ordered]) {
    const rows = await eventually(async () => {
      const { results } = await messagesOf(email);
      expect(results).toHaveLength(1);
      return results;
    }, 15_000);
    await deliver(rows.map((m) => ({ kind: "recovery" as const, id: m.id, site: site.id, email })));
    expect((await messagesOf(email)).results[0]?.status).toBe("sent");
  }
  const body = withFields(SHOPIFY_ORDER, {
    financial_status: "paid",
    processed_at: shopifyTime(Date.now() + 1000),
    cart_token: token,
    test: false,
  });
  await new Promise((r) => setTimeout(r, 1100)); // the order after both sends
  const res = await deliverHook("shopify", site.key, body, { headers: shopifyHeaders("orders/paid", randomId()), secret: SECRET });
  expect(await res.json()).toMatchObject({ outcome: "paid", followedUp: true });
  const sequences = await env.DB.prepare(
    "SELECT email, status, stop_reason, recovered_order_id FROM sequences WHERE site_id = ? ORDER BY email",
  )
    .bind(site.id)
    .all<{ email: string; status: string; stop_reason: string | null; recovered_order_id: string | null }>();
  expect(sequences.results.map((s) => s.stop_reason)).toEqual(["purchased", "purchased"]);
  expect(sequences.results.filter((s) => s.recovered_order_id === "820982911946154508")).toHaveLength(1);
});

it("a browser that reports the order's token only after the webhook becomes the order's browser, and its person learns of it", async () => {
  const site = await seedSite(env.DB, [ORIGIN], { abandonAfterMinutes: 1, holdoutPercent: 0 });
  await setPlatformSecret(site.key, SECRET);
  const email = "late.token@example.com";
  const token = randomId();
  // A phone-only Shopify order: no address, only the token.
  const body = withFields(SHOPIFY_ORDER, {
    financial_status: "paid",
    processed_at: shopifyTime(Date.now()),
    test: false,
    email: null,
    contact_email: null,
    cart_token: token,
  }).replace(/"customer":\{[^}]*\}/, '"customer":null');
  const res = await deliverHook("shopify", site.key, body, { headers: shopifyHeaders("orders/paid", randomId()), secret: SECRET });
  expect(await res.json()).toMatchObject({ outcome: "paid", followedUp: false });
  const aid = await abandon(site.key, email, { minutesAgo: 10, extra: [ref(Date.now() - 9 * 60_000, `${token}?key=1a2b`)] });
  await eventually(async () =>
    expect(await env.DB.prepare("SELECT aid FROM orders WHERE site_id = ?").bind(site.id).first("aid")).toBe(aid),
  );
  // Its cart was changed before the order: closed, so no sequence starts and nothing is sent.
  await new Promise((r) => setTimeout(r, 1500));
  expect((await messagesOf(email)).results).toEqual([]);
  expect(await count(env.DB, "SELECT count(*) AS n FROM sequences WHERE site_id = ?", site.id)).toBe(0);
});
