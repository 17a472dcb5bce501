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

it("wakes a shopper who gave only a consented number, under that number, and not one whose consent was withdrawn", async () => {
  const site = await seedSite(env.DB, [ORIGIN], { holdoutPercent: 0, steps: [{ afterMinutes: 0, channel: "sms" }] });
  const quietSince = Date.now() - 26 * HOUR;
  const seed = (aid: string, phone: string, withdrawnAt: number | null) =>
    env.DB.batch([
      env.DB.prepare("INSERT INTO shoppers (site_id, aid, first_seen, last_seen, sms_withdrawn_at) VALUES (?, ?, ?, ?, ?)").bind(
        site.id,
        aid,
        quietSince,
        quietSince,
        withdrawnAt,
      ),
      env.DB.prepare("INSERT INTO sms_consents (site_id, aid, phone, given_at, origin, event_id) VALUES (?, ?, ?, ?, ?, ?)").bind(
        site.id,
        aid,
        phone,
        quietSince - 1000,
        ORIGIN,
        randomId(),
      ),
      env.DB.prepare(
        `INSERT INTO carts (site_id, aid, status, currency, lines, item_count, value, updated_at, client_at, version, expires_at)
         VALUES (?, ?, 'active', 'EUR', '[{"id":"tea","name":"Green tea","price":1250,"quantity":2}]', 2, 2500, ?, ?, 'v1', ?)`,
      ).bind(site.id, aid, quietSince, quietSince, quietSince + 7 * 24 * HOUR),
    ]);
  const [kept, withdrawn] = ["+34611000111", "+34611000222"];
  await seed(randomId(), kept, null);
  await seed(randomId(), withdrawn, quietSince);
  expect(await wakeForgottenShoppers(env, Date.now())).toBe(1);
  await eventually(
    async () => expect(await env.DB.prepare("SELECT count(*) AS n FROM sequences WHERE email = ?").bind(`tel:${kept}`).first("n")).toBe(1),
    15_000,
  );
  expect(await env.DB.prepare("SELECT count(*) AS n FROM sequences WHERE email = ?").bind(`tel:${withdrawn}`).first("n")).toBe(0);
  expect(await wakeForgottenShoppers(env, Date.now())).toBe(0);
});
