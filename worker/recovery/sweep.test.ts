import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import worker from "../index";
import { eventually, ORIGIN, randomId, seedSite } from "../test/helpers";
import { wakeForgottenShoppers } from "./sweep";

const HOUR = 3_600_000;

it("the daily job wakes a shopper whose object never heard of their quiet cart, once", async () => {
  const site = await seedSite(env.DB, [ORIGIN], { holdoutPercent: 0 });
  const email = "forgotten@example.com";
  const aid = randomId();
  const quietSince = Date.now() - 26 * HOUR;
  // In D1, but never told to the shopper's object: what a lost alarm or lost state looks like.
  await env.DB.batch([
    env.DB.prepare("INSERT INTO shoppers (site_id, aid, email, name, first_seen, last_seen) VALUES (?, ?, ?, 'Ana', ?, ?)").bind(
      site.id,
      aid,
      email,
      quietSince,
      quietSince,
    ),
    env.DB.prepare(
      `INSERT INTO carts (site_id, aid, status, currency, lines, item_count, value, updated_at, client_at, version, expires_at)
       VALUES (?, ?, 'active', 'EUR', '[{"id":"tea","name":"Green tea","price":1250,"quantity":2}]', 2, 2500, ?, ?, 'v1', ?)`,
    ).bind(site.id, aid, quietSince, quietSince, quietSince + 7 * 24 * HOUR),
  ]);

  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);

  const sequence = await eventually(async () => {
    const row = await env.DB.prepare("SELECT id, aid, abandoned_at, value FROM sequences WHERE email = ?").bind(email).first();
    expect(row).toMatchObject({ aid, abandoned_at: quietSince, value: 2500 });
    return row;
  }, 15_000);
  await eventually(
    async () => expect(await env.DB.prepare("SELECT step FROM messages WHERE sequence_id = ?").bind(sequence?.id).first("step")).toBe(0),
    15_000,
  );
  // Now the sequence exists: the next run leaves this shopper alone.
  expect(await wakeForgottenShoppers(env, Date.now())).toBe(0);
});
