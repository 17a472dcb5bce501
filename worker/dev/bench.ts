// Routes for `npm run bench:stats` (issue 21.7), on a local collector only: seed carts through the
// collector's own write functions (the ingest consumer's statements with their rollups, the person
// object's sequence and claim, the mail consumer's send, the link's click, the credit), read one
// row by primary key (the bench's anchor), and run the retention job with a clock of its choosing.
import { Hono } from "hono";
import * as v from "valibot";
import type { CartbackEvent } from "../../protocol/types";
import { type IngestMessage, statementsFor } from "../db/browsers";
import { cartHeads } from "../db/cart-events";
import { claimStatement, clickStatement, creditStatement, sentStatement, sequenceRow, startStatement } from "../db/ledger";
import { purgeSite } from "../db/retention";
import { withSequenceStatements, withShopperRollups } from "../db/rollups";
import { ApiError } from "../http/errors";
import { isLocalHost } from "../http/local";
import { valid } from "../http/validate";
import type { Sequence } from "../recovery/person";
import { findSite } from "../sites/sites";

type Dev = { Bindings: Env };

const DAY = 86_400_000;
const HOUR = 3_600_000;
const REASONS = ["payment_failed", "extra_costs", "question", "reminder"] as const;

const SeedQuery = v.object({
  site: v.string(),
  from: v.pipe(v.string(), v.transform(Number), v.integer()),
  count: v.pipe(v.string(), v.transform(Number), v.integer(), v.minValue(1), v.maxValue(5000)),
  start: v.pipe(v.string(), v.transform(Number), v.integer()),
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

const localOnly = (env: Env, url: string) => {
  if (!isLocalHost(url) || env.MAIL_PROVIDER !== "outbox")
    throw new ApiError(404, "not_found", "bench routes exist only on a local collector");
};

/**
 * `POST /dev/bench/seed?site=&from=&count=&start=`: carts `from` … `from + count - 1`; `GET
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
    const { site: key, from, count, start } = c.req.valid("query");
    const site = await findSite(c.env.DB, key);
    if (!site) throw new ApiError(404, "not_found", "no such site");
    const db = c.env.DB;
    const carts = Array.from({ length: count }, (_, k) => benchCart(from + k, start));
    // As the ingest consumer stores a queue batch: each message's statements with their rollups, ~400 a D1 batch.
    const messages = carts.map((cart) => ({ ...cart.message, site: site.id }));
    const heads = await cartHeads(db, messages);
    let statements: D1PreparedStatement[] = [];
    for (const message of messages) {
      statements.push(...withShopperRollups(db, message, statementsFor(db, message, heads)));
      if (statements.length >= 400) {
        await db.batch(statements);
        statements = [];
      }
    }
    if (statements.length) await db.batch(statements);
    // As the person's object, the mail consumer and the link route write a sequence's life (their
    // statements with the rollups they keep, many carts a batch).
    const email = (aid: string) => `${aid}@example.com`;
    for (let k = 0; k < carts.length; k += 40) {
      await db.batch(
        carts.slice(k, k + 40).flatMap((cart) => {
          const id = `seq-${cart.aid}`;
          const with_ = (write: D1PreparedStatement) => withSequenceStatements(db, { sequence: id }, write);
          const sequence = {
            id,
            aid: cart.aid,
            basedOn: cart.t,
            value: cart.value,
            currency: "EUR",
            reason: cart.reason,
            status: cart.holdout ? "holdout" : "active",
          };
          const claim = {
            id: `${id}-0`,
            sequenceId: id,
            step: 0,
            template: "reminder",
            dueAt: cart.t + HOUR,
            abandonedAt: cart.t,
          } as const;
          return [
            ...with_(startStatement(db, site.id, email(cart.aid), sequence as unknown as Sequence, cart.t + 30 * 60_000)),
            ...(cart.holdout
              ? []
              : [
                  ...with_(claimStatement(db, site.id, email(cart.aid), claim, cart.t + 30 * 60_000)),
                  ...with_(sentStatement(db, claim.id, cart.t + HOUR, undefined, "Your cart", "en")),
                  ...(cart.recovered ? with_(clickStatement(db, claim.id, cart.t + 90 * 60_000)) : []),
                ]),
            ...(cart.recovered
              ? with_(creditStatement(db, id, { orderId: `o-${cart.aid}`, total: cart.value, at: cart.t + 2 * HOUR }))
              : []),
          ];
        }),
      );
    }
    return c.json({ seeded: count });
  })
  .get("/dev/bench/anchor", async (c) => c.json(await sequenceRow(c.env.DB, c.req.query("id") ?? "")))
  .post("/dev/bench/retention", async (c) => {
    const site = await findSite(c.env.DB, c.req.query("site") ?? "");
    if (!site) throw new ApiError(404, "not_found", "no such site");
    const now = Number(c.req.query("now"));
    return c.json(await purgeSite(c.env.DB, site.id, now - site.settings.cartTtlDays * DAY, now));
  });
