import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { readLines } from "../../protocol/cart-changes";
import type { Cart, CartbackEvent, CartEvent, Line } from "../../protocol/types";
import { type IngestMessage, statementsFor } from "../db/browsers";
import { type CartHeads, cartHeads, storedEvents } from "../db/cart-events";
import worker from "../index";
import { randomId, seedSite } from "../test/helpers";

// Carts stored as changes (docs/cart-changes.md): what the real consumer writes, and that every
// event reads back as the browser sent it, whatever the order, the redeliveries and the purges.

let site: { id: number; key: string };
beforeAll(async () => {
  site = await seedSite(env.DB);
});

const message = (aid: string, events: CartbackEvent[], receivedAt = Date.now()): IngestMessage => ({
  site: site.id,
  aid,
  receivedAt,
  skew: 0,
  ttlDays: 7,
  events,
});

/** Hands messages to the ingest queue's consumer as one delivery, and checks it took them all. */
async function consume(bodies: IngestMessage[]) {
  const batch = createMessageBatch<IngestMessage>(
    "cartback-ingest",
    bodies.map((body) => ({ id: randomId(), timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, ctx);
  expect(result.retryMessages).toEqual([]);
}

const bytesStored = async (aid: string) => {
  const row = await env.DB.prepare(
    `SELECT (SELECT coalesce(sum(length(CAST(data AS BLOB))), 0) FROM events WHERE site_id = ?1 AND aid = ?2) AS events,
            (SELECT coalesce(sum(length(CAST(lines AS BLOB))), 0) FROM carts WHERE site_id = ?1 AND aid = ?2) AS cart`,
  )
    .bind(site.id, aid)
    .first<{ events: number; cart: number }>();
  return row as { events: number; cart: number };
};

const cartEventsOf = async (aid: string) =>
  (await storedEvents(env.DB, site.id, [aid])).filter((e) => e.type === "cart").map((e) => e.data as CartEvent);

/** A product line as a shop's page sends it: name, product page, image, variant and the shop's own id. */
const productLine = (i: number): Line => {
  const n = String(i).padStart(4, "0");
  return {
    id: `sku-${n}`,
    name: `Sencha tea ${n}`,
    price: 1290 + i,
    quantity: 1,
    url: `https://shop.example/products/sencha-tea-${n}`,
    image: `https://cdn.shop.example/images/sencha-${n}.jpg`,
    variant: "250 g",
    data: { productId: `p-${n}` },
  };
};

describe("a 100-line cart built one line at a time", () => {
  it("stores at most 60 KB in all (events and cart row), and every cart reads back as sent", async () => {
    const aid = randomId();
    const start = Date.now() - 200_000;
    const lines = Array.from({ length: 100 }, (_, i) => productLine(i));
    const events: CartEvent[] = lines.map((_, i) => ({
      id: randomId(),
      at: start + i * 1000,
      type: "cart",
      action: "add",
      cart: { currency: "EUR", lines: lines.slice(0, i + 1) },
    }));
    // Each line its own request, and so its own message; the consumer takes them as they come.
    for (const e of events) await consume([message(aid, [e], e.at + 50)]);

    const stored = await bytesStored(aid);
    const total = stored.events + stored.cart;
    // What the collector stored before carts were changes: each event's JSON whole, the cart row's lines as objects.
    const before = events.reduce((n, e) => n + JSON.stringify(e).length, 0) + JSON.stringify(lines).length;
    console.log(
      `bytes stored for a 100-line cart built line by line (line ${JSON.stringify(lines[0]).length} B of JSON): ` +
        `before ${before} B; after ${total} B (events ${stored.events} B, cart row ${stored.cart} B)`,
    );
    expect(total).toBeLessThanOrEqual(60_000);
    expect(await cartEventsOf(aid)).toEqual(events);
    const row = await env.DB.prepare("SELECT lines FROM carts WHERE site_id = ? AND aid = ?").bind(site.id, aid).first<string>("lines");
    expect(readLines(row as string)).toEqual(lines);
  });
});
