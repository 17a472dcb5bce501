import type { SiteSettings } from "../sites/settings";

export type WebhookType = "abandonment" | "message_sent" | "click" | "recovery";

/** A webhook on its queue: delivered, signed, with retries, by `deliverWebhooks`. */
export interface WebhookJob {
  id: string;
  site: number;
  type: WebhookType;
  createdAt: number;
  data: Record<string, unknown>;
}

/**
 * Queues a webhook for the site, when it has one configured. Delivery happens on the webhook
 * queue, so a slow or failing endpoint never holds up recovery.
 *
 * @example
 * await sendWebhook(env, site.id, site.settings, "recovery", { sequenceId, orderId, total });
 */
export async function sendWebhook(
  env: Env,
  site: number,
  settings: SiteSettings,
  type: WebhookType,
  data: Record<string, unknown>,
  /** What makes this webhook one: a retried effect queues the same id, and is delivered once. */
  key: string = crypto.randomUUID(),
): Promise<void> {
  if (!settings.webhook) return;
  const job: WebhookJob = { id: `wh_${key}`, site, type, createdAt: Date.now(), data };
  await env.WEBHOOKS.send(job, { contentType: "json" });
}
