import { hmacHex } from "../../protocol/crypto";
import { signWebhook } from "../../server/webhooks";
import { recordAttempt, wasDelivered } from "../db/webhooks";
import { OUTBOUND_TIMEOUT_MS, withTimeout } from "../http/outbound";
import { retryDelay } from "../queue/retry";
import { siteById } from "../sites/sites";
import { signingSecrets } from "../sites/webhook-rotation";
import type { WebhookJob } from "./send";

/**
 * The deprecated `Cartback-Signature` header, Stripe-style: `t=<unix seconds>,v1=<hex HMAC-SHA256
 * of "t.body">` keyed with the secret's text, exactly as before Standard Webhooks, with the current
 * secret only (receivers parse one `v1`). Sent beside the Standard Webhooks headers for one release.
 *
 * @example
 * const header = await legacySignature(secret, body, Math.floor(Date.now() / 1000));
 */
export async function legacySignature(secret: string, body: string, timestamp: number): Promise<string> {
  return `t=${timestamp},v1=${await hmacHex(secret, `${timestamp}.${body}`)}`;
}

/** The headers of one attempt: Standard Webhooks' (every live secret signs), and the deprecated one. */
async function deliveryHeaders(
  hook: { secret: string; previous?: { secret: string; until: number } },
  id: string,
  body: string,
  now: number,
) {
  const timestamp = Math.floor(now / 1000);
  return {
    "content-type": "application/json",
    ...(await signWebhook({ id, timestamp, body, secrets: signingSecrets(hook, now) })),
    "cartback-signature": await legacySignature(hook.secret, body, timestamp),
  };
}

/**
 * The webhook queue's consumer: POSTs each event, signed; a non-2xx answer, or none within
 * `timeoutMs`, is retried with backoff. A request given up may have reached the receiver: the
 * retry carries the same event `id` (in the body and as `webhook-id`), by which receivers
 * de-duplicate (docs/webhooks.md).
 */
export async function deliverWebhooks(
  batch: MessageBatch<WebhookJob>,
  env: Env,
  fetcher = (url: string, init: RequestInit) => fetch(url, init),
  timeoutMs = OUTBOUND_TIMEOUT_MS,
): Promise<void> {
  for (const message of batch.messages) {
    const job = message.body;
    const site = await siteById(env.DB, job.site);
    const hook = site?.settings.webhook;
    if (!hook) {
      message.ack(); // webhook removed since: nothing to deliver
      continue;
    }
    // A retried effect queues the same id again: once delivered, it is not sent twice.
    if (await wasDelivered(env.DB, job.id)) {
      message.ack();
      continue;
    }
    const body = JSON.stringify({ id: job.id, type: job.type, createdAt: job.createdAt, site: site.key, data: job.data });
    let status = 0;
    let error: string | null = null;
    try {
      // The event id is the webhook-id: a retry of one event carries the same one.
      const headers = await deliveryHeaders(hook, job.id, body, Date.now());
      const res = await withTimeout(
        (signal) => fetcher(hook.url, { method: "POST", headers, body, signal }),
        timeoutMs,
        "the webhook endpoint",
      );
      status = res.status;
      if (!res.ok) error = `answered ${res.status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    await recordAttempt(env.DB, job, status, error, Date.now());
    if (error) message.retry({ delaySeconds: retryDelay(message.attempts, 10, 3600) });
    else message.ack();
  }
}
