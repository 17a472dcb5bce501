import type { IngestMessage } from "../db/browsers";
import { statementsFor } from "../db/browsers";
import { cartHeads, isHeadMoved } from "../db/cart-events";
import { withShopperRollups } from "../db/rollups";
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

/** Keep one D1 batch to a size D1 takes in one round trip. */
const MAX_STATEMENTS = 400;

/**
 * The ingest queue's consumer: stores each message's events in D1, then tells the shoppers' objects.
 * A message's statements go in one D1 batch (a transaction); when that or the telling fails, the
 * message is retried with backoff (every step is idempotent), and after the queue's max_retries it
 * goes to the dead-letter queue rather than blocking the rest.
 */
export async function storeBatches(batch: MessageBatch<IngestMessage>, env: Env): Promise<void> {
  // The browsers' latest carts, which their cart changes are stored against; a chunk that fails
  // leaves them behind what later chunks expect, which those then store whole (cart-events.ts).
  const heads = await readHeads(env, batch);
  if (!heads) return;
  let chunk: { messages: Message<IngestMessage>[]; statements: D1PreparedStatement[] } = { messages: [], statements: [] };
  const chunks = [chunk];
  for (const message of batch.messages) {
    const statements = withShopperRollups(env.DB, message.body, statementsFor(env.DB, message.body, heads));
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
