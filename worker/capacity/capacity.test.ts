import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CartbackEvent } from "../../protocol/types";
import { statementsFor } from "../db/browsers";
import { cartHeads } from "../db/cart-events";
import { withShopperRollups } from "../db/rollups";
import type { IngestMessage } from "../db/schema";
import { count, eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";
import { deliver, MINUTE } from "../test/recovery";

// The capacity model's measured inputs (docs/capacity.md): bytes and D1 rows a shop day adds, per
// event, cart, sequence and message, driven through the real paths (ingest route, queue consumer,
// the shopper's object and its alarm, the mail consumer). D1's `meta.size_after` is the database
// file's size in bytes (page_count is not authorised in D1), so sizes move by whole 4 KB pages:
// enough carts make that rounding small. The budgets are about 2× what was measured, so a change
// that doubles the bytes of a cart fails here.

const TABLES = ["carts", "events", "shoppers", "sequences", "messages", "rollups", "links", "orders", "dev_outbox"] as const;
type Rows = Record<(typeof TABLES)[number], number>;

const sizeOf = async (): Promise<number> => (await env.DB.prepare("SELECT 1").run()).meta.size_after;
const rowsOf = async (): Promise<Rows> =>
  Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await count(env.DB, `SELECT count(*) AS n FROM ${t}`)]))) as Rows;
const deltaOf = (before: Rows, after: Rows): Rows => Object.fromEntries(TABLES.map((t) => [t, after[t] - before[t]])) as Rows;

const LINES = 4;
/** One shopper's visit: a cart built a line at a time (each event carries the whole cart, as the script sends it), checkout, two steps. */
function visit(at: number): CartbackEvent[] {
  const lines = Array.from({ length: LINES }, (_, i) => ({
    id: `sku-${i}`,
    name: `Loose leaf tea no. ${i}`,
    price: 1250 + i * 100,
    quantity: 1 + (i % 2),
  }));
  const carts = lines.map(
    (_, i): CartbackEvent => ({
      id: randomId(),
      at: at + i * 20_000,
      type: "cart",
      action: "set",
      cart: { currency: "EUR", lines: lines.slice(0, i + 1) },
    }),
  );
  return [
    ...carts,
    { id: randomId(), at: at + 100_000, type: "checkout" },
    { id: randomId(), at: at + 110_000, type: "moment", kind: "step", code: "details" },
    { id: randomId(), at: at + 130_000, type: "moment", kind: "step", code: "payment" },
  ];
}
const EVENTS_PER_VISIT = LINES + 3;

const per = (n: number, d: number) => Math.round((n / d) * 100) / 100;

describe("capacity: bytes and rows per unit", () => {
  it("a shop day of carts, sequences and messages stays within its byte and row budgets", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { abandonAfterMinutes: 1, holdoutPercent: 0, shopName: "Tea & Kettle" });
    const CARTS = 60; // one request each; the test's per-site limit is 100 a minute (vitest.config.ts)
    const at = Date.now() - 40 * MINUTE;
    const aids = Array.from({ length: CARTS }, () => randomId());

    // Carts and events: through the route and the ingest queue's consumer.
    const size0 = await sizeOf();
    const rows0 = await rowsOf();
    for (const [i, aid] of aids.entries()) {
      const res = await postEvents(
        site.key,
        { aid, sentAt: Date.now(), events: visit(at + i * 1000) },
        { ip: `10.0.${i >> 8}.${i & 255}` },
      );
      expect(res.status).toBe(202);
    }
    await eventually(
      async () => expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE site_id = ?", site.id)).toBe(CARTS * EVENTS_PER_VISIT),
      20_000,
    );
    const size1 = await sizeOf();
    const rows1 = await rowsOf();

    // Sequences and messages: a quarter of the shoppers give an email (stored at once, the
    // person told), their object's alarm opens a sequence and claims step 0, the mail consumer sends it.
    const reachable = aids.slice(0, CARTS / 4);
    for (const [i, aid] of reachable.entries()) {
      const events: CartbackEvent[] = [
        { id: randomId(), at: at + 140_000 + i, type: "identify", email: `shopper${i}@example.com`, name: "Ana Lima" },
      ];
      expect((await postEvents(site.key, { aid, sentAt: Date.now(), events }, { ip: `10.1.0.${i}` })).status).toBe(202);
    }
    const claimed = await eventually(async () => {
      const { results } = await env.DB.prepare("SELECT id, site_id, email FROM messages WHERE site_id = ?")
        .bind(site.id)
        .all<{ id: string; site_id: number; email: string }>();
      expect(results).toHaveLength(reachable.length);
      return results;
    }, 25_000);
    await deliver(claimed.map((m) => ({ kind: "recovery" as const, id: m.id, site: m.site_id, email: m.email })));
    await eventually(async () =>
      expect(await count(env.DB, "SELECT count(*) AS n FROM messages WHERE site_id = ? AND status = 'sent'", site.id)).toBe(
        reachable.length,
      ),
    );
    const size2 = await sizeOf();
    const rows2 = await rowsOf();
    // The dev outbox holds each mail's whole HTML and text; a deployed collector sends it instead.
    const outboxBytes = await count(
      env.DB,
      `SELECT sum(length(html) + length(text) + length(headers) + length(subject)) AS n FROM dev_outbox WHERE "to" LIKE 'shopper%@example.com'`,
    );

    const carts = { bytes: size1 - size0, rows: deltaOf(rows0, rows1) };
    const people = { bytes: size2 - size1, rows: deltaOf(rows1, rows2) };
    const figures = {
      carts: CARTS,
      eventsPerCart: EVENTS_PER_VISIT,
      bytesPerCart: per(carts.bytes, CARTS),
      bytesPerEvent: per(carts.bytes, CARTS * EVENTS_PER_VISIT),
      rowsPerCart: carts.rows,
      sequences: reachable.length,
      bytesPerSequenceWithItsMessage: per(people.bytes, reachable.length),
      bytesPerSequenceWithoutDevOutbox: per(people.bytes - outboxBytes, reachable.length),
      devOutboxBytesPerMessage: per(outboxBytes, reachable.length),
      rowsPerSequence: people.rows,
    };
    console.log(`capacity:units ${JSON.stringify(figures)}`);
    expect(carts.rows.carts).toBe(CARTS);
    expect(carts.rows.events).toBe(CARTS * EVENTS_PER_VISIT);
    expect(people.rows.sequences).toBe(reachable.length);
    expect(people.rows.messages).toBe(reachable.length);
    // Budgets (≈ 2× the figures of docs/capacity.md).
    expect(figures.bytesPerCart).toBeLessThan(BUDGET.bytesPerCart);
    expect(figures.bytesPerSequenceWithoutDevOutbox).toBeLessThan(BUDGET.bytesPerSequence);
    expect(carts.rows.rollups).toBeLessThanOrEqual(BUDGET.rollupRowsPerDay);
  });

  it("the ingest consumer's D1 batch for one visit writes and reads a bounded number of rows", async () => {
    const site = await seedSite(env.DB);
    const figures: { rowsWritten: number; rowsRead: number; statements: number }[] = [];
    for (let i = 0; i < 8; i++) {
      const receivedAt = Date.now();
      const message: IngestMessage = {
        site: site.id,
        aid: randomId(),
        receivedAt,
        skew: 0,
        ttlDays: 7,
        events: visit(receivedAt - 10 * MINUTE),
      };
      const statements = withShopperRollups(env.DB, message, statementsFor(env.DB, message, await cartHeads(env.DB, [message])));
      const results = await env.DB.batch(statements);
      figures.push({
        statements: statements.length,
        rowsWritten: results.reduce((s, r) => s + r.meta.rows_written, 0),
        rowsRead: results.reduce((s, r) => s + r.meta.rows_read, 0),
      });
    }
    console.log(`capacity:ingest-batch ${JSON.stringify({ eventsPerBatch: EVENTS_PER_VISIT, batches: figures })}`);
    // Every visit costs the same whatever came before it on the site (the first may create rollup
    // rows the others update): a visit that read the site's whole history would grow with each one.
    const later = figures.slice(1);
    expect(new Set(later.map((f) => f.rowsWritten)).size).toBe(1);
    // (A row or two of b-tree noise: before the fix each visit read 14 more than the one before.)
    const reads = later.map((f) => f.rowsRead);
    expect(Math.max(...reads) - Math.min(...reads)).toBeLessThanOrEqual(3);
    expect(later[0]?.rowsWritten).toBeLessThan(BUDGET.rowsWrittenPerVisit);
    expect(later[0]?.rowsRead).toBeLessThan(BUDGET.rowsReadPerVisit);
  });
});

/** Generous budgets: about twice the measured figures of docs/capacity.md. */
const BUDGET = {
  bytesPerCart: 12_000,
  bytesPerSequence: 16_000,
  rollupRowsPerDay: 40,
  rowsWrittenPerVisit: 200,
  rowsReadPerVisit: 400,
};
