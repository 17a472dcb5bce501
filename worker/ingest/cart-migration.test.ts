import { createExecutionContext, createMessageBatch, type D1Migration, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { readLines } from "../../protocol/cart-changes";
import type { Cart, CartbackEvent, CartEvent } from "../../protocol/types";
import { browsersOf, type IngestMessage } from "../db/browsers";
import { storedEvents } from "../db/cart-events";
import { exportRows } from "../db/privacy";
import worker from "../index";
import { seedSite } from "../test/helpers";

// Rows written before carts were stored as changes: each cart event whole, the cart row's lines as
// objects and no label. This plays migration 0020's backfill over them (the test database was
// migrated empty), then stores new events on top through the consumer, and reads both forms back.
const migration = (env as unknown as { TEST_MIGRATIONS: D1Migration[] }).TEST_MIGRATIONS.find((m) =>
  m.name.startsWith("0020_cart_changes"),
);
const backfill = async () => {
  for (const query of migration?.queries.filter((q) => !/^\s*ALTER/i.test(q)) ?? []) await env.DB.prepare(query).run();
};

const T = Date.now() - 3_600_000;
const tea = { id: "tea", name: "Green tea", price: 1250, quantity: 1, url: "https://shop.example/tea", data: { productId: "p-1" } };
const mug = { id: "mug", name: "Mug", price: 900, quantity: 2, variant: "Blue" };
const cartAt = (id: string, at: number, cart: Cart): CartEvent => ({ id, at, type: "cart", action: "set", cart });

it("reads carts stored whole before migration 0020 and changes stored after it, in snapshots, export and after a purge", async () => {
  expect(migration?.queries.length).toBeGreaterThan(0);
  const site = await seedSite(env.DB);
  const db = env.DB;
  const open = [
    cartAt("old-open-1", T, { currency: "EUR", lines: [tea] }),
    cartAt("old-open-2", T + 1000, { currency: "EUR", lines: [tea, mug] }),
  ];
  const bought: CartbackEvent[] = [
    cartAt("old-paid-1", T, { currency: "EUR", lines: [mug] }),
    {
      id: "old-paid-2",
      at: T + 1000,
      type: "purchase",
      orderId: "o-1",
      total: 1800,
      currency: "EUR",
      cart: { currency: "EUR", lines: [mug] },
    },
  ];
  const oldRow = (aid: string, e: CartbackEvent, lines: unknown[], status: string) =>
    db
      .prepare(
        `INSERT INTO carts (site_id, aid, status, currency, lines, item_count, value, updated_at, client_at, version, expires_at)
         VALUES (?, ?, ?, 'EUR', ?, 3, 3050, ?, ?, ?, ?)`,
      )
      .bind(site.id, aid, status, JSON.stringify(lines), e.at, e.at, e.id, e.at + 7 * 86_400_000);
  await db.batch([
    ...[...open.map((e) => ["old-open", e] as const), ...bought.map((e) => ["old-paid", e] as const)].map(([aid, e]) =>
      db
        .prepare("INSERT INTO events (site_id, id, aid, type, at, client_at, received_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(site.id, e.id, aid, e.type, e.at, e.at, e.at, JSON.stringify(e)),
    ),
    ...["old-open", "old-paid"].map((aid) =>
      db.prepare("INSERT INTO shoppers (site_id, aid, first_seen, last_seen) VALUES (?, ?, ?, ?)").bind(site.id, aid, T, T + 1000),
    ),
    oldRow("old-open", open[1] as CartbackEvent, [tea, mug], "active"),
    oldRow("old-paid", bought[1] as CartbackEvent, [mug], "purchased"),
  ]);
  await db.prepare("UPDATE carts SET lines_of = NULL WHERE site_id = ?").bind(site.id).run();

  await backfill();
  await backfill();
  const labels = await db.prepare("SELECT aid, lines_of FROM carts WHERE site_id = ? ORDER BY aid").bind(site.id).all();
  expect(labels.results).toEqual([
    { aid: "old-open", lines_of: "old-open-2" },
    { aid: "old-paid", lines_of: null },
  ]);

  // New events on top, through the consumer: a change against the old row; whole after the purchase.
  const next = [cartAt("new-open-3", T + 2000, { currency: "EUR", lines: [tea, { ...mug, quantity: 3 }] })];
  const again = [cartAt("new-paid-3", T + 2000, { currency: "EUR", lines: [tea] })];
  const batch = createMessageBatch<IngestMessage>(
    "cartback-ingest",
    [
      { aid: "old-open", events: next },
      { aid: "old-paid", events: again },
    ].map(({ aid, events }, i) => ({
      id: `m${i}`,
      timestamp: new Date(),
      attempts: 1,
      body: { site: site.id, aid, receivedAt: T + 3000, skew: 0, ttlDays: 7, events },
    })),
  );
  await worker.queue(batch, env);
  expect((await getQueueResult(batch, createExecutionContext())).retryMessages).toEqual([]);
  const data = async (id: string) =>
    JSON.parse((await db.prepare("SELECT data FROM events WHERE id = ?").bind(id).first<string>("data")) ?? "{}");
  expect(await data("new-open-3")).toEqual({ act: "set", b: "old-open-2", v: 3950, upd: [["mug", [[3, 2, 3]]]] });
  expect(await data("new-paid-3")).not.toHaveProperty("b");

  const asSent = async (aid: string) => (await storedEvents(db, site.id, [aid])).map((e) => e.data);
  expect(await asSent("old-open")).toEqual([...open, ...next]);
  expect(await asSent("old-paid")).toEqual([...bought, ...again]);
  expect(readLines((await db.prepare("SELECT lines FROM carts WHERE aid = 'old-open'").first<string>("lines")) ?? "[]")).toEqual(
    next[0]?.cart.lines,
  );

  // The person's snapshot: each cart's value, from either form.
  const [snapshot] = await browsersOf(db, site.id, ["old-open"]);
  expect(snapshot?.browser.points.map((p) => p.value)).toEqual([1250, 3050, 3950]);

  // The export shows the carts as the shopper had them, and the cart row's lines as lines.
  const exported = await exportRows(db, site.id, { aids: ["old-open"], emails: [], phones: [], userIds: [] });
  expect(exported.events?.map((e) => e.data)).toEqual([...open, ...next]);
  expect(JSON.parse(exported.carts[0]?.lines as string)).toEqual(next[0]?.cart.lines);

  // The old events purged: the new one still reads back, from the cart row.
  await db.prepare("DELETE FROM events WHERE site_id = ? AND id LIKE 'old-%'").bind(site.id).run();
  expect(await asSent("old-open")).toEqual(next);
});
