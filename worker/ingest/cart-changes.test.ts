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

// A small world of lines, so that carts share, change and drop lines; every field sometimes there.
const worldLine = fc.record(
  {
    id: fc.constantFrom("tea", "mug", "pot", "cup", "lid"),
    name: fc.constantFrom("Green tea", "Mug"),
    price: fc.integer({ min: 0, max: 3000 }),
    quantity: fc.integer({ min: 1, max: 4 }),
    url: fc.constant("https://shop.example/p/tea"),
    image: fc.constantFrom("https://shop.example/i/1.jpg", "https://shop.example/i/2.jpg"),
    variant: fc.constant("M"),
    data: fc.constantFrom({ productId: "p-1" }, { gift: true, productId: "p-2" }),
  },
  { requiredKeys: ["id", "name", "price", "quantity"] },
) as fc.Arbitrary<Line>;
const worldCart: fc.Arbitrary<Cart> = fc.record({
  currency: fc.constantFrom("EUR", "EUR", "USD"),
  lines: fc.uniqueArray(worldLine, { selector: (l) => l.id, maxLength: 5 }),
});

/** How a group of events reaches D1: the consumer; the consumer beside the next group's; or a writer whose heads are a step old. */
type How = "queue" | "together" | "stale";

/**
 * Stores with heads read before the previous step, as a writer that read, then waited while another
 * stored: when the head moved, the batch fails and goes again with fresh heads, as the queue would.
 */
async function storeStale(body: IngestMessage, stale: CartHeads) {
  try {
    await env.DB.batch(statementsFor(env.DB, body, new Map(stale)));
  } catch {
    await consume([body]);
  }
}

describe("a browser's cart changes, stored against its head", () => {
  it("read back as sent whatever the order, redeliveries, concurrent or stale writers, and after older events are purged", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(worldCart, fc.integer({ min: 0, max: 6 })), { minLength: 1, maxLength: 7 }),
        fc.option(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.boolean()), { nil: null }),
        fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom<How>("queue", "together", "stale")), {
          minLength: 12,
          maxLength: 12,
        }),
        fc.integer({ min: 0, max: 7 }),
        async (carts, purchase, order, replays, groups, cutAt) => {
          const aid = `chain-${++run}-${randomId()}`;
          const start = Date.now() - 60_000;
          // Browser times repeat on purpose: the id settles the order then.
          const sent: CartbackEvent[] = carts.map(([cart, t], i) => ({
            id: `${String(order[i] ?? 0).padStart(4, "0")}-${run}-${i}`,
            at: start + t * 1000,
            type: "cart",
            action: "set",
            cart,
          }));
          if (purchase) {
            const [t, withCart] = purchase;
            sent.push({
              id: `p-${run}`,
              at: start + t * 1000,
              type: "purchase",
              orderId: `o-${run}`,
              total: 100,
              currency: "EUR",
              ...(withCart && { cart: carts[0]?.[0] }),
            });
          }
          const deliveries = sent
            .map((e, i) => ({ e, key: order[i % order.length] ?? 0 }))
            .sort((a, b) => a.key - b.key)
            .map((x) => x.e);
          deliveries.push(...replays.map((r) => sent[r % sent.length] as CartbackEvent));
          const bodies: [IngestMessage, How][] = [];
          for (let i = 0, g = 0; i < deliveries.length; g++) {
            const [size, how] = groups[g % groups.length] ?? [1, "queue"];
            bodies.push([message(aid, deliveries.slice(i, i + size), start + 10_000), how]);
            i += size;
          }
          let stale: CartHeads = new Map();
          for (let i = 0; i < bodies.length; i++) {
            const [body, how] = bodies[i] as [IngestMessage, How];
            const fresh = await cartHeads(env.DB, [body]);
            const next = bodies[i + 1];
            if (how === "together" && next) {
              await Promise.all([consume([body]).catch(() => consume([body])), consume([next[0]]).catch(() => consume([next[0]]))]);
              i++;
            } else if (how === "stale") await storeStale(body, stale);
            else await consume([body]);
            stale = fresh;
          }
          const want = sent.filter((e): e is CartEvent => e.type === "cart").sort((a, b) => a.id.localeCompare(b.id));
          const got = (await cartEventsOf(aid)).sort((a, b) => a.id.localeCompare(b.id));
          expect(got).toEqual(want);

          // Older events purged (as retention may, oldest first): the rest still read back, from the head.
          const cut = start + cutAt * 1000;
          await env.DB.prepare("DELETE FROM events WHERE site_id = ? AND aid = ? AND client_at < ?").bind(site.id, aid, cut).run();
          const kept = (await cartEventsOf(aid)).sort((a, b) => a.id.localeCompare(b.id));
          expect(kept).toEqual(want.filter((e) => e.at >= cut));
        },
      ),
      {
        numRuns: 40,
        // Three changes in order, the third from a writer that read the head before the second: had
        // it been stored whole, the second would hang only from the first, and go with its purge.
        examples: [
          [
            [
              [{ currency: "EUR", lines: [{ id: "tea", name: "Green tea", price: 100, quantity: 1 }] }, 0],
              [{ currency: "EUR", lines: [{ id: "tea", name: "Green tea", price: 100, quantity: 2 }] }, 1],
              [{ currency: "EUR", lines: [] }, 2],
            ],
            null,
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            [],
            [[1, "queue"], [1, "queue"], [1, "stale"], ...Array.from({ length: 9 }, (): [number, How] => [1, "queue"])],
            1,
          ],
        ],
      },
    );
  });
});
