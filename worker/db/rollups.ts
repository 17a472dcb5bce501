// Rollups (issue 21): every figure the stats show, per site and day, in one table (`rollups`,
// migration 0018) kept current by the statements that change the facts, in the same D1 batch. A
// range's figures are sums of its days' rows, so a stats request reads a few hundred rows whatever
// the shop's history. This file is the table's whole shape: what each kind holds, and the
// statements that keep it.
//
// Kinds (`dim` is a JSON array, the figure's key within its kind; `day` is days since 1970-01-01 UTC):
// - abandoned [reason, holdout, currency], by the day the cart went quiet: n sequences, v their value
//   (an excluded cart is not one of them: it counts only as excluded)
// - excluded [why, currency], by the day the cart went quiet: n carts the site's rules or audience
//   gave no recovery (recovery/audience.ts EXCLUDED_WHY), v their value
// - recovered [reason, holdout, currency]: n recovered sequences, v their recovered revenue
// - ttr [bucket]: treated recoveries by time to recover (TTR_BUCKET), n of them, v the sum of their times
// - messages [step, channel], by the day the cart went quiet: n recovery messages claimed, v sent
// - clicked [step, channel]: n messages clicked
// - outcome [outcome]: n recovery emails (channel email) whose provider last reported that outcome (delivered,
//   delayed, soft_bounce, hard_bounce, complained; issue 22.3), by the day the cart went quiet
// - converted [step, channel]: recoveries credited to the last message sent before the order (n, v revenue)
// - stage [stage] (cart, checkout, step:<code>): n shoppers who first reached it that day; [purchase]:
//   n distinct buyers that day (a browser id, or the order itself when it has none)
// - rank [step]: of the shoppers first reaching the step that day, n of them and v the sum of the
//   step's positions in their checkouts (the stats order steps by the mean position)
//
// How they stay right whatever is redelivered or retried: sequences, messages and shoppers are
// "retracted and re-added" around each write: the batch subtracts what the rows contributed,
// writes, and adds what they contribute now. A write that changes nothing (a redelivered batch,
// a retried send) nets zero; one that changes something counts its change once. Purchases are
// recounted from `orders` for the days a write touched (an absolute figure, idempotent by nature).
// The retention job deletes events without retracting them (their figures stay), an erasure
// retracts what it removes.
import { DAY_MS } from "../../protocol/limits";

const DAY = DAY_MS;

export type RollupKind =
  | "abandoned"
  | "excluded"
  | "recovered"
  | "ttr"
  | "messages"
  | "clicked"
  | "converted"
  | "outcome"
  | "stage"
  | "rank";

/** One row of `rollups` as the stats read it. */
export interface RollupRow {
  day: number;
  kind: RollupKind;
  dim: string;
  n: number;
  v: number;
}

/**
 * The funnel stage an event counts towards, or NULL. Purchases are not a stage here: they are
 * counted from `orders`, which is never purged.
 */
export const STAGE = `CASE WHEN type IN ('cart', 'checkout') THEN type
  WHEN type = 'moment' AND json_extract(data, '$.kind') = 'step' THEN 'step:' || json_extract(data, '$.code') END`;

/**
 * TTR_BUCKET. The bucket (its start, in minutes) of a time to recover `t` in ms: a minute under
 * 2 hours, 6 minutes (0.1 h) under 2 days, 144 minutes (0.1 day) beyond, the precision the
 * dashboard shows the median in (html/format.ts formatDuration).
 */
export const TTR_BUCKET = (t: string) =>
  `CASE WHEN ${t} < 7200000 THEN ${t} / 60000 WHEN ${t} < 172800000 THEN ${t} / 360000 * 6 ELSE ${t} / 8640000 * 144 END`;

const ADD = "ON CONFLICT (site_id, day, kind, dim) DO UPDATE SET n = n + excluded.n, v = v + excluded.v";

/**
 * What the sequences of `target` (an SQL list of sequence ids) and their messages contribute,
 * times the sign bound as ?1. Mirrors, sequence by sequence, the raw queries of rollups.test.ts.
 */
const sequenceSql = (target: string) => `WITH target(id) AS (${target})
INSERT INTO rollups (site_id, day, kind, dim, n, v)
SELECT site_id, day, kind, dim, sum(n) * ?1, sum(v) * ?1 FROM (
  SELECT s.site_id, s.abandoned_at / ${DAY} AS day, k.value AS kind,
    CASE k.value WHEN 'ttr' THEN json_array(${TTR_BUCKET("(s.recovered_at - s.abandoned_at)")})
      WHEN 'excluded' THEN json_array(s.stop_reason, s.currency) ELSE json_array(s.reason, s.holdout, s.currency) END AS dim,
    CASE WHEN (k.value = 'excluded') <> (s.status = 'excluded') THEN 0 WHEN k.value IN ('abandoned', 'excluded') THEN 1
      WHEN k.value = 'recovered' THEN s.recovered_order_id IS NOT NULL ELSE s.holdout = 0 AND s.recovered_at IS NOT NULL END AS n,
    CASE WHEN (k.value = 'excluded') <> (s.status = 'excluded') THEN 0 WHEN k.value IN ('abandoned', 'excluded') THEN s.value
      WHEN k.value = 'recovered' THEN iif(s.recovered_order_id IS NOT NULL, coalesce(s.recovered_value, 0), 0)
      ELSE iif(s.holdout = 0 AND s.recovered_at IS NOT NULL, s.recovered_at - s.abandoned_at, 0) END AS v
    FROM sequences s, json_each('["abandoned","recovered","ttr","excluded"]') k WHERE s.id IN target
  UNION ALL
  SELECT m.site_id, m.abandoned_at / ${DAY}, k.value, json_array(m.step, m.channel),
    iif(k.value = 'messages', count(*), count(m.clicked_at)), iif(k.value = 'messages', count(m.sent_at), 0)
    FROM messages m, json_each('["messages","clicked"]') k WHERE m.sequence_id IN target AND m.kind = 'recovery' AND m.abandoned_at IS NOT NULL
    GROUP BY m.site_id, m.abandoned_at, m.step, m.channel, k.value
  UNION ALL
  SELECT m.site_id, m.abandoned_at / ${DAY}, 'outcome', json_array(m.outcome), count(*), 0
    FROM messages m WHERE m.sequence_id IN target AND m.kind = 'recovery' AND m.channel = 'email' AND m.abandoned_at IS NOT NULL AND m.outcome IS NOT NULL
    GROUP BY m.site_id, m.abandoned_at / ${DAY}, m.outcome
  UNION ALL
  SELECT s.site_id, s.abandoned_at / ${DAY}, 'converted', json_array(m.step, m.channel), 1, coalesce(s.recovered_value, 0)
    FROM sequences s JOIN messages m ON m.id = (SELECT x.id FROM messages x WHERE x.sequence_id = s.id AND x.kind = 'recovery'
      AND x.sent_at IS NOT NULL AND x.sent_at <= s.recovered_at ORDER BY x.step DESC LIMIT 1)
    WHERE s.id IN target AND s.holdout = 0 AND s.recovered_order_id IS NOT NULL AND s.status <> 'excluded'
) WHERE n <> 0 OR v <> 0 GROUP BY site_id, day, kind, dim ${ADD}`;

/**
 * What the browsers of `aids` (an SQL list, site bound as ?2) contribute to the funnel, times the
 * sign bound as ?1: each stage on the day the browser first reached it, and each step's position
 * (1 for the step it reached first, …) in its checkout.
 */
const shopperSql = (aids: string) => `WITH firsts AS (
  -- By the browser's index: left to itself SQLite walks the site's whole primary key (every event
  -- of the site) to find one browser's, and each visit would cost more than the one before
  -- (worker/capacity/capacity.test.ts).
  SELECT aid, ${STAGE} AS stage, min(at) AS first_at FROM events INDEXED BY events_shopper
  WHERE site_id = ?2 AND aid IN (${aids}) AND type IN ('cart', 'checkout', 'moment') GROUP BY aid, stage
), steps AS (
  SELECT substr(stage, 6) AS step, first_at, rank() OVER (PARTITION BY aid ORDER BY first_at) AS position FROM firsts WHERE stage LIKE 'step:%'
)
INSERT INTO rollups (site_id, day, kind, dim, n, v)
SELECT ?2, first_at / ${DAY}, 'stage', json_array(stage), count(*) * ?1, 0 FROM firsts WHERE stage IS NOT NULL GROUP BY first_at / ${DAY}, stage
UNION ALL
SELECT ?2, first_at / ${DAY}, 'rank', json_array(step), count(*) * ?1, sum(position) * ?1 FROM steps GROUP BY first_at / ${DAY}, step
${ADD}`;

/** Distinct buyers of the site (?1) on each of `days` (an SQL select of `day`), recounted from `orders`. */
const purchaseSql = (days: string) => `INSERT INTO rollups (site_id, day, kind, dim, n, v)
SELECT ?1, d.day, 'stage', '["purchase"]', (SELECT count(DISTINCT coalesce(o.aid, 'order:' || o.order_id)) FROM orders o
  WHERE o.site_id = ?1 AND o.at >= d.day * ${DAY} AND o.at < (d.day + 1) * ${DAY}), 0
FROM (${days}) d WHERE d.day IS NOT NULL
ON CONFLICT (site_id, day, kind, dim) DO UPDATE SET n = excluded.n`;

const SEQUENCES = "SELECT value FROM json_each(?2)";
const MESSAGE_SEQUENCE = "SELECT sequence_id FROM messages WHERE id = ?2";

/**
 * A write to one sequence (or to one of its messages: `{ message }`) with its rollups kept, as
 * statements for one D1 batch: retract what the sequence contributes, `write`, add it back.
 *
 * @example
 * await db.batch([...withSequenceStatements(db, { sequence: a }, writeA), ...withSequenceStatements(db, { sequence: b }, writeB)]);
 */
export function withSequenceStatements(
  db: D1Database,
  which: { sequence: string } | { message: string | null },
  write: D1PreparedStatement,
): D1PreparedStatement[] {
  if ("sequence" in which) return withSequencesStatements(db, [which.sequence], [write]);
  const sql = sequenceSql(MESSAGE_SEQUENCE);
  return [db.prepare(sql).bind(-1, which.message), write, db.prepare(sql).bind(1, which.message)];
}

/**
 * Writes to many sequences (and their messages) with their rollups kept at a cost that follows the
 * batch: one statement retracts what all of `sequences` contribute, the writes run, one adds it
 * back. Inside one D1 batch this nets the same as retracting and adding around each write.
 *
 * @example
 * await db.batch(withSequencesStatements(db, [a, b], [startA, claimA, startB]));
 */
export function withSequencesStatements(db: D1Database, sequences: string[], writes: D1PreparedStatement[]): D1PreparedStatement[] {
  const sql = sequenceSql(SEQUENCES);
  const list = JSON.stringify([...new Set(sequences)]);
  return [db.prepare(sql).bind(-1, list), ...writes, db.prepare(sql).bind(1, list)];
}

/**
 * Runs `withSequenceStatements` as one D1 batch and returns the write's own result.
 *
 * @example
 * const result = await withSequenceRollups(env.DB, { sequence: id }, stmt);
 */
export async function withSequenceRollups(
  db: D1Database,
  which: { sequence: string } | { message: string | null },
  write: D1PreparedStatement,
): Promise<D1Result> {
  const [, result] = await db.batch(withSequenceStatements(db, which, write));
  return result as D1Result;
}

/**
 * An ingest message's statements with the funnel kept: the browser's contribution retracted
 * before and added after them, and its purchase days recounted when the message has an order or a
 * platform token (which can tie an earlier order to the browser).
 *
 * @example
 * await env.DB.batch(withShopperRollups(env.DB, message, statementsFor(env.DB, message, heads)));
 */
export function withShopperRollups(
  db: D1Database,
  message: { site: number; aid: string; events: { type: string }[] },
  statements: D1PreparedStatement[],
): D1PreparedStatement[] {
  return withShoppersRollups(db, [message], statements);
}

/**
 * Many ingest messages' statements (one D1 batch) with the funnel kept, at a cost that follows the
 * batch, not its messages: per site, one statement retracts every browser's contribution before
 * them all and one adds it back after (a browser named twice counts once: `IN` keeps a set), and
 * one recounts the purchase days of the browsers with an order or a platform token. Inside one
 * transaction this nets the same as retracting and adding around each message.
 *
 * @example
 * await env.DB.batch(withShoppersRollups(env.DB, messages, messages.flatMap((m) => statementsFor(env.DB, m, heads))));
 */
export function withShoppersRollups(
  db: D1Database,
  messages: { site: number; aid: string; events: { type: string }[] }[],
  statements: D1PreparedStatement[],
): D1PreparedStatement[] {
  const sites = new Map<number, { aids: Set<string>; buyers: Set<string> }>();
  for (const { site, aid, events } of messages) {
    const of = sites.get(site) ?? { aids: new Set(), buyers: new Set() };
    of.aids.add(aid);
    if (events.some((e) => e.type === "purchase" || e.type === "ref")) of.buyers.add(aid);
    sites.set(site, of);
  }
  const funnel = shopperSql("SELECT value FROM json_each(?3)");
  const before: D1PreparedStatement[] = [];
  const after: D1PreparedStatement[] = [];
  for (const [site, { aids, buyers }] of sites) {
    const list = JSON.stringify([...aids]);
    before.push(db.prepare(funnel).bind(-1, site, list));
    after.push(db.prepare(funnel).bind(1, site, list));
    if (buyers.size)
      after.push(
        db
          .prepare(
            purchaseSql(`SELECT DISTINCT at / ${DAY} AS day FROM orders WHERE site_id = ?1 AND aid IN (SELECT value FROM json_each(?2))`),
          )
          .bind(site, JSON.stringify([...buyers])),
      );
  }
  return [...before, ...statements, ...after];
}

/**
 * The statement that recounts the buyers of the day of order `orderId` (after it was stored or
 * tied to a browser).
 *
 * @example
 * await db.batch([insertOrder, recountOrderDay(db, site, orderId)]);
 */
export const recountOrderDay = (db: D1Database, site: number, orderId: string) =>
  db.prepare(purchaseSql(`SELECT at / ${DAY} AS day FROM orders WHERE site_id = ?1 AND order_id = ?2`)).bind(site, orderId);

/**
 * The days on which these browsers have orders: an erasure recounts them once it untied the orders.
 *
 * @example
 * const days = await orderDaysOf(env.DB, site, aids);
 */
export const orderDaysOf = async (db: D1Database, site: number, aids: string[]): Promise<number[]> =>
  (
    await db
      .prepare(`SELECT DISTINCT at / ${DAY} AS day FROM orders WHERE site_id = ?1 AND aid IN (SELECT value FROM json_each(?2))`)
      .bind(site, JSON.stringify(aids))
      .all<{ day: number }>()
  ).results.map((r) => r.day);

/**
 * An erasure's rollup statements: `before` retracts the browsers' funnel and the sequences of
 * these person keys (run before anything is deleted); `after` recounts the buyers of `orderDays`.
 *
 * @example
 * const r = erasureRollups(db, site, aids, keys, days); await db.batch([...r.before, ...deletes, ...r.after]);
 */
export function erasureRollups(db: D1Database, site: number, aids: string[], keys: string[], orderDays: number[]) {
  const sequences = "SELECT id FROM sequences WHERE site_id = ?3 AND lower(email) IN (SELECT value FROM json_each(?2))";
  return {
    before: [
      db.prepare(shopperSql("SELECT value FROM json_each(?3)")).bind(-1, site, JSON.stringify(aids)),
      db.prepare(sequenceSql(sequences)).bind(-1, JSON.stringify(keys), site),
    ],
    after: [db.prepare(purchaseSql("SELECT value AS day FROM json_each(?2)")).bind(site, JSON.stringify(orderDays))],
  };
}

/**
 * A site's rollups computed again from its rows: sequences and messages, live events, orders.
 * For rows written without the collector's write paths (a test's fixtures, an import). What a
 * purge removed is not in the rows: rebuild only a site that was never purged.
 *
 * @example
 * await rebuildRollups(env.DB, site.id);
 */
export async function rebuildRollups(db: D1Database, site: number): Promise<void> {
  await db.batch([
    db.prepare("DELETE FROM rollups WHERE site_id = ?").bind(site),
    db.prepare(sequenceSql("SELECT id FROM sequences WHERE site_id = ?2")).bind(1, site),
    db.prepare(shopperSql("SELECT DISTINCT aid FROM events WHERE site_id = ?2")).bind(1, site),
    db.prepare(purchaseSql(`SELECT DISTINCT at / ${DAY} AS day FROM orders WHERE site_id = ?1`)).bind(site),
  ]);
}

/**
 * A site's rollup rows for days [fromDay, toDay), with what retention jobs before rollups folded
 * into `funnel_daily` (its "purchase" rows left out: `orders` has them).
 *
 * @example
 * const rows = await rollupRows(env.DB, site.id, 20400, 20490);
 */
export const rollupRows = (db: D1Database, site: number, fromDay: number, toDay: number) =>
  rollupStatement(db, site, fromDay, toDay)
    .all<RollupRow>()
    .then((r) => r.results);

/** The statement of `rollupRows`, for a batch of reads (the dashboard's). */
export const rollupStatement = (db: D1Database, site: number, fromDay: number, toDay: number) =>
  db
    .prepare(
      `SELECT day, kind, dim, n, v FROM rollups WHERE site_id = ?1 AND day >= ?2 AND day < ?3 AND (n <> 0 OR v <> 0)
       UNION ALL
       SELECT day, CASE WHEN stage LIKE 'rank:%' OR stage LIKE 'ranked:%' THEN 'rank' ELSE 'stage' END,
         json_array(CASE WHEN stage LIKE 'rank:%' THEN substr(stage, 6) WHEN stage LIKE 'ranked:%' THEN substr(stage, 8) ELSE stage END),
         CASE WHEN stage LIKE 'rank:%' THEN 0 ELSE shoppers END, CASE WHEN stage LIKE 'rank:%' THEN shoppers ELSE 0 END
       FROM funnel_daily WHERE site_id = ?1 AND day >= ?2 AND day < ?3 AND stage <> 'purchase'`,
    )
    .bind(site, fromDay, toDay);
