// Routes for `npm run bench:stats` (issue 21.7), on a local collector only: seed carts through the
// collector's own write functions (the ingest consumer's statements with their rollups, the person
// object's sequence and claim, the mail consumer's send, the link's click, the credit), read one
// row by primary key (the bench's anchor), and run the retention job with a clock of its choosing.
import { Hono } from "hono";
import * as v from "valibot";
import type { CartbackEvent } from "../../protocol/types";
import type { IngestMessage } from "../db/browsers";
import { cartHeads } from "../db/cart-events";
import { claimRow, clickRow, creditRow, sentRow, sequenceRow, startRow } from "../db/ledger";
import { purgeSite } from "../db/retention";
import { withSequencesStatements } from "../db/rollups";
import { mergedStatements, type Row } from "../db/rows";
import { ApiError } from "../http/errors";
import { isLocalHost } from "../http/local";
import { valid } from "../http/validate";
import { storeChunks } from "../ingest/store";
import type { Sequence } from "../recovery/person";
import { findSite } from "../sites/sites";

type Dev = { Bindings: Env };

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The ingest queue's max_batch_size (wrangler.toml): the seed stores carts as the consumer would get them. */
const INGEST_BATCH = 100;
const REASONS = ["payment_failed", "extra_costs", "question", "reminder"] as const;

const SeedQuery = v.object({
  site: v.string(),
  from: v.pipe(v.string(), v.transform(Number), v.integer()),
  count: v.pipe(v.string(), v.transform(Number), v.integer(), v.minValue(1), v.maxValue(5000)),
  start: v.pipe(v.string(), v.transform(Number), v.integer()),
  /** "0": the browsers' events only (the retention bench), no sequences. */
  sequences: v.optional(v.picklist(["0", "1"]), "1"),
});

/** Cart `i` of the bench: when it went quiet, and what the shopper did before (deterministic). */
function benchCart(i: number, start: number) {
  const t = start + ((i * 77_777_777) % (90 * DAY));
  const aid = `bench-${i}`;
  const recovered = i % 7 === 0;
  const line = { id: `p${i % 50}`, name: `Product ${i % 50}`, price: 1000 + ((i * 37) % 9000), quantity: 1 };
  const events: CartbackEvent[] = [
    { id: `${aid}-c`, at: t - 10 * 60_000, type: "cart", action: "set", cart: { currency: "EUR", lines: [line] } },
  ];
  if (i % 2 === 0) events.push({ id: `${aid}-k`, at: t - 5 * 60_000, type: "checkout" } as CartbackEvent);
  if (i % 3 === 0) events.push({ id: `${aid}-s`, at: t - 60_000, type: "moment", kind: "step", code: "payment" } as CartbackEvent);
  if (recovered)
    events.push({ id: `${aid}-p`, at: t + 2 * HOUR, type: "purchase", orderId: `o-${aid}`, total: line.price, currency: "EUR" });
  const message: IngestMessage = { site: 0, aid, receivedAt: t + 3 * HOUR, skew: 0, ttlDays: 7, events };
  return { t, aid, message, value: line.price, recovered, holdout: i % 20 === 0, reason: REASONS[i % REASONS.length] as string };
}

/** The writes of cart `cart`'s sequence (rows.ts rows): started, claimed, sent, clicked and credited as it went. */
function sequenceRows(site: number, email: string, cart: ReturnType<typeof benchCart>): Row[] {
  const id = `seq-${cart.aid}`;
  const sequence = {
    id,
    aid: cart.aid,
    basedOn: cart.t,
    value: cart.value,
    currency: "EUR",
    reason: cart.reason,
    status: cart.holdout ? "holdout" : "active",
  };
  const claim = { id: `${id}-0`, sequenceId: id, step: 0, template: "reminder", dueAt: cart.t + HOUR, abandonedAt: cart.t } as const;
  return [
    startRow(site, email, sequence as unknown as Sequence, cart.t + 30 * 60_000),
    ...(cart.holdout
      ? []
      : [
          claimRow(site, email, claim, cart.t + 30 * 60_000),
          sentRow(claim.id, cart.t + HOUR, undefined, "Your cart", "en"),
          ...(cart.recovered ? [clickRow(claim.id, cart.t + 90 * 60_000)] : []),
        ]),
    ...(cart.recovered ? [creditRow(id, { orderId: `o-${cart.aid}`, total: cart.value, at: cart.t + 2 * HOUR })] : []),
  ];
}

const localOnly = (env: Env, url: string) => {
  if (!isLocalHost(url) || env.MAIL_PROVIDER !== "outbox")
    throw new ApiError(404, "not_found", "bench routes exist only on a local collector");
};

/**
 * `POST /dev/bench/seed?site=&from=&count=&start=[&sequences=0]`: carts `from` … `from + count - 1`; `GET
 * /dev/bench/anchor?id=`: one sequence by primary key; `POST /dev/bench/retention?site=&now=`: the
 * retention job over that site as if the clock said `now`, with its longest statement.
 *
 * @example
 * await fetch(`${origin}/dev/bench/seed?site=${key}&from=0&count=2000&start=${start}`, { method: "POST" });
 */
export const bench = new Hono<Dev>()
  .use("/dev/bench/*", async (c, next) => {
    localOnly(c.env, c.req.url);
    await next();
  })
  .post("/dev/bench/seed", valid("query", SeedQuery, "invalid_query", "site, from, count (1-5000), start", 400), async (c) => {
    const { site: key, from, count, start, sequences } = c.req.valid("query");
    const site = await findSite(c.env.DB, key);
    if (!site) throw new ApiError(404, "not_found", "no such site");
    const db = c.env.DB;
    const carts = Array.from({ length: count }, (_, k) => benchCart(from + k, start));
    // As the ingest consumer stores a queue batch: the same chunks of statements with their rollups.
    const t0 = Date.now();
    const messages = carts.map((cart) => ({ ...cart.message, site: site.id }));
    for (let k = 0; k < messages.length; k += INGEST_BATCH) {
      const batch = messages.slice(k, k + INGEST_BATCH);
      for (const { statements } of storeChunks(db, batch, (m) => m, await cartHeads(db, batch))) await db.batch(statements);
    }
    const t1 = Date.now();
    // As the person's object, the mail consumer and the link route write a sequence's life (their
    // statements), with the rollups kept once for a batch of carts.
    const email = (aid: string) => `${aid}@example.com`;
    for (let k = 0; sequences === "1" && k < carts.length; k += INGEST_BATCH) {
      const batch = carts.slice(k, k + INGEST_BATCH);
      const ids = batch.map((cart) => `seq-${cart.aid}`);
      const writes = mergedStatements(
        db,
        batch.map((cart) => sequenceRows(site.id, email(cart.aid), cart)),
      );
      await db.batch(withSequencesStatements(db, ids, writes));
    }
    return c.json({ seeded: count, ingestMs: t1 - t0, sequencesMs: Date.now() - t1 });
  })
  .get("/dev/bench/anchor", async (c) => c.json(await sequenceRow(c.env.DB, c.req.query("id") ?? "")))
  .post("/dev/bench/retention", async (c) => {
    const site = await findSite(c.env.DB, c.req.query("site") ?? "");
    if (!site) throw new ApiError(404, "not_found", "no such site");
    const now = Number(c.req.query("now"));
    return c.json(await purgeSite(c.env.DB, site.id, now - site.settings.cartTtlDays * DAY, now));
  });
