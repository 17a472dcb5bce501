import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { CartbackEvent } from "../../protocol/types";
import { recordServerOrder } from "../db/browsers";
import { purgeSite, purgeSlice } from "../db/retention";
import worker from "../index";
import { computeStats } from "../stats/figures";
import { batchOf, cartEvent, count, eventually, postEvents, randomId, seedSite } from "../test/helpers";

const DAY = 86_400_000;

/** Runs the daily cron as if the clock said `at`. */
async function runRetention(at: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "17 3 * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const rollupsOf = async (site: number) =>
  (await env.DB.prepare("SELECT day, kind, dim, n, v FROM rollups WHERE site_id = ? ORDER BY day, kind, dim").bind(site).all()).results;

const rowsOf = async (site: number, aid: string) => ({
  events: await count(env.DB, "SELECT count(*) AS n FROM events WHERE site_id = ? AND aid = ?", site, aid),
  carts: await count(env.DB, "SELECT count(*) AS n FROM carts WHERE site_id = ? AND aid = ?", site, aid),
  shoppers: await count(env.DB, "SELECT count(*) AS n FROM shoppers WHERE site_id = ? AND aid = ?", site, aid),
});

it("purges carts and their events 7 days after the last change, no sooner, and the funnel still adds up", async () => {
  const site = await seedSite(env.DB);
  const now = Date.now();
  const line = [{ id: "tea", price: 1250, quantity: 1 }];
  const ev = (at: number, e: Record<string, unknown>) => ({ id: randomId(), at, ...e }) as CartbackEvent;
  // Ana abandoned at the shipping step 8 days ago; Bo started 8 days ago and changed his cart 2 days
  // ago; Cy bought 9 days ago. Each batch is sent now, as a browser's outbox would after a while.
  const ana = batchOf([
    cartEvent(now - 8 * DAY, line),
    ev(now - 8 * DAY + 1, { type: "identify", email: "ana@example.com" }),
    ev(now - 8 * DAY + 2, { type: "checkout" }),
    ev(now - 8 * DAY + 3, { type: "moment", kind: "step", code: "shipping" }),
  ]);
  const bo = batchOf([cartEvent(now - 8 * DAY, line), cartEvent(now - 2 * DAY, [{ id: "tea", price: 1250, quantity: 3 }])]);
  const cy = batchOf([
    cartEvent(now - 9 * DAY, line),
    ev(now - 9 * DAY + 1, { type: "purchase", orderId: "o-1", total: 1250, currency: "EUR" }),
  ]);
  for (const batch of [ana, bo, cy]) expect((await postEvents(site.key, batch)).status).toBe(202);
  await eventually(async () => expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE site_id = ?", site.id)).toBe(8));

  const range = {
    from: new Date(now - 10 * DAY).toISOString().slice(0, 10),
    to: new Date(now).toISOString().slice(0, 10),
  };
  const funnelBefore = (await computeStats(env.DB, site.id, range)).funnel;
  expect(funnelBefore).toEqual([
    { stage: "cart", shoppers: 3 },
    { stage: "checkout", shoppers: 1 },
    { stage: "step:shipping", shoppers: 1 },
    { stage: "purchase", shoppers: 1 },
  ]);

  const rollupsBefore = await rollupsOf(site.id);
  // A day and a half ago, only Cy's cart was 7 days past its last change.
  await runRetention(now - 1.5 * DAY);
  expect(await rowsOf(site.id, cy.aid)).toEqual({ events: 0, carts: 0, shoppers: 0 });
  expect(await rowsOf(site.id, ana.aid)).toEqual({ events: 4, carts: 1, shoppers: 1 });
  expect(await rowsOf(site.id, bo.aid)).toEqual({ events: 2, carts: 1, shoppers: 1 });

  // Today Ana's time is up too (email and all); Bo's cart changed 2 days ago and keeps everything.
  await runRetention(now);
  expect(await rowsOf(site.id, ana.aid)).toEqual({ events: 0, carts: 0, shoppers: 0 });
  expect(await count(env.DB, "SELECT count(*) AS n FROM shoppers WHERE email = 'ana@example.com'")).toBe(0);
  expect(await rowsOf(site.id, bo.aid)).toEqual({ events: 2, carts: 1, shoppers: 1 });

  // Only aggregates remain of Ana and Cy, and the funnel of the same range is unchanged,
  // however often the job runs.
  await runRetention(now);
  expect((await computeStats(env.DB, site.id, range)).funnel).toEqual(funnelBefore);
  // The aggregates are the rollups, kept since ingest (Cy's purchase from `orders`, which stays):
  // the purges changed none of them and folded nothing more into funnel_daily.
  expect(await rollupsOf(site.id)).toEqual(rollupsBefore);
  expect(await count(env.DB, "SELECT count(*) AS n FROM funnel_daily WHERE site_id = ?", site.id)).toBe(0);
});

it("keeps to each site's own cart lifetime", async () => {
  const short = await seedSite(env.DB, undefined, { cartTtlDays: 2 });
  const now = Date.now();
  const batch = batchOf([cartEvent(now - 3 * DAY, [{ id: "tea", price: 100, quantity: 1 }])]);
  await postEvents(short.key, batch);
  await eventually(async () => expect((await rowsOf(short.id, batch.aid)).events).toBe(1));
  await runRetention(now);
  expect(await rowsOf(short.id, batch.aid)).toEqual({ events: 0, carts: 0, shoppers: 0 });
});

it("keeps the steps' checkout order and the server's orders through the purge", async () => {
  const site = await seedSite(env.DB);
  const now = Date.now();
  const line = [{ id: "tea", price: 1250, quantity: 1 }];
  const step = (at: number, code: string) => ({ id: randomId(), at, type: "moment", kind: "step", code }) as CartbackEvent;
  // Dee goes shipping → payment; Eli, signed in with a saved address, goes straight to payment.
  // More shoppers reached payment, so only the positions tell the order.
  const dee = batchOf([cartEvent(now - 9 * DAY, line), step(now - 9 * DAY + 1, "shipping"), step(now - 9 * DAY + 2, "payment")]);
  const eli = batchOf([cartEvent(now - 9 * DAY, line), step(now - 9 * DAY + 1, "payment")]);
  for (const batch of [dee, eli]) expect((await postEvents(site.key, batch)).status).toBe(202);
  // Eli paid by bank transfer: the shop's server reported it, without a browser id.
  await recordServerOrder(env.DB, site.id, { orderId: "o-eli", total: 1250, currency: "EUR", at: now - 9 * DAY + 3 });
  await eventually(async () => expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE site_id = ?", site.id)).toBe(5));
  const range = { from: new Date(now - 10 * DAY).toISOString().slice(0, 10), to: new Date(now).toISOString().slice(0, 10) };
  const funnel = [
    { stage: "cart", shoppers: 2 },
    { stage: "checkout", shoppers: 0 },
    { stage: "step:shipping", shoppers: 1 },
    { stage: "step:payment", shoppers: 2 },
    { stage: "purchase", shoppers: 1 },
  ];
  expect((await computeStats(env.DB, site.id, range)).funnel).toEqual(funnel);
  await runRetention(now);
  expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE site_id = ?", site.id)).toBe(0);
  expect((await computeStats(env.DB, site.id, range)).funnel).toEqual(funnel);
});

it("forgets the count of a host's dropped images 30 days after its last drop", async () => {
  const site = await seedSite(env.DB);
  const now = Date.now();
  const insert = env.DB.prepare("INSERT INTO image_drops (site_id, host, reason, count, first_at, last_at) VALUES (?, ?, 'host', 3, ?, ?)");
  await env.DB.batch([
    insert.bind(site.id, "old.example", now - 60 * DAY, now - 31 * DAY),
    insert.bind(site.id, "recent.example", now - 60 * DAY, now - 29 * DAY),
  ]);
  await runRetention(now);
  const hosts = await env.DB.prepare("SELECT host FROM image_drops WHERE site_id = ?").bind(site.id).all<{ host: string }>();
  expect(hosts.results.map((r) => r.host)).toEqual(["recent.example"]);
});

it("purges a site a slice of shoppers at a time, resumes where a run stopped, and ends as a whole pass would", async () => {
  const site = await seedSite(env.DB);
  const now = Date.now();
  const line = [{ id: "tea", price: 1250, quantity: 1 }];
  // Five shoppers gone 9 days ago, one who changed their cart yesterday.
  const gone = Array.from({ length: 5 }, () => batchOf([cartEvent(now - 9 * DAY, line), cartEvent(now - 9 * DAY + 1, line)]));
  const fresh = batchOf([cartEvent(now - DAY, line)]);
  for (const batch of [...gone, fresh]) expect((await postEvents(site.key, batch)).status).toBe(202);
  await eventually(async () => expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE site_id = ?", site.id)).toBe(11));
  const range = { from: new Date(now - 10 * DAY).toISOString().slice(0, 10), to: new Date(now).toISOString().slice(0, 10) };
  const before = await computeStats(env.DB, site.id, range);
  const cursor = () => env.DB.prepare("SELECT aid FROM retention_cursors WHERE site_id = ?").bind(site.id).first<string>("aid");

  // A run that stops after one slice of two shoppers: those two are done, the cursor says where.
  const first = await purgeSlice(env.DB, site.id, now - 7 * DAY, now, 2);
  expect(first.done).toBe(false);
  const sorted = [...gone, fresh].map((b) => b.aid).sort();
  expect(await cursor()).toBe(sorted[1]);
  const purgedFirst = sorted.slice(0, 2).filter((aid) => aid !== fresh.aid).length;
  expect(first.shoppers).toBe(purgedFirst);

  // The next run resumes there and ends the pass: every gone shopper's rows went, the fresh one's stayed.
  const rest = await purgeSite(env.DB, site.id, now - 7 * DAY, now);
  expect(rest.done).toBe(true);
  expect(rest.shoppers + first.shoppers).toBe(5);
  for (const b of gone) expect(await rowsOf(site.id, b.aid)).toEqual({ events: 0, carts: 0, shoppers: 0 });
  expect(await rowsOf(site.id, fresh.aid)).toEqual({ events: 1, carts: 1, shoppers: 1 });
  expect(await cursor()).toBeNull();
  expect(await computeStats(env.DB, site.id, range)).toEqual(before);
  // Again: nothing more goes.
  expect(await purgeSite(env.DB, site.id, now - 7 * DAY, now)).toMatchObject({ events: 0, carts: 0, shoppers: 0, done: true });
});
