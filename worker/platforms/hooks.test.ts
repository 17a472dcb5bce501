import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../protocol/types";
import { shopperStub } from "../recovery/shopper";
import { count, eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";
import {
  deliverHook,
  SHOPIFY_ORDER,
  setPlatformSecret,
  shopifyHeaders,
  shopifyTime,
  WOO_ORDER,
  withFields,
  wooHeaders,
  wooTime,
} from "../test/platforms";
import { abandon, deliver, messagesOf } from "../test/recovery";
import { bodySignature } from "./signed";

const SECRET = "shpss_0123456789abcdef0123456789abcdef";
const settings = { abandonAfterMinutes: 1, holdoutPercent: 0 };

async function siteWithSecret(extra = {}) {
  const site = await seedSite(env.DB, [ORIGIN], { ...settings, ...extra });
  await setPlatformSecret(site.key, SECRET);
  return site;
}

/** Everything a webhook could have stored for a site. */
const storedFor = async (site: number) => ({
  orders: await count(env.DB, "SELECT count(*) AS n FROM orders WHERE site_id = ?", site),
  receipts: await count(env.DB, "SELECT count(*) AS n FROM platform_receipts WHERE site_id = ?", site),
  moments: await count(env.DB, "SELECT count(*) AS n FROM events WHERE site_id = ? AND type = 'moment'", site),
});

const errorOf = async (res: Response) => ((await res.json()) as ErrorBody).error;

/** Shopify's sample order, paid now by `email`, with the given tokens (a real order: the sample is a test one). */
const paidShopifyOrder = (fields: Record<string, unknown> = {}) =>
  withFields(SHOPIFY_ORDER, {
    financial_status: "paid",
    processed_at: shopifyTime(Date.now()),
    cancelled_at: null,
    test: false,
    ...fields,
  });

describe("Shopify: signatures, before anything is read", () => {
  it("refuses a forged signature, a body re-signed with another secret, a missing header and a tampered body, storing nothing", async () => {
    const site = await siteWithSecret();
    const body = paidShopifyOrder();
    const headers = shopifyHeaders("orders/paid", randomId());
    const cases: [string, Promise<Response>, string][] = [
      ["forged", deliverHook("shopify", site.key, body, { headers, signature: btoa("x".repeat(32)) }), "invalid_signature"],
      [
        "another secret",
        deliverHook("shopify", site.key, body, { headers, secret: "shpss_not_the_site_secret_at_all" }),
        "invalid_signature",
      ],
      ["no header", deliverHook("shopify", site.key, body, { headers, signature: null }), "missing_signature"],
      ["empty header", deliverHook("shopify", site.key, body, { headers, signature: "" }), "invalid_signature"],
      [
        "tampered",
        // Signed as sent, then one byte changed on the way: the total.
        bodySignature(SECRET, new TextEncoder().encode(body)).then((signature) =>
          deliverHook("shopify", site.key, body.replace('"404.95"', '"0.01"'), { headers, signature }),
        ),
        "invalid_signature",
      ],
    ];
    for (const [what, response, code] of cases) {
      const res = await response;
      expect(res.status, what).toBe(401);
      expect(res.headers.get("content-type"), what).toMatch(/json/);
      expect((await errorOf(res)).code, what).toBe(code);
    }
    expect(await storedFor(site.id)).toEqual({ orders: 0, receipts: 0, moments: 0 });
  });

  it("refuses every webhook for a site with no platform secret, and for an unknown site", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const res = await deliverHook("shopify", site.key, paidShopifyOrder(), {
      headers: shopifyHeaders("orders/paid", randomId()),
      secret: SECRET,
    });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("no_platform_secret");
    const unknown = await deliverHook("shopify", "pk_nobody_here", "{}", { secret: SECRET, headers: shopifyHeaders("orders/paid", "w") });
    expect(unknown.status).toBe(401);
    expect((await deliverHook("shopify", "not a key", "{}", { secret: SECRET })).status).toBe(400);
    expect(await storedFor(site.id)).toEqual({ orders: 0, receipts: 0, moments: 0 });
  });

  it("after rotating, the old secret no longer opens the site", async () => {
    const site = await siteWithSecret();
    const rotated = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/platform-secret`, {
      method: "POST",
      headers: { authorization: `Bearer sk_${site.key}` },
    });
    expect(rotated.status).toBe(201);
    const { secret } = (await rotated.json()) as { secret: string };
    expect(secret).toMatch(/^pws_[\w-]{43}$/);
    const old = await deliverHook("shopify", site.key, paidShopifyOrder(), {
      headers: shopifyHeaders("orders/paid", randomId()),
      secret: SECRET,
    });
    expect(old.status).toBe(401);
    const fresh = await deliverHook("shopify", site.key, paidShopifyOrder(), {
      headers: shopifyHeaders("orders/paid", randomId()),
      secret,
    });
    expect(fresh.status).toBe(200);
  });
});

describe("Shopify: orders", () => {
  it("a paid order stops the person's sequence and is recorded once, in minor units, with its exact id", async () => {
    const site = await siteWithSecret();
    const email = "jon@example.com";
    await abandon(site.key, email);
    const [claimed] = await eventually(async () => {
      const { results } = await messagesOf(email);
      expect(results).toHaveLength(1);
      return results;
    }, 15_000);
    const webhookId = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043";
    const res = await deliverHook("shopify", site.key, paidShopifyOrder(), {
      headers: shopifyHeaders("orders/paid", webhookId),
      secret: SECRET,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ duplicate: false, outcome: "paid", orderId: "820982911946154508", followedUp: true });
    const order = await env.DB.prepare("SELECT order_id, total, currency, source FROM orders WHERE site_id = ?").bind(site.id).first();
    expect(order).toEqual({ order_id: "820982911946154508", total: 40495, currency: "USD", source: "server" });
    await deliver([{ kind: "recovery", id: claimed?.id as string, site: site.id, email }]);
    expect((await messagesOf(email)).results[0]).toMatchObject({ status: "cancelled", cancel_reason: "purchased" });

    // Shopify retries with the same X-Shopify-Webhook-Id: answered, nothing stored twice.
    const again = await deliverHook("shopify", site.key, paidShopifyOrder(), {
      headers: shopifyHeaders("orders/paid", webhookId),
      secret: SECRET,
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true, outcome: "paid" });
    // orders/create of the same paid order, after orders/paid: the order once.
    const create = await deliverHook("shopify", site.key, paidShopifyOrder(), {
      headers: shopifyHeaders("orders/create", randomId()),
      secret: SECRET,
    });
    expect(await create.json()).toMatchObject({ duplicate: false, outcome: "paid" });
    expect(await storedFor(site.id)).toEqual({ orders: 1, receipts: 2, moments: 0 });
    const state = await runInDurableObject(shopperStub(env, site.id, email), (_o, s) => s.storage.get<{ orders: unknown[] }>("person"));
    expect(state?.orders).toHaveLength(1);
  });

  it('a test order ("test": true, paid) is recorded as a test and never counts: no order row, the sequence goes on, no credit', async () => {
    const site = await siteWithSecret();
    const email = "test.order@example.com";
    await abandon(site.key, email);
    const [claimed] = await eventually(async () => {
      const { results } = await messagesOf(email);
      expect(results).toHaveLength(1);
      return results;
    }, 15_000);
    for (const topic of ["orders/paid", "orders/create"]) {
      const res = await deliverHook("shopify", site.key, paidShopifyOrder({ test: true, email }), {
        headers: shopifyHeaders(topic, randomId()),
        secret: SECRET,
      });
      expect(await res.json()).toEqual({ duplicate: false, outcome: "test", orderId: "820982911946154508", followedUp: false });
    }
    expect(await storedFor(site.id)).toEqual({ orders: 0, receipts: 2, moments: 0 });
    expect(await count(env.DB, "SELECT count(*) AS n FROM platform_receipts WHERE site_id = ? AND outcome = 'test'", site.id)).toBe(2);
    await deliver([{ kind: "recovery", id: claimed?.id as string, site: site.id, email }]);
    expect((await messagesOf(email)).results[0]).toMatchObject({ status: "sent" });
    const sequence = await env.DB.prepare("SELECT status, recovered_order_id FROM sequences WHERE site_id = ?").bind(site.id).first();
    expect(sequence).toEqual({ status: "active", recovered_order_id: null });
    const state = await runInDurableObject(shopperStub(env, site.id, email), (_o, s) => s.storage.get<{ orders: unknown[] }>("person"));
    expect(state?.orders).toEqual([]);
  });

  it("an order whose processed_at is older than the cart stops and credits the sequence when it is delivered now", async () => {
    const site = await siteWithSecret();
    const email = "late.order@example.com";
    // The cart: ten minutes ago; the order's own time: an hour ago (a payment taken long after the
    // order was placed, a backdated order): it is the delivery that says it is paid by now.
    await abandon(site.key, email, { minutesAgo: 10 });
    const [claimed] = await eventually(async () => {
      const { results } = await messagesOf(email);
      expect(results).toHaveLength(1);
      return results;
    }, 15_000);
    await deliver([{ kind: "recovery", id: claimed?.id as string, site: site.id, email }]);
    expect((await messagesOf(email)).results[0]).toMatchObject({ status: "sent" });
    const delivered = Date.now();
    const res = await deliverHook("shopify", site.key, paidShopifyOrder({ processed_at: shopifyTime(Date.now() - 60 * 60_000), email }), {
      headers: shopifyHeaders("orders/paid", randomId()),
      secret: SECRET,
    });
    expect(await res.json()).toMatchObject({ outcome: "paid", followedUp: true });
    await eventually(async () => {
      const sequence = await env.DB.prepare("SELECT status, stop_reason, recovered_order_id FROM sequences WHERE site_id = ?")
        .bind(site.id)
        .first();
      expect(sequence).toEqual({ status: "stopped", stop_reason: "purchased", recovered_order_id: "820982911946154508" });
    });
    // Dated by its delivery: a cart changed before it is a cart it ended.
    expect(await env.DB.prepare("SELECT at FROM orders WHERE site_id = ?").bind(site.id).first("at")).toBeGreaterThanOrEqual(delivered);
  });

  it("the same order delivered many times at once (retries racing, create and paid together) is stored and counted once", async () => {
    const site = await siteWithSecret();
    const email = "jon@example.com";
    await abandon(site.key, email);
    const body = paidShopifyOrder();
    const [paidId, createId] = [randomId(), randomId()];
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () =>
        deliverHook("shopify", site.key, body, { headers: shopifyHeaders("orders/paid", paidId), secret: SECRET }),
      ),
      ...Array.from({ length: 3 }, () =>
        deliverHook("shopify", site.key, body, { headers: shopifyHeaders("orders/create", createId), secret: SECRET }),
      ),
    ]);
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(await storedFor(site.id)).toEqual({ orders: 1, receipts: 2, moments: 0 });
    const state = await runInDurableObject(shopperStub(env, site.id, email), (_o, s) => s.storage.get<{ orders: unknown[] }>("person"));
    expect(state?.orders).toHaveLength(1);
  });

  it("the docs' sample (a voided orders/create) and any unpaid orders/create wait: a 200, nothing but the receipt", async () => {
    const site = await siteWithSecret();
    const sample = await deliverHook("shopify", site.key, SHOPIFY_ORDER, {
      headers: shopifyHeaders("orders/create", randomId()),
      secret: SECRET,
    });
    expect(sample.status).toBe(200);
    expect(await sample.json()).toMatchObject({ outcome: "waiting", orderId: "820982911946154508" });
    for (const status of ["pending", "authorized", "partially_paid"]) {
      const res = await deliverHook("shopify", site.key, withFields(SHOPIFY_ORDER, { financial_status: status }), {
        headers: shopifyHeaders("orders/create", randomId()),
        secret: SECRET,
      });
      expect(await res.json()).toMatchObject({ outcome: "waiting" });
    }
    expect(await storedFor(site.id)).toEqual({ orders: 0, receipts: 4, moments: 0 });
  });

  it("finds the person through the browser that reported the order's cart token (its ?key= part stripped on both sides)", async () => {
    const site = await siteWithSecret();
    const email = "typed.on.the.store@example.com";
    const aid = randomId();
    const at = Date.now() - 10 * 60_000;
    const token = "Z2NwLWV1cm9wZS13ZXN0MTowMUhaWjRLQzFKNlFUTUE5RjRaSEhQNVZHMw";
    const res = await postEvents(site.key, {
      aid,
      sentAt: Date.now(),
      events: [
        {
          id: randomId(),
          at,
          type: "cart",
          action: "set",
          cart: { currency: "USD", lines: [{ id: "808950810", name: "IPod Nano - 8GB", price: 19900, quantity: 2 }] },
        },
        { id: randomId(), at: at + 1, type: "ref", platform: "shopify", ref: `${token}?key=d8c4f6a1e3b2` },
        { id: randomId(), at: at + 2, type: "identify", email },
      ],
    });
    expect(res.status).toBe(202);
    const ref = await env.DB.prepare("SELECT platform, ref, aid FROM platform_refs WHERE site_id = ?").bind(site.id).first();
    expect(ref).toEqual({ platform: "shopify", ref: token, aid });
    await eventually(async () => expect((await messagesOf(email)).results).toHaveLength(1), 15_000);
    // The order has no address of its own (a phone-only checkout): only the token ties it to the browser.
    const body = paidShopifyOrder({
      email: null,
      contact_email: null,
      cart_token: `${token}?key=ffff`,
      checkout_token: "c1f6a0b8e9d24a7f",
    }).replace(/"customer":\{[^}]*\}/, '"customer":null');
    const paid = await deliverHook("shopify", site.key, body, { headers: shopifyHeaders("orders/paid", randomId()), secret: SECRET });
    expect(await paid.json()).toMatchObject({ outcome: "paid", followedUp: true });
    const [message] = (await messagesOf(email)).results;
    await deliver([{ kind: "recovery", id: message?.id as string, site: site.id, email }]);
    expect((await messagesOf(email)).results[0]).toMatchObject({ status: "cancelled", cancel_reason: "purchased" });
    expect(await env.DB.prepare("SELECT aid FROM orders WHERE site_id = ?").bind(site.id).first("aid")).toBe(aid);
  });

  it.each([
    ["JPY", "1500", 1500],
    ["JPY", "1500.00", 1500],
    ["EUR", "10.5", 1050],
    ["EUR", "0.29", 29],
    ["KWD", "1.235", 1235],
    ["KWD", "12.3456", 12346],
  ])("a %s total of %s lands as %i minor units", async (currency, total, minor) => {
    const site = await siteWithSecret();
    const res = await deliverHook("shopify", site.key, paidShopifyOrder({ currency, total_price: total }), {
      headers: shopifyHeaders("orders/paid", randomId()),
      secret: SECRET,
    });
    expect(res.status).toBe(200);
    expect(await env.DB.prepare("SELECT total, currency FROM orders WHERE site_id = ?").bind(site.id).first()).toEqual({
      total: minor,
      currency,
    });
  });

  it("after a valid signature, bad JSON, a bad field, an unknown topic or no webhook id is a 4xx naming it, never a 500, and stores nothing", async () => {
    const site = await siteWithSecret();
    const send = (body: string, topic = "orders/paid", id: string | null = randomId()) => {
      const headers: Record<string, string> = shopifyHeaders(topic, id ?? "");
      if (id === null) delete headers["x-shopify-webhook-id"];
      return deliverHook("shopify", site.key, body, { headers, secret: SECRET });
    };
    const cases: [string, Response, number, string, string?][] = [
      ["truncated JSON", await send(paidShopifyOrder().slice(0, -3)), 400, "invalid_json"],
      ["not JSON", await send("webhook"), 400, "invalid_json"],
      ["a number total", await send(paidShopifyOrder({ total_price: 404.95 })), 422, "invalid_order", "total_price"],
      ["a word total", await send(paidShopifyOrder({ total_price: "lots" })), 422, "invalid_order", "total_price"],
      ["a lower-case currency", await send(paidShopifyOrder({ currency: "usd" })), 422, "invalid_order", "currency"],
      [
        "a bad graphql id",
        await send(paidShopifyOrder({ admin_graphql_api_id: "gid://shopify/Product/1" })),
        422,
        "invalid_order",
        "admin_graphql_api_id",
      ],
      ["an id past 2^53 without its graphql id", await send(paidShopifyOrder({ admin_graphql_api_id: null })), 422, "invalid_order", "id"],
      ["an array", await send("[1,2]"), 422, "invalid_order"],
      ["another topic", await send(paidShopifyOrder(), "orders/updated"), 422, "unsupported_topic", "x-shopify-topic"],
      ["no topic", await send(paidShopifyOrder(), ""), 422, "unsupported_topic", "x-shopify-topic"],
      ["no webhook id", await send(paidShopifyOrder(), "orders/paid", null), 400, "missing_header", "x-shopify-webhook-id"],
    ];
    for (const [what, res, status, code, path] of cases) {
      expect(res.status, what).toBe(status);
      const error = await errorOf(res);
      expect(error.code, what).toBe(code);
      if (path)
        expect(
          error.issues?.map((i) => i.path),
          what,
        ).toContain(path);
    }
    expect(await storedFor(site.id)).toEqual({ orders: 0, receipts: 0, moments: 0 });
    // A field Cartback does not read is left alone: Shopify adds fields with every API version.
    const extra = await send(paidShopifyOrder().replace(/^\{/, '{"a_field_from_2027":{"x":1},'));
    expect(extra.status).toBe(200);
  });
});

describe("WooCommerce", () => {
  const wooOrder = (fields: Record<string, unknown> = {}) =>
    withFields(WOO_ORDER, { date_modified_gmt: wooTime(Date.now()), date_paid_gmt: wooTime(Date.now()), ...fields });

  it("answers the ping WooCommerce sends when a webhook is saved with a 200, storing nothing", async () => {
    const site = await siteWithSecret();
    const ping = await exports.default.fetch(`https://collector.test/v1/hooks/woocommerce?site=${site.key}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": "WooCommerce/9.0.0 Hookshot (WordPress/6.5)" },
      body: "webhook_id=12",
    });
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ ping: true });
    // A ping does not open the door to anything else unsigned, nor to a wrongly signed ping.
    const unsigned = await deliverHook("woocommerce", site.key, wooOrder(), { headers: wooHeaders("order.updated"), signature: null });
    expect(unsigned.status).toBe(401);
    const forged = await deliverHook("woocommerce", site.key, "webhook_id=12", { headers: wooHeaders("order.updated"), signature: "AAAA" });
    expect(forged.status).toBe(401);
    expect(await storedFor(site.id)).toEqual({ orders: 0, receipts: 0, moments: 0 });
  });

  it("processing is a paid order (verified over WooCommerce's own encoding), recorded once however often it is delivered", async () => {
    const site = await siteWithSecret();
    const email = "john.doe@example.com";
    await abandon(site.key, email);
    const [claimed] = await eventually(async () => {
      const { results } = await messagesOf(email);
      expect(results).toHaveLength(1);
      return results;
    }, 15_000);
    const body = wooOrder();
    expect(body).toContain("https:\\/\\/example.com"); // signed as sent: JSON.stringify would not give these bytes
    const res = await deliverHook("woocommerce", site.key, body, { headers: wooHeaders("order.created"), secret: SECRET });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ duplicate: false, outcome: "paid", orderId: "727", followedUp: true });
    // The same state again (order.updated with the same modification time, a new delivery id): a duplicate.
    const again = await deliverHook("woocommerce", site.key, body, { headers: wooHeaders("order.updated"), secret: SECRET });
    expect(await again.json()).toMatchObject({ duplicate: true });
    // Completed later: a new delivery, the same order.
    const completed = await deliverHook(
      "woocommerce",
      site.key,
      wooOrder({ status: "completed", date_modified_gmt: wooTime(Date.now() + 1000) }),
      {
        headers: wooHeaders("order.updated"),
        secret: SECRET,
      },
    );
    expect(await completed.json()).toMatchObject({ duplicate: false, outcome: "paid" });
    expect(await env.DB.prepare("SELECT order_id, total, currency FROM orders WHERE site_id = ?").bind(site.id).all()).toMatchObject({
      results: [{ order_id: "727", total: 2935, currency: "USD" }],
    });
    await deliver([{ kind: "recovery", id: claimed?.id as string, site: site.id, email }]);
    expect((await messagesOf(email)).results[0]).toMatchObject({ status: "cancelled", cancel_reason: "purchased" });
  });

  it("failed is a payment_failed moment on the shopper's latest browser: the sequence speaks of the payment", async () => {
    const site = await siteWithSecret({ abandonAfterMinutes: 30 });
    const email = "declined.off.page@example.com";
    const aid = await abandon(site.key, email, { minutesAgo: 20 });
    const lastSeen = (await env.DB.prepare("SELECT last_seen FROM shoppers WHERE aid = ?").bind(aid).first<number>("last_seen")) as number;
    const body = wooOrder({ status: "failed", email, payment_method: "stripe" });
    const res = await deliverHook("woocommerce", site.key, body, { headers: wooHeaders("order.updated"), secret: SECRET });
    expect(await res.json()).toMatchObject({ outcome: "payment_failed", orderId: "727", followedUp: true });
    // Redelivered (WooCommerce's own retry, or the merchant's "resend"): one moment.
    expect(
      await (await deliverHook("woocommerce", site.key, body, { headers: wooHeaders("order.updated"), secret: SECRET })).json(),
    ).toMatchObject({
      duplicate: true,
    });
    const moments = await env.DB.prepare("SELECT aid, at, data FROM events WHERE site_id = ? AND type = 'moment'")
      .bind(site.id)
      .all<{ aid: string; at: number; data: string }>();
    expect(moments.results).toHaveLength(1);
    expect(moments.results[0]?.aid).toBe(aid);
    expect(moments.results[0]?.at).toBeLessThanOrEqual(lastSeen); // at the exit, not a return
    expect(JSON.parse(moments.results[0]?.data ?? "{}")).toMatchObject({ type: "moment", kind: "payment_failed", code: "stripe" });
    expect(await env.DB.prepare("SELECT last_seen FROM shoppers WHERE aid = ?").bind(aid).first("last_seen")).toBe(lastSeen);
    expect(await count(env.DB, "SELECT count(*) AS n FROM orders WHERE site_id = ?", site.id)).toBe(0);
    // The person's object saw it as it sees the script's moments: once the cart is quiet long enough, the message is about the payment.
    const stub = shopperStub(env, site.id, email);
    await eventually(async () => {
      const person = await runInDurableObject(stub, (_o, s) =>
        s.storage.get<{ browsers: Record<string, { moments: { kind: string }[] }> }>("person"),
      );
      expect(person?.browsers[aid]?.moments.map((m) => m.kind)).toContain("payment_failed");
    });
    await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/settings`, {
      method: "PATCH",
      headers: { authorization: `Bearer sk_${site.key}`, "content-type": "application/json" },
      body: JSON.stringify({ abandonAfterMinutes: 1 }),
    });
    await runInDurableObject(stub, (_o, s) => s.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(stub);
    const { results } = await eventually(async () => {
      const m = await messagesOf(email);
      expect(m.results).toHaveLength(1);
      return m;
    }, 15_000);
    expect(results[0]?.template).toBe("payment_failed");
  });

  it("pending and on-hold wait, other statuses are ignored, and a bad delivery is a 4xx naming the problem", async () => {
    const site = await siteWithSecret();
    for (const [status, outcome] of [
      ["pending", "waiting"],
      ["on-hold", "waiting"],
      ["cancelled", "ignored"],
      ["refunded", "ignored"],
      ["wc-shipped-by-a-plugin", "ignored"],
    ]) {
      const res = await deliverHook("woocommerce", site.key, wooOrder({ status }), {
        headers: wooHeaders("order.updated"),
        secret: SECRET,
      });
      expect(res.status, status).toBe(200);
      expect(await res.json(), status).toMatchObject({ outcome });
    }
    const bad: [string, Response, number, string, string?][] = [
      [
        "bad JSON",
        await deliverHook("woocommerce", site.key, "{", { headers: wooHeaders("order.updated"), secret: SECRET }),
        400,
        "invalid_json",
      ],
      [
        "a product topic",
        await deliverHook("woocommerce", site.key, wooOrder(), { headers: wooHeaders("product.updated"), secret: SECRET }),
        422,
        "unsupported_topic",
        "x-wc-webhook-topic",
      ],
      [
        "no total",
        await deliverHook("woocommerce", site.key, wooOrder({ total: null }), { headers: wooHeaders("order.updated"), secret: SECRET }),
        422,
        "invalid_order",
        "total",
      ],
      [
        "a string id",
        await deliverHook("woocommerce", site.key, wooOrder({ id: "727" }), { headers: wooHeaders("order.updated"), secret: SECRET }),
        422,
        "invalid_order",
        "id",
      ],
    ];
    for (const [what, res, status, code, path] of bad) {
      expect(res.status, what).toBe(status);
      const error = await errorOf(res);
      expect(error.code, what).toBe(code);
      if (path)
        expect(
          error.issues?.map((i) => i.path),
          what,
        ).toContain(path);
    }
    expect(await storedFor(site.id)).toMatchObject({ orders: 0, moments: 0, receipts: 5 });
  });
});

describe("the platform secret through the merchant API", () => {
  const call = (key: string, method: string, body?: unknown) =>
    exports.default.fetch(`https://collector.test/v1/sites/${key}/platform-secret`, {
      method,
      headers: { authorization: `Bearer sk_${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("is generated and shown once, set to the platform's own, never read back, and refused when it is no key", async () => {
    const site = await seedSite(env.DB, [ORIGIN]);
    expect(await (await call(site.key, "GET")).json()).toEqual({
      set: false,
      urls: {
        shopify: `http://127.0.0.1:8787/v1/hooks/shopify?site=${site.key}`,
        woocommerce: `http://127.0.0.1:8787/v1/hooks/woocommerce?site=${site.key}`,
      },
    });
    const made = (await (await call(site.key, "POST")).json()) as { secret: string };
    expect(made.secret).toMatch(/^pws_/);
    const status = await (await call(site.key, "GET")).text();
    expect(status).toContain('"set":true');
    expect(status).not.toContain(made.secret);
    for (const [body, path] of [
      [{ secret: "short" }, "secret"],
      [{ secret: "has spaces in the middle of it" }, "secret"],
      [{ secret: "0123456789abcdef0123", extra: 1 }, "extra"],
      [{}, "secret"],
    ] as const) {
      const res = await call(site.key, "PUT", body);
      expect(res.status).toBe(422);
      expect((await errorOf(res)).issues?.map((i) => i.path)).toContain(path);
    }
    const shopifyKey = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    expect((await call(site.key, "PUT", { secret: shopifyKey })).status).toBe(200);
    expect(await env.DB.prepare("SELECT platform_secret FROM sites WHERE id = ?").bind(site.id).first("platform_secret")).toBe(shopifyKey);
    expect((await call(site.key, "PUT", { secret: "x" })).status).toBe(422);
    expect(await env.DB.prepare("SELECT platform_secret FROM sites WHERE id = ?").bind(site.id).first("platform_secret")).toBe(shopifyKey);
    expect((await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/platform-secret`, { method: "POST" })).status).toBe(
      401,
    );
  });
});
