import type { IngestMessage } from "../db/browsers";
import { batchStatementsFor, statementsFor } from "../db/browsers";
import { type CartHeads, cartHeads, isHeadMoved } from "../db/cart-events";
import { withShopperRollups, withShoppersRollups } from "../db/rollups";
import { retryDelay } from "../queue/retry";
import { observeBatches } from "../recovery/observe";

/**
 * Stores one batch now, inside the request, and tells the person: for a purchase (which must
 * stop a message that is about to go, whatever waits in the queue) and for an identify by email or
 * signed-in user (which ties the browser, and everything it did before, to the person before a purchase can follow).
 * Both are rare next to cart changes, so the ingest path stays a queue hand-off for the rest.
 */
export async function storeNow(env: Env, message: IngestMessage): Promise<void> {
  // Stored again with fresh heads when another writer moved this browser's cart in between.
  for (let attempt = 1; ; attempt++) {
    try {
      await env.DB.batch(withShopperRollups(env.DB, message, statementsFor(env.DB, message, await cartHeads(env.DB, [message]))));
      break;
    } catch (e) {
      if (attempt >= 3 || !isHeadMoved(e)) throw e;
    }
  }
  await observeBatches(env, [message]);
}

/** Whether a batch is stored at once rather than queued (see `storeNow`). */
export const isUrgent = (message: IngestMessage): boolean =>
  message.events.some(
    (e) =>
      e.type === "purchase" ||
      // A signed-in user's id ties the browser to the person as an email does: the script may send
      // it in the batch before its order, which must then find the person (README, The person).
      // An SMS consent given or withdrawn counts at once too: a "no" must stop the next text, and a
      // shopper who gave only a number is reachable from the moment they gave it.
      (e.type === "identify" && (e.email !== undefined || e.userId !== undefined || e.smsConsent !== undefined)),
  );

/** Keep one D1 batch to what D1 takes in one round trip: statements written (a bound, as a row
 * statement may carry many events) and bytes of events (a statement's value is at most 2 MB). */
const MAX_EVENTS = 400;
const MAX_BYTES = 512 * 1024;

/**
 * The D1 batches that store these messages (each a transaction), at a cost that follows the
 * batch: as few as MAX_EVENTS and MAX_BYTES allow, each running the same statement of all its
 * browsers once (browsers.ts `batchStatementsFor`) with the funnel rollups kept once for all of
 * them (rollups.ts `withShoppersRollups`). `body` reads a message out of an item (a queue message,
 * or the message itself). The bench's seed runs exactly these.
 *
 * @example
 * for (const { statements } of storeChunks(env.DB, messages, (m) => m, await cartHeads(env.DB, messages))) await env.DB.batch(statements);
 */
export function storeChunks<T>(
  db: D1Database,
  items: T[],
  body: (item: T) => IngestMessage,
  heads: CartHeads,
): { items: T[]; statements: D1PreparedStatement[] }[] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let events = 0;
  let bytes = 0;
  for (const item of items) {
    const message = body(item);
    const size = JSON.stringify(message.events).length;
    if (chunk.length && (events + message.events.length > MAX_EVENTS || bytes + size > MAX_BYTES)) {
      chunks.push(chunk);
      chunk = [];
      events = 0;
      bytes = 0;
    }
    chunk.push(item);
    events += message.events.length;
    bytes += size;
  }
  if (chunk.length) chunks.push(chunk);
  // Built in order, chunk by chunk: `heads` follows each browser's cart from one chunk to the next.
  return chunks.map((c) => {
    const messages = c.map(body);
    return { items: c, statements: withShoppersRollups(db, messages, batchStatementsFor(db, messages, heads)) };
  });
}

/**
 * The ingest queue's consumer: stores each message's events in D1, then tells the shoppers' objects.
 * The batch's statements go in as few D1 batches as they fit (each a transaction); when one fails,
 * its messages are retried with backoff (every step is idempotent), and after the queue's
 * max_retries they go to the dead-letter queue rather than blocking the rest.
 */
export async function storeBatches(batch: MessageBatch<IngestMessage>, env: Env): Promise<void> {
  // The browsers' latest carts, which their cart changes are stored against; a chunk that fails
  // leaves them behind what later chunks expect, which those then store whole (cart-events.ts).
  const heads = await readHeads(env, batch);
  if (!heads) return;
  for (const { items: messages, statements } of storeChunks(env.DB, [...batch.messages], (m) => m.body, heads)) {
    try {
      await env.DB.batch(statements);
      await observeBatches(
        env,
        messages.map((m) => m.body),
      );
      for (const m of messages) m.ack();
    } catch (e) {
      console.error("storing events failed; will retry", e);
      for (const m of messages) m.retry({ delaySeconds: retryDelay(m.attempts, 2, 300) });
    }
  }
}

/** The batch's cart heads, or null when they could not be read (then every message is retried). */
async function readHeads(env: Env, batch: MessageBatch<IngestMessage>) {
  try {
    return await cartHeads(
      env.DB,
      batch.messages.map((m) => m.body),
    );
  } catch (e) {
    console.error("reading carts failed; will retry", e);
    for (const m of batch.messages) m.retry({ delaySeconds: retryDelay(m.attempts, 2, 300) });
    return null;
  }
}
