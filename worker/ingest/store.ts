import { normalEmail } from "../../protocol/email";
import { DAY_MS } from "../../protocol/limits";
import type { Cart, CartbackEvent } from "../../protocol/types";
import { observeBatches } from "../recovery/observe";
import type { IngestMessage } from "./message";

// Every statement here is idempotent and order-independent: an event id is stored once, and a
// cart row only moves forward in (browser time, event id), values fixed per event. So a redelivered message, or batches that
// arrive out of order, leave the same rows as one clean delivery.

/** The event's time on the collector's clock: corrected for the browser's skew, never ahead. */
export const correctedAt = (message: IngestMessage, event: CartbackEvent): number => Math.min(event.at + message.skew, message.receivedAt);

const cartValue = (cart: Cart): [items: number, value: number] =>
  cart.lines.reduce(([items, value], l) => [items + l.quantity, value + l.price * l.quantity], [0, 0]);

/** The statements that store one accepted batch. They run in one D1 batch, so all or none land. */
export function statementsFor(db: D1Database, message: IngestMessage): D1PreparedStatement[] {
  const { site, aid, receivedAt, ttlDays } = message;
  const times = message.events.map((e) => correctedAt(message, e));
  const statements = [
    db
      .prepare(
        `INSERT INTO shoppers (site_id, aid, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (site_id, aid) DO UPDATE SET
           first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
      )
      .bind(site, aid, Math.min(...times), Math.max(...times)),
  ];
  message.events.forEach((event, i) => {
    const at = times[i] as number;
    statements.push(
      db
        .prepare(
          `INSERT OR IGNORE INTO events (site_id, id, aid, type, at, client_at, received_at, data)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`,
        )
        .bind(site, event.id, aid, event.type, at, event.at, receivedAt, JSON.stringify(event)),
    );
    statements.push(...effectOf(db, message, event, at, ttlDays));
  });
  return statements;
}

/** What an event changes beyond its own row. */
function effectOf(db: D1Database, { site, aid }: IngestMessage, event: CartbackEvent, at: number, ttlDays: number): D1PreparedStatement[] {
  switch (event.type) {
    case "cart": {
      const [items, value] = cartValue(event.cart);
      return [
        db
          .prepare(
            // A checkout already stored for a time after this cart (it arrived first) counts for it.
            `INSERT INTO carts (site_id, aid, status, currency, lines, item_count, value, updated_at, client_at, version, expires_at, checkout_started_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,
               (SELECT max(at) FROM events WHERE site_id = ?1 AND aid = ?2 AND type = 'checkout' AND client_at >= ?9))
             ON CONFLICT (site_id, aid) DO UPDATE SET
               status = excluded.status, currency = excluded.currency, lines = excluded.lines,
               item_count = excluded.item_count, value = excluded.value, updated_at = excluded.updated_at,
               client_at = excluded.client_at, version = excluded.version, expires_at = excluded.expires_at, order_id = NULL,
               checkout_started_at = CASE WHEN carts.status = 'active'
                 THEN coalesce(carts.checkout_started_at, excluded.checkout_started_at) ELSE excluded.checkout_started_at END
             WHERE (excluded.client_at, excluded.version) > (carts.client_at, carts.version)`,
          )
          .bind(
            site,
            aid,
            items ? "active" : "empty",
            event.cart.currency,
            JSON.stringify(event.cart.lines),
            items,
            value,
            at,
            event.at,
            event.id,
            at + ttlDays * DAY_MS,
          ),
      ];
    }
    case "identify":
      return [
        db
          .prepare(
            // The newest identify wins each field it carries; an older one, arriving late, still
            // fills the fields nobody gave since (an email before a later name-only identify).
            `UPDATE shoppers SET
               email = CASE WHEN coalesce(identified_at, 0) <= ?6 THEN coalesce(?3, email) ELSE coalesce(email, ?3) END,
               user_id = CASE WHEN coalesce(identified_at, 0) <= ?6 THEN coalesce(?4, user_id) ELSE coalesce(user_id, ?4) END,
               name = CASE WHEN coalesce(identified_at, 0) <= ?6 THEN coalesce(?5, name) ELSE coalesce(name, ?5) END,
               identified_at = max(coalesce(identified_at, 0), ?6)
             WHERE site_id = ?1 AND aid = ?2`,
          )
          .bind(site, aid, event.email === undefined ? null : normalEmail(event.email), event.userId ?? null, event.name ?? null, at),
      ];
    case "checkout":
      return [
        db
          .prepare(
            `UPDATE carts SET checkout_started_at = max(coalesce(checkout_started_at, 0), ?3)
             WHERE site_id = ?1 AND aid = ?2 AND status = 'active' AND client_at <= ?4`,
          )
          .bind(site, aid, at, event.at),
      ];
    case "moment":
      return []; // kept in events; the shopper's Durable Object derives the reason from it
    case "purchase": {
      // An upsert, not an update: a purchase that arrives before its cart (a retried batch, or
      // events out of time order) must still win over that older cart when it comes.
      const [items, value] = event.cart ? cartValue(event.cart) : [0, 0];
      return [
        db
          .prepare(
            `INSERT OR IGNORE INTO orders (site_id, order_id, aid, total, currency, at, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'script')`,
          )
          .bind(site, event.orderId, aid, event.total, event.currency, at),
        db
          .prepare(
            `INSERT INTO carts (site_id, aid, status, currency, lines, item_count, value, updated_at, client_at, version, expires_at, order_id)
             VALUES (?1, ?2, 'purchased', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (site_id, aid) DO UPDATE SET
               status = 'purchased', order_id = excluded.order_id, updated_at = excluded.updated_at,
               client_at = excluded.client_at, version = excluded.version
             WHERE (excluded.client_at, excluded.version) > (carts.client_at, carts.version)`,
          )
          .bind(
            site,
            aid,
            event.cart?.currency ?? event.currency,
            JSON.stringify(event.cart?.lines ?? []),
            items,
            value,
            at,
            event.at,
            event.id,
            at + ttlDays * DAY_MS,
            event.orderId,
          ),
      ];
    }
  }
}

/**
 * Stores one batch now, inside the request, and tells the person: for a purchase (which must
 * stop a message that is about to go, whatever waits in the queue) and for an identify (which
 * ties the browser, and everything it did before, to the person before a purchase can follow).
 * Both are rare next to cart changes, so the ingest path stays a queue hand-off for the rest.
 */
export async function storeNow(env: Env, message: IngestMessage): Promise<void> {
  await env.DB.batch(statementsFor(env.DB, message));
  await observeBatches(env, [message]);
}

/** Whether a batch is stored at once rather than queued (see `storeNow`). */
export const isUrgent = (message: IngestMessage): boolean =>
  message.events.some((e) => e.type === "purchase" || (e.type === "identify" && e.email !== undefined));

/** Keep one D1 batch to a size D1 takes in one round trip. */
const MAX_STATEMENTS = 400;

/**
 * The ingest queue's consumer: stores each message's events in D1, then tells the shoppers' objects.
 * A message's statements go in one D1 batch (a transaction); when that or the telling fails, the
 * message is retried with backoff (every step is idempotent), and after the queue's max_retries it
 * goes to the dead-letter queue rather than blocking the rest.
 */
export async function storeBatches(batch: MessageBatch<IngestMessage>, env: Env): Promise<void> {
  let chunk: { messages: Message<IngestMessage>[]; statements: D1PreparedStatement[] } = { messages: [], statements: [] };
  const chunks = [chunk];
  for (const message of batch.messages) {
    const statements = statementsFor(env.DB, message.body);
    if (chunk.statements.length && chunk.statements.length + statements.length > MAX_STATEMENTS) {
      chunk = { messages: [], statements: [] };
      chunks.push(chunk);
    }
    chunk.messages.push(message);
    chunk.statements.push(...statements);
  }
  for (const { messages, statements } of chunks) {
    if (!statements.length) continue;
    try {
      await env.DB.batch(statements);
      await observeBatches(
        env,
        messages.map((m) => m.body),
      );
      for (const m of messages) m.ack();
    } catch (e) {
      console.error("storing events failed; will retry", e);
      for (const m of messages) m.retry({ delaySeconds: Math.min(2 ** m.attempts, 300) });
    }
  }
}
