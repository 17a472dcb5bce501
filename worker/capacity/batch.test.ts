// Cost that follows the work (issue 21.1): a queue batch is stored with a number of statements
// that follows its kinds of events, not its count of browsers, and a write's cost does not grow
// with the site's history. Row counts and statement counts, never times (speed is benched).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CartbackEvent } from "../../protocol/types";
import { cartHeads } from "../db/cart-events";
import { creditStatement, startStatement } from "../db/ledger";
import { withSequenceStatements } from "../db/rollups";
import type { IngestMessage } from "../db/schema";
import { storeChunks } from "../ingest/store";
import type { Sequence } from "../recovery/person";
import { count, randomId, seedSite } from "../test/helpers";

const MINUTE = 60_000;

function visit(aid: string, site: number, at: number, i: number): IngestMessage {
  const events: CartbackEvent[] = [
    {
      id: randomId(),
      at,
      type: "cart",
      action: "set",
      cart: { currency: "EUR", lines: [{ id: `p${i}`, name: "Tea", price: 500, quantity: 1 }] },
    },
    { id: randomId(), at: at + MINUTE, type: "checkout" } as CartbackEvent,
    { id: randomId(), at: at + 2 * MINUTE, type: "moment", kind: "step", code: "payment" } as CartbackEvent,
  ];
  return { site, aid, receivedAt: at + 3 * MINUTE, skew: 0, ttlDays: 7, events };
}

describe("capacity: a batch's cost", () => {
  it("a queue batch of 100 browsers is stored in one D1 batch of as many statements as one browser's", async () => {
    const site = await seedSite(env.DB);
    const at = Date.now() - 60 * MINUTE;
    const one = [visit(randomId(), site.id, at, 0)];
    const hundred = Array.from({ length: 100 }, (_, i) => visit(randomId(), site.id, at, i));
    const chunksOfOne = storeChunks(env.DB, one, (m) => m, await cartHeads(env.DB, one));
    const chunks = storeChunks(env.DB, hundred, (m) => m, await cartHeads(env.DB, hundred));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.statements.length).toBe(chunksOfOne[0]?.statements.length);
    for (const { statements } of [...chunksOfOne, ...chunks]) await env.DB.batch(statements);
    expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE site_id = ?", site.id)).toBe(303);
    expect(await count(env.DB, "SELECT count(*) AS n FROM carts WHERE site_id = ? AND checkout_started_at IS NOT NULL", site.id)).toBe(101);
  });

  it("crediting an order reads the same rows whatever number of sequences the site credited before", async () => {
    const site = await seedSite(env.DB);
    const reads: number[] = [];
    for (let i = 0; i < 40; i++) {
      const id = `credit-${i}`;
      const at = Date.now() - 10 * 60 * MINUTE + i * MINUTE;
      const sequence = { id, aid: `a${i}`, basedOn: at, value: 900, currency: "EUR", reason: "reminder", status: "active" };
      await env.DB.batch(
        withSequenceStatements(
          env.DB,
          { sequence: id },
          startStatement(env.DB, site.id, `s${i}@example.com`, sequence as unknown as Sequence, at),
        ),
      );
      const [, credit] = await env.DB.batch(
        withSequenceStatements(env.DB, { sequence: id }, creditStatement(env.DB, id, { orderId: `o${i}`, total: 900, at: at + MINUTE })),
      );
      expect(credit?.meta.changes).toBe(1);
      reads.push(credit?.meta.rows_read ?? 0);
    }
    // Before migration 0029 each credit read every sequence credited before it (the "not credited
    // elsewhere" check walked the site's sequences): 40 credits read 1, 2, … 40 more rows.
    expect(Math.max(...reads.slice(1)) - Math.min(...reads.slice(1))).toBeLessThanOrEqual(3);
  });
});
