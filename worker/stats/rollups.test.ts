// The rollups equal the raw rows (issue 21): random histories of events, sequences (excluded carts
// too, issue 22), claims, sends,
// clicks, credits, orders, redeliveries, erasures and purges, written through the collector's
// write functions (the ones the queue consumer, the person's object, the mail and SMS consumers,
// the link route, the orders API and the platforms call), then every figure of /v1/stats from the
// rollups compared with the same figures recomputed from the raw rows (worker/test/raw-stats.ts).
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, expect, it } from "vitest";
import type { CartbackEvent } from "../../protocol/types";
import { type IngestMessage, recordServerOrder, statementsFor } from "../db/browsers";
import { cartHeads } from "../db/cart-events";
import { recordOutcome } from "../db/feedback";
import { claimMessage, creditSequence, markSent, recordClick, startSequence } from "../db/ledger";
import { linkOrder } from "../db/platforms";
import { eraseRows } from "../db/privacy";
import { purgeSite } from "../db/retention";
import { withShopperRollups } from "../db/rollups";
import { markTextSent } from "../db/sms";
import { storeChunks } from "../ingest/store";
import type { Outcome } from "../mail/feedback/outcome";
import { EXCLUDED_WHY } from "../recovery/audience";
import type { Sequence } from "../recovery/person";
import { ORIGIN, seedSite } from "../test/helpers";
import { rawStats } from "../test/raw-stats";
import { computeStats, type Range } from "./figures";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const D0 = Date.parse("2026-11-01T00:00:00Z");
const RANGES: Range[] = [
  { from: "2026-10-25", to: "2026-11-20" },
  { from: "2026-11-02", to: "2026-11-02" },
  { from: "2026-11-01", to: "2026-11-03" },
];

beforeAll(async () => {
  // Every event ever stored, by the browser that had it: a purge moves its events to a browser of
  // their own ("aid#n"), as the shopper who comes back after it is counted again.
  await env.DB.prepare(
    `CREATE TABLE IF NOT EXISTS shadow_events (site_id INTEGER, id TEXT, aid TEXT, type TEXT, at INTEGER, data TEXT,
     PRIMARY KEY (site_id, id, aid))`,
  ).run();
});

const at = fc.integer({ min: 0, max: 4 * DAY - 1 }).map((t) => D0 + t);
const aidIx = fc.integer({ min: 0, max: 2 });
const seqIx = fc.integer({ min: 0, max: 4 });
const stepIx = fc.integer({ min: 0, max: 2 });
const event = fc.oneof(
  fc.record({ type: fc.constant("cart" as const), at, empty: fc.boolean() }),
  fc.record({ type: fc.constant("checkout" as const), at }),
  fc.record({ type: fc.constant("step" as const), at, code: fc.constantFrom("shipping", "payment", "review") }),
  fc.record({ type: fc.constant("purchase" as const), at, order: fc.integer({ min: 0, max: 4 }) }),
);
const op = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant("events" as const), aid: aidIx, events: fc.array(event, { minLength: 1, maxLength: 4 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("redeliver" as const),
      message: fc.nat(),
      keep: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("start" as const),
      seq: seqIx,
      aid: aidIx,
      at,
      reason: fc.constantFrom("reminder", "payment_failed", "extra_costs"),
      holdout: fc.boolean(),
      currency: fc.constantFrom("EUR", "USD"),
      value: fc.integer({ min: 0, max: 9000 }),
    }),
  },
  {
    // A cart the site's rules or audience excluded (issue 22): recorded as a sequence of its own status.
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("exclude" as const),
      seq: seqIx,
      aid: aidIx,
      at,
      why: fc.constantFrom(...EXCLUDED_WHY),
      currency: fc.constantFrom("EUR", "USD"),
      value: fc.integer({ min: 0, max: 9000 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("claim" as const), seq: seqIx, step: stepIx, sms: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("send" as const), seq: seqIx, step: stepIx, after: fc.integer({ min: 0, max: 60 * HOUR }) }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("click" as const), seq: seqIx, step: stepIx }) },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("outcome" as const),
      /** Which of the messages claimed so far the report is about. */
      claimed: fc.nat(),
      outcome: fc.constantFrom<Outcome>("delayed", "delivered", "soft_bounce", "hard_bounce", "complained"),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("credit" as const),
      seq: seqIx,
      order: fc.integer({ min: 0, max: 4 }),
      after: fc.oneof(fc.integer({ min: 0, max: 3 * HOUR }), fc.integer({ min: 0, max: 80 * HOUR })),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("order" as const), order: fc.integer({ min: 0, max: 4 }), aid: fc.option(aidIx), at }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("link" as const), order: fc.integer({ min: 0, max: 4 }), aid: aidIx }) },
  {
    // A queue batch: several browsers' messages (a browser twice, a redelivery among them) stored
    // as the consumer stores them, each statement once over all their rows (ingest/store.ts storeChunks).
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("batch" as const),
      messages: fc.array(fc.record({ aid: aidIx, events: fc.array(event, { minLength: 1, maxLength: 3 }) }), {
        minLength: 1,
        maxLength: 4,
      }),
      redeliver: fc.option(fc.nat()),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("erase" as const), aid: aidIx }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("purge" as const), now: fc.integer({ min: 7, max: 14 }).map((d) => D0 + d * DAY) }) },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** One site's history, run op by op through the write functions. */
async function run(site: number, ops: Op[]) {
  const db = env.DB;
  const aid = (i: number) => `b${site}-${i}`;
  const email = (i: number) => `b${i}@example.com`;
  const seqId = (i: number) => `q${site}-${i}`;
  const owner = new Map<number, { aid: number; at: number }>();
  const messages: IngestMessage[] = [];
  const claimed: string[] = [];
  let ids = 0;
  let purges = 0;
  const store = async (message: IngestMessage) => {
    await db.batch(withShopperRollups(db, message, statementsFor(db, message, await cartHeads(db, [message]))));
    await shadow();
  };
  const shadow = async () => {
    await db
      .prepare("INSERT OR IGNORE INTO shadow_events SELECT site_id, id, aid, type, at, data FROM events WHERE site_id = ?")
      .bind(site)
      .run();
  };
  const toEvents = (list: Extract<Op, { op: "events" }>["events"]) =>
    list.map((e): CartbackEvent => {
      const id = `e${site}-${++ids}`;
      if (e.type === "cart")
        return {
          id,
          at: e.at,
          type: "cart",
          action: "set",
          cart: { currency: "EUR", lines: e.empty ? [] : [{ id: "tea", name: "Tea", price: 500, quantity: 1 }] },
        };
      if (e.type === "step") return { id, at: e.at, type: "moment", kind: "step", code: e.code } as CartbackEvent;
      if (e.type === "purchase") return { id, at: e.at, type: "purchase", orderId: `o${e.order}`, total: 700, currency: "EUR" };
      return { id, at: e.at, type: "checkout" } as CartbackEvent;
    });
  for (const o of ops) {
    switch (o.op) {
      case "events": {
        const events = toEvents(o.events);
        const message: IngestMessage = { site, aid: aid(o.aid), receivedAt: D0 + 5 * DAY, skew: 0, ttlDays: 7, events };
        messages.push(message);
        await store(message);
        break;
      }
      case "batch": {
        const batch: IngestMessage[] = o.messages.map((m) => ({
          site,
          aid: aid(m.aid),
          receivedAt: D0 + 5 * DAY,
          skew: 0,
          ttlDays: 7,
          events: toEvents(m.events),
        }));
        const again = o.redeliver === null ? undefined : messages[o.redeliver % Math.max(1, messages.length)];
        messages.push(...batch);
        if (again) batch.push(again);
        for (const { statements } of storeChunks(db, batch, (m) => m, await cartHeads(db, batch))) await db.batch(statements);
        await shadow();
        break;
      }
      case "redeliver": {
        // The same batch again, or some of its events in another batch (a browser's retry).
        const m = messages[o.message % Math.max(1, messages.length)];
        if (!m) break;
        const events = m.events.filter((_, i) => o.keep[i % 4]);
        await store({ ...m, events: events.length ? events : m.events });
        break;
      }
      case "start": {
        const s = {
          id: seqId(o.seq),
          aid: aid(o.aid),
          basedOn: o.at,
          value: o.value,
          currency: o.currency,
          reason: o.reason,
          status: o.holdout ? "holdout" : "active",
        };
        await startSequence(db, site, email(o.aid), s as unknown as Sequence, o.at);
        if (!owner.has(o.seq)) owner.set(o.seq, { aid: o.aid, at: o.at });
        break;
      }
      case "exclude": {
        const s = { id: seqId(o.seq), aid: aid(o.aid), basedOn: o.at, value: o.value, currency: o.currency, reason: "reminder" };
        await startSequence(db, site, email(o.aid), { ...s, status: "excluded", excluded: o.why } as unknown as Sequence, o.at);
        if (!owner.has(o.seq)) owner.set(o.seq, { aid: o.aid, at: o.at });
        break;
      }
      case "claim": {
        const s = owner.get(o.seq);
        if (!s) break;
        const claim = {
          id: `${seqId(o.seq)}-${o.step}`,
          sequenceId: seqId(o.seq),
          step: o.step,
          template: "reminder",
          dueAt: s.at,
          abandonedAt: s.at,
        };
        await claimMessage(db, site, email(s.aid), { ...claim, ...(o.sms && { channel: "sms", phone: "+34600111222" }) } as never, s.at);
        claimed.push(claim.id);
        break;
      }
      case "send": {
        const s = owner.get(o.seq);
        const id = `${seqId(o.seq)}-${o.step}`;
        if (o.step % 2) await markTextSent(db, id, (s?.at ?? D0) + o.after, `SM${id}`, "text", "en", "+34600111222");
        else await markSent(db, id, (s?.at ?? D0) + o.after, undefined, "subject", "en");
        break;
      }
      case "click":
        await recordClick(db, `${seqId(o.seq)}-${o.step}`, D0 + 4 * DAY);
        break;
      case "outcome":
        // A provider's report, in any order and again: kept by rank (worker/mail/feedback/), counted by outcome.
        if (claimed.length) await recordOutcome(db, claimed[o.claimed % claimed.length] as string, o.outcome, D0 + 4 * DAY);
        break;
      case "credit": {
        const s = owner.get(o.seq);
        await creditSequence(db, seqId(o.seq), { orderId: `o${o.order}`, total: 1000 + o.order, at: (s?.at ?? D0) + o.after });
        break;
      }
      case "order":
        await recordServerOrder(db, site, {
          orderId: `o${o.order}`,
          aid: o.aid === null ? undefined : aid(o.aid),
          total: 700,
          currency: "EUR",
          at: o.at,
        });
        break;
      case "link":
        await linkOrder(db, site, `o${o.order}`, aid(o.aid));
        break;
      case "erase": {
        // An erasure takes the browser's live events: they leave the shadow too (what a purge took stays counted).
        await db
          .prepare(
            "DELETE FROM shadow_events WHERE site_id = ?1 AND aid = ?2 AND id IN (SELECT id FROM events WHERE site_id = ?1 AND aid = ?2)",
          )
          .bind(site, aid(o.aid))
          .run();
        await eraseRows(db, site, { aids: [aid(o.aid)], emails: [email(o.aid)], phones: [], userIds: [] });
        break;
      }
      case "purge": {
        await purgeSite(db, site, o.now - 7 * DAY, o.now);
        purges++;
        await db
          .prepare(
            "UPDATE shadow_events SET aid = aid || '#' || ?2 WHERE site_id = ?1 AND instr(aid, '#') = 0 AND id NOT IN (SELECT id FROM events WHERE site_id = ?1)",
          )
          .bind(site, purges)
          .run();
        break;
      }
    }
  }
}

/** Rollup figures and raw figures of a range, the median aside (compared within its bucket). */
async function compare(site: number, range: Range) {
  const fromRollups = await computeStats(env.DB, site, range);
  const fromRows = await rawStats(env.DB, site, range);
  // The mail figures on their own as well: seen, with the `outcome` rollup rows broken, to pass the
  // whole-object comparison below while differing here (not investigated further: issue 22 session).
  expect(fromRollups.mail).toEqual(fromRows.mail);
  expect({ ...fromRollups, medianTimeToRecoverMs: null }).toEqual({ ...fromRows, medianTimeToRecoverMs: null });
  const [a, b] = [fromRollups.medianTimeToRecoverMs, fromRows.medianTimeToRecoverMs];
  expect(a === null).toBe(b === null);
  // Within one bucket of the histogram (TTR_BUCKET): a minute under 2 h, 6 minutes under 2 days, 0.1 day beyond.
  if (a !== null && b !== null) expect(Math.abs(a - b)).toBeLessThanOrEqual(b < 2 * HOUR ? 60_000 : b < 48 * HOUR ? 360_000 : 8_640_000);
}

it("every figure from the rollups equals the raw rows' after any history of writes, redeliveries, erasures and purges", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
      const { id } = await seedSite(env.DB, [ORIGIN]);
      await run(id, ops);
      for (const range of RANGES) await compare(id, range);
    }),
    { numRuns: 60 },
  );
}, 120_000);
