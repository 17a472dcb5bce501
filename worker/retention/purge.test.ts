import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { DAY_MS } from "../../protocol/limits";
import worker from "../index";
import { batchOf, cartEvent, count, eventually, postEvents, seedSite } from "../test/helpers";

it("the daily job deletes carts 7 days after their last change, and no sooner", async () => {
  const site = await seedSite(env.DB);
  const now = Date.now();
  const fresh = batchOf([cartEvent(now - 6 * DAY_MS, [{ id: "f", price: 1, quantity: 1 }])], undefined, now);
  const stale = batchOf([cartEvent(now - 7 * DAY_MS - 60_000, [{ id: "s", price: 1, quantity: 1 }])], undefined, now);
  await postEvents(site.key, fresh);
  await postEvents(site.key, stale);
  await eventually(async () => expect(await count(env.DB, "SELECT count(*) AS n FROM carts")).toBe(2));

  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: now, cron: "17 3 * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);

  expect(await count(env.DB, "SELECT count(*) AS n FROM carts WHERE aid = ?", fresh.aid)).toBe(1);
  expect(await count(env.DB, "SELECT count(*) AS n FROM carts WHERE aid = ?", stale.aid)).toBe(0);
});
