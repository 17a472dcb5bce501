import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../protocol/limits";
import type { CartbackEvent } from "../../protocol/types";
import { statementsFor } from "../db/browsers";
import { cartHeads } from "../db/cart-events";
import { rollupStatement, withShopperRollups } from "../db/rollups";
import type { IngestMessage } from "../db/schema";
import { randomId, seedSite } from "../test/helpers";

// Many sites in one D1 (docs/capacity.md): a small site's stats read the same number of rows
// whatever a busy site beside it holds. Deterministic: D1's own rows_read, no clock.

const visit = (at: number): CartbackEvent[] => [
  {
    id: randomId(),
    at,
    type: "cart",
    action: "set",
    cart: { currency: "EUR", lines: [{ id: "tea", name: "Tea", price: 1250, quantity: 1 }] },
  },
  { id: randomId(), at: at + 1000, type: "checkout" },
  { id: randomId(), at: at + 2000, type: "moment", kind: "step", code: "payment" },
];

/** `visits` shoppers of `site`, one a minute back from `daysAgo` days, stored by the ingest consumer's statements. */
async function ingest(site: number, visits: number, daysAgo: (i: number) => number): Promise<void> {
  const now = Date.now();
  const messages: IngestMessage[] = Array.from({ length: visits }, (_, i) => ({
    site,
    aid: randomId(),
    receivedAt: now,
    skew: 0,
    ttlDays: 7,
    events: visit(now - daysAgo(i) * DAY_MS - i * 60_000),
  }));
  for (let i = 0; i < messages.length; i += 20) {
    const slice = messages.slice(i, i + 20);
    const heads = await cartHeads(env.DB, slice);
    await env.DB.batch(slice.flatMap((m) => withShopperRollups(env.DB, m, statementsFor(env.DB, m, heads))));
  }
}

/** Rows D1 reads for the site's stats over the last 90 days (what computeStats and the dashboard read). */
async function statsRowsRead(site: number): Promise<number> {
  const today = Math.floor(Date.now() / DAY_MS);
  return (await rollupStatement(env.DB, site, today - 89, today + 1).all()).meta.rows_read;
}

describe("many sites in one D1", () => {
  it("a small site's stats read the same rows with a busy site at 0, 1× or 100× its data", async () => {
    const small = await seedSite(env.DB);
    const busy = await seedSite(env.DB);
    await ingest(small.id, 10, (i) => i % 5);
    const alone = await statsRowsRead(small.id);
    await ingest(busy.id, 10, (i) => i % 5);
    const besideEqual = await statsRowsRead(small.id);
    await ingest(busy.id, 990, (i) => i % 60);
    const besideBusy = await statsRowsRead(small.id);
    const busyReads = await statsRowsRead(busy.id);
    const figures = { smallVisits: 10, busyVisits: 1000, alone, besideEqual, besideBusy, busyRowsRead: busyReads };
    console.log(`capacity:sites ${JSON.stringify(figures)}`);
    expect(besideBusy).toBe(besideEqual);
    // A neighbour at all costs a range scan its stop row (the first key past the small site's range), never more.
    expect(besideEqual - alone).toBeLessThanOrEqual(2);
    // The busy site's own stats read its days' rollup rows, not its 1,000 shoppers' 3,000 events.
    expect(busyReads).toBeLessThan(1000);
  });
});
