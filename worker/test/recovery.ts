import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { CartbackEvent } from "../../protocol/types";
import worker from "../index";
import type { MailJob } from "../mail/job";
import { postEvents, randomId } from "./helpers";

export const MINUTE = 60_000;

/** A shopper who filled a cart, gave an email and went quiet `minutesAgo` minutes ago. */
export async function abandon(
  key: string,
  email: string,
  {
    minutesAgo = 10,
    extra = [] as CartbackEvent[],
    lines = [{ id: "tea", name: "Green tea", price: 1250, quantity: 2 }],
    name = "Ana Lima",
  } = {},
): Promise<string> {
  const aid = randomId();
  const at = Date.now() - minutesAgo * MINUTE;
  const events: CartbackEvent[] = [
    { id: randomId(), at, type: "cart", action: "set", cart: { currency: "EUR", lines } },
    { id: randomId(), at: at + 1, type: "identify", email, name },
    ...extra,
  ];
  const res = await postEvents(key, { aid, sentAt: Date.now(), events });
  expect(res.status).toBe(202);
  return aid;
}

/** Hands jobs to the mail queue's consumer, as a delivery of the queue would. */
export async function deliver(jobs: MailJob[]) {
  const batch = createMessageBatch<MailJob>(
    "cartback-mail",
    jobs.map((body, i) => ({ id: `m${i}-${body.id}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

/** A shopper's messages, by step, as the tests look at them. */
export const messagesOf = (email: string) =>
  env.DB.prepare(
    "SELECT id, status, step, template, cancel_reason, clicked_at, sent_at, sequence_id, site_id, email FROM messages WHERE email = ? ORDER BY step",
  )
    .bind(email)
    .all<{
      id: string;
      status: string;
      step: number;
      template: string;
      cancel_reason: string | null;
      clicked_at: number | null;
      sent_at: number | null;
      sequence_id: string;
      site_id: number;
      email: string;
    }>();
