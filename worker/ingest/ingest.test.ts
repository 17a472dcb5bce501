import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { readLines } from "../../protocol/cart-changes";
import { DAY_MS, MAX_BATCH_EVENTS, MAX_BODY_BYTES } from "../../protocol/limits";
import type { ErrorBody } from "../../protocol/types";
import type { IngestMessage } from "../db/browsers";
import worker from "../index";
import { batchOf, cartEvent, count, eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";

let site: { id: number; key: string };
beforeAll(async () => {
  site = await seedSite(env.DB);
});

const errorOf = async (res: Response) => ((await res.json()) as ErrorBody).error;
const storedEvents = (aid: string) => count(env.DB, "SELECT count(*) AS n FROM events WHERE aid = ?", aid);
const cartOf = (aid: string) =>
  env.DB.prepare("SELECT status, value, item_count, lines, updated_at, order_id, expires_at FROM carts WHERE aid = ?").bind(aid).first<{
    status: string;
    value: number;
    item_count: number;
    lines: string;
    updated_at: number;
    order_id: string | null;
    expires_at: number;
  }>();

describe("POST /v1/events", () => {
  it("accepts a batch, stores its events and keeps the shopper's latest cart", async () => {
    const now = Date.now();
    const batch = batchOf([
      cartEvent(now - 2000, [{ id: "a", price: 500, quantity: 1 }]),
      cartEvent(now - 1000, [{ id: "a", price: 500, quantity: 3 }]),
    ]);
    const res = await postEvents(site.key, batch);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2 });
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    await eventually(async () => expect(await storedEvents(batch.aid)).toBe(2));
    const cart = await cartOf(batch.aid);
    expect(cart).toMatchObject({ status: "active", value: 1500, item_count: 3 });
    expect(cart?.expires_at).toBe((cart?.updated_at as number) + 7 * DAY_MS);
  });

  it("stores a replayed batch once: same events, same cart", async () => {
    const batch = batchOf([
      cartEvent(Date.now(), [{ id: "b", price: 100, quantity: 2 }]),
      { id: randomId(), at: Date.now(), type: "checkout" },
    ]);
    expect((await postEvents(site.key, batch)).status).toBe(202);
    await eventually(async () => expect(await storedEvents(batch.aid)).toBe(2));
    const before = await cartOf(batch.aid);
    for (let i = 0; i < 3; i++) expect((await postEvents(site.key, batch)).status).toBe(202);
    // Give the consumer time to process the replays before looking again.
    const marker = batchOf([cartEvent(Date.now(), [{ id: "m", price: 1, quantity: 1 }])]);
    await postEvents(site.key, marker);
    await eventually(async () => expect(await storedEvents(marker.aid)).toBe(1));
    expect(await storedEvents(batch.aid)).toBe(2);
    expect(await cartOf(batch.aid)).toEqual(before);
  });

  it("keeps the newest cart whatever order the events arrive in", async () => {
    const aid = randomId();
    const now = Date.now();
    await postEvents(site.key, batchOf([cartEvent(now - 1000, [{ id: "new", price: 900, quantity: 1 }])], aid));
    await eventually(async () => expect(await storedEvents(aid)).toBe(1));
    await postEvents(site.key, batchOf([cartEvent(now - 5000, [{ id: "old", price: 100, quantity: 1 }])], aid, now));
    await eventually(async () => expect(await storedEvents(aid)).toBe(2));
    expect(readLines((await cartOf(aid))?.lines as string)[0]?.id).toBe("new");
  });

  it("corrects the browser's clock skew from the batch's sentAt", async () => {
    const aid = randomId();
    const hourAhead = Date.now() + 3_600_000;
    await postEvents(site.key, batchOf([cartEvent(hourAhead - 10_000, [{ id: "s", price: 1, quantity: 1 }])], aid, hourAhead));
    await eventually(async () => expect(await storedEvents(aid)).toBe(1));
    const row = await env.DB.prepare("SELECT at, client_at, received_at FROM events WHERE aid = ?")
      .bind(aid)
      .first<Record<string, number>>();
    expect(row?.client_at).toBe(hourAhead - 10_000);
    expect(Math.abs((row?.received_at as number) - 10_000 - (row?.at as number))).toBeLessThan(1000);
  });

  it("records identity, checkout and purchase against the shopper and cart", async () => {
    const aid = randomId();
    const t = Date.now() - 10_000;
    const res = await postEvents(
      site.key,
      batchOf(
        [
          cartEvent(t, [{ id: "p", price: 2500, quantity: 2 }]),
          { id: randomId(), at: t + 1000, type: "identify", email: "ana@example.com", name: "Ana" },
          { id: randomId(), at: t + 2000, type: "checkout" },
          { id: randomId(), at: t + 3000, type: "purchase", orderId: "order-1", total: 5000, currency: "EUR" },
        ],
        aid,
      ),
    );
    expect(res.status).toBe(202);
    await eventually(async () => expect(await storedEvents(aid)).toBe(4));
    expect(await cartOf(aid)).toMatchObject({ status: "purchased", order_id: "order-1" });
    const shopper = await env.DB.prepare("SELECT email, name FROM shoppers WHERE aid = ?").bind(aid).first();
    expect(shopper).toEqual({ email: "ana@example.com", name: "Ana" });
    expect(await count(env.DB, "SELECT count(*) AS n FROM orders WHERE order_id = 'order-1' AND total = 5000")).toBe(1);
  });
});

it("a site that requires consent stores nothing without it, and everything with it", async () => {
  const strict = await seedSite(env.DB, [ORIGIN], { requireConsent: true });
  const without = batchOf([cartEvent(Date.now(), [{ id: "p", price: 100, quantity: 1 }])]);
  const refused = await postEvents(strict.key, without);
  expect(refused.status).toBe(403);
  expect(await refused.json()).toMatchObject({ error: { code: "consent_required" } });
  const given = { ...batchOf([cartEvent(Date.now(), [{ id: "p", price: 100, quantity: 1 }])]), consent: true };
  expect((await postEvents(strict.key, given)).status).toBe(202);
  await eventually(async () => expect(await storedEvents(given.aid)).toBe(1));
  expect(await storedEvents(without.aid)).toBe(0);
  expect(await count(env.DB, "SELECT count(*) AS n FROM shoppers WHERE aid = ?", without.aid)).toBe(0);
});

describe("late arrivals", () => {
  it("an identify with an email that arrives after a newer one without keeps the email; the newer name wins", async () => {
    const aid = randomId();
    const t = Date.now() - 10_000;
    await postEvents(site.key, batchOf([{ id: randomId(), at: t + 1000, type: "identify", name: "Ana Newer" }], aid));
    await eventually(async () => expect(await storedEvents(aid)).toBe(1));
    await postEvents(site.key, batchOf([{ id: randomId(), at: t, type: "identify", email: "late@example.com", name: "Ana Older" }], aid));
    await eventually(async () => expect(await storedEvents(aid)).toBe(2));
    const shopper = await env.DB.prepare("SELECT email, name FROM shoppers WHERE aid = ?").bind(aid).first();
    expect(shopper).toEqual({ email: "late@example.com", name: "Ana Newer" });
  });

  it("a checkout that arrives before its cart still marks that cart as in checkout", async () => {
    const aid = randomId();
    const t = Date.now() - 10_000;
    await postEvents(site.key, batchOf([{ id: randomId(), at: t + 1000, type: "checkout" }], aid));
    await eventually(async () => expect(await storedEvents(aid)).toBe(1));
    await postEvents(site.key, batchOf([cartEvent(t, [{ id: "p", price: 100, quantity: 1 }])], aid));
    await eventually(async () => expect(await storedEvents(aid)).toBe(2));
    const row = await env.DB.prepare("SELECT checkout_started_at FROM carts WHERE aid = ?").bind(aid).first<number>("checkout_started_at");
    expect(row).toBeGreaterThan(0);
    // A checkout from before the cart belongs to an earlier cart: it does not count.
    const other = randomId();
    await postEvents(site.key, batchOf([{ id: randomId(), at: t - 5000, type: "checkout" }], other));
    await postEvents(site.key, batchOf([cartEvent(t, [{ id: "p", price: 100, quantity: 1 }])], other));
    await eventually(async () => expect(await storedEvents(other)).toBe(2));
    expect(await env.DB.prepare("SELECT checkout_started_at FROM carts WHERE aid = ?").bind(other).first("checkout_started_at")).toBeNull();
  });
});

it("stores half an emoji (a lone surrogate) as one replacement character, the same in every column", async () => {
  const aid = randomId();
  // JSON.stringify escapes it as \\ud83d, as the script's request body would.
  const res = await postEvents(site.key, batchOf([{ id: randomId(), at: Date.now(), type: "identify", name: "Ana \ud83d" }], aid));
  expect(res.status).toBe(202);
  await eventually(async () => expect(await storedEvents(aid)).toBe(1));
  expect(await env.DB.prepare("SELECT name FROM shoppers WHERE aid = ?").bind(aid).first("name")).toBe("Ana \ufffd");
  const data = await env.DB.prepare("SELECT data FROM events WHERE aid = ?").bind(aid).first<string>("data");
  expect((JSON.parse(data as string) as { name: string }).name).toBe("Ana \ufffd");
});

describe("POST /v1/events refuses bad input with its own 4xx, and stores nothing", () => {
  const valid = () => batchOf([cartEvent(Date.now(), [{ id: "x", price: 1, quantity: 1 }])]);

  const cases: [string, () => Promise<Response>, number, string][] = [
    ["malformed JSON", () => postEvents(site.key, '{"aid": "abc", "events": [}'), 400, "invalid_json"],
    ["wrong types", () => postEvents(site.key, { ...valid(), sentAt: "yesterday" }), 422, "invalid_batch"],
    ["an oversized body", () => postEvents(site.key, "x".repeat(MAX_BODY_BYTES + 1)), 413, "payload_too_large"],
    [
      "an oversized body without Content-Length",
      () => postEvents(site.key, new Blob(["x".repeat(MAX_BODY_BYTES + 1)]).stream()),
      413,
      "payload_too_large",
    ],
    [
      "too many events",
      () =>
        postEvents(
          site.key,
          batchOf(Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => ({ id: randomId(), at: Date.now(), type: "checkout" as const }))),
        ),
      413,
      "too_many_events",
    ],
    ["an unknown site key", () => postEvents("pk_unknown_site", valid()), 401, "unknown_site_key"],
    ["a malformed site key", () => postEvents("not a key", valid()), 400, "invalid_site_key"],
    ["a wrong origin", () => postEvents(site.key, valid(), { origin: "https://evil.example" }), 403, "origin_not_allowed"],
    ["no origin", () => postEvents(site.key, valid(), { origin: null }), 403, "origin_not_allowed"],
    [
      "a form content type",
      () => postEvents(site.key, valid(), { contentType: "application/x-www-form-urlencoded" }),
      415,
      "unsupported_content_type",
    ],
    ["invalid UTF-8", () => postEvents(site.key, new Blob([new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])]).stream()), 400, "invalid_encoding"],
  ];

  for (const [name, send, status, code] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const error = await errorOf(res);
      expect(error.code).toBe(code);
      expect(error.message.length).toBeGreaterThan(10);
    });
  }

  it("names each problem of an invalid batch by its path", async () => {
    const batch = valid();
    const event = batch.events[0] as unknown as { cart: { lines: Record<string, unknown>[] } };
    Object.assign(event.cart.lines[0] as object, { price: 9.99, url: "javascript:alert(1)" });
    const res = await postEvents(site.key, batch);
    expect(res.status).toBe(422);
    const paths = (await errorOf(res)).issues?.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["events.0.cart.lines.0.price", "events.0.cart.lines.0.url"]));
  });

  it("stores nothing of a batch with one bad event among good ones", async () => {
    const batch = valid();
    batch.events.push({ id: randomId(), at: Date.now(), type: "identify", email: "not-an-email" });
    expect((await postEvents(site.key, batch)).status).toBe(422);
    const marker = valid();
    await postEvents(site.key, marker);
    await eventually(async () => expect(await storedEvents(marker.aid)).toBe(1));
    expect(await storedEvents(batch.aid)).toBe(0);
    expect(await cartOf(batch.aid)).toBeNull();
  });

  it("lets the script read the status of a refusal (CORS on errors), so it can drop instead of retrying", async () => {
    const res = await postEvents(site.key, "{", { origin: "https://shop.example" });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://shop.example");
    expect(res.headers.get("access-control-expose-headers")).toMatch(/Retry-After/i);
  });
});

describe("CORS preflight", () => {
  const preflight = (key: string, origin: string) =>
    exports.default.fetch(
      new Request(`https://collector.test/v1/events?site=${key}`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      }),
    );

  it("allows an allowed origin", async () => {
    const res = await preflight(site.key, ORIGIN);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
  });

  it("refuses another origin and an unknown site", async () => {
    for (const res of [await preflight(site.key, "https://evil.example"), await preflight("pk_nobody", ORIGIN)]) {
      expect(res.status).toBe(403);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
  });
});

describe("the ingest queue consumer", () => {
  it("stores a redelivered message once", async () => {
    const aid = randomId();
    const body: IngestMessage = {
      site: site.id,
      aid,
      receivedAt: Date.now(),
      skew: 0,
      ttlDays: 7,
      events: [cartEvent(Date.now(), [{ id: "q", price: 300, quantity: 1 }])],
    };
    const messages = [1, 2].map((attempt) => ({ id: `m${attempt}`, timestamp: new Date(), attempts: attempt, body }));
    const batch = createMessageBatch<IngestMessage>("cartback-ingest", messages);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["m1", "m2"]);
    expect(await storedEvents(aid)).toBe(1);
    expect(await cartOf(aid)).toMatchObject({ value: 300 });
  });
});

describe("other routes", () => {
  it("answers unknown routes with a JSON 404", async () => {
    const res = await exports.default.fetch("https://collector.test/v1/nothing");
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("not_found");
  });
});
