import type { Line } from "../../protocol/types";
import { createLink } from "../links/tokens";
import { templateOf } from "../recovery/reasons";
import { shopperStub } from "../recovery/shopper";
import { siteById } from "../sites/sites";
import { sendWebhook } from "../webhooks/send";
import type { MailJob } from "./job";
import { mailerFor, PermanentMailError } from "./mailer";
import { fromHeader, renderMerchantNotice, renderRecovery } from "./render";

const YEAR = 365 * 86_400_000;

/** The collector's own address, for links in emails. */
const publicUrl = (env: Env): string => env.PUBLIC_URL.replace(/\/+$/, "");

interface CartRow {
  lines: string;
  currency: string;
  expires_at: number;
}

/**
 * The mail queue's consumer. Each job is one message: sent at most once (the `messages` row and
 * the provider's idempotency key), and only if the shopper's object still wants it right now.
 */
export async function deliverMail(batch: MessageBatch<MailJob>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    try {
      await deliver(env, message.body);
      message.ack();
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      if (e instanceof PermanentMailError) {
        await markFailed(env, message.body.id, error);
        message.ack();
      } else {
        console.error(`mail ${message.body.id} failed (attempt ${message.attempts}), will retry:`, error);
        await env.DB.prepare("UPDATE messages SET attempts = attempts + 1, error = ? WHERE id = ?").bind(error, message.body.id).run();
        message.retry({ delaySeconds: Math.min(30 * 2 ** (message.attempts - 1), 3600) });
      }
    }
  }
}

/** The dead-letter queue's consumer: a message that kept failing is recorded as failed, visibly. */
export async function recordUndeliverable(batch: MessageBatch<MailJob>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    await markFailed(env, message.body.id, "gave up after repeated failures");
    message.ack();
  }
}

async function cancel(env: Env, id: string, why: string): Promise<void> {
  await env.DB.prepare("UPDATE messages SET status = 'cancelled', cancel_reason = ? WHERE id = ? AND status = 'queued'")
    .bind(why, id)
    .run();
}

const markFailed = (env: Env, id: string, error: string) =>
  env.DB.prepare("UPDATE messages SET status = 'failed', error = ? WHERE id = ? AND status = 'queued'").bind(error, id).run();

async function deliver(env: Env, job: MailJob): Promise<void> {
  const site = await siteById(env.DB, job.site);
  if (!site) throw new PermanentMailError(`site ${job.site} no longer exists`);
  const shop = site.settings.shopName ?? site.name;
  const from = fromHeader(site.settings.fromName, env.MAIL_FROM);

  if (job.kind === "merchant_notice") {
    const cart = await env.DB.prepare(
      `SELECT c.lines, c.currency, c.expires_at, q.reason FROM sequences q JOIN carts c ON c.site_id = q.site_id AND c.aid = q.aid WHERE q.id = ?`,
    )
      .bind(job.id.replace(/-notice$/, ""))
      .first<CartRow & { reason: string }>();
    const mail = renderMerchantNotice({
      id: job.id,
      to: job.email,
      from,
      shop,
      shopper: job.about,
      reason: cart?.reason,
      cart: cart ? { currency: cart.currency, lines: JSON.parse(cart.lines) as Line[] } : undefined,
    });
    await mailerFor(env, site.id).send(mail);
    return;
  }

  const row = await env.DB.prepare("SELECT status, sequence_id FROM messages WHERE id = ?")
    .bind(job.id)
    .first<{ status: string; sequence_id: string }>();
  if (row?.status !== "queued") return; // sent, cancelled or failed already: a redelivery

  // A first look: most stopped sequences end here, before any link is made.
  const stub = shopperStub(env, job.site, job.email);
  const verdict = await stub.confirm(job.id);
  if (!verdict.send) return cancel(env, job.id, verdict.why);
  const cart = await env.DB.prepare("SELECT lines, currency, expires_at FROM carts WHERE site_id = ? AND aid = ?")
    .bind(job.site, verdict.aid)
    .first<CartRow>();
  if (!cart) return cancel(env, job.id, "expired");
  const link = { site_id: job.site, email: job.email, aid: verdict.aid, message_id: job.id, sequence_id: row.sequence_id };
  const restore = await createLink(env.DB, { ...link, kind: "restore", expires_at: cart.expires_at });
  const unsubscribe = await createLink(env.DB, { ...link, kind: "unsubscribe", expires_at: Date.now() + 5 * YEAR });
  const mail = renderRecovery({
    to: job.email,
    from,
    messageId: job.id,
    shop,
    origins: site.origins,
    settings: site.settings,
    reason: templateOf(verdict.reason),
    step: verdict.step,
    name: verdict.name,
    cart: { currency: cart.currency, lines: JSON.parse(cart.lines) as Line[] },
    restoreUrl: `${publicUrl(env)}/r/${restore}`,
    unsubscribeUrl: `${publicUrl(env)}/u/${unsubscribe}`,
  });
  // The last check, as late as it can be: a purchase accepted (202) before this line stops the
  // message, whichever device or server reported it. Only the provider call itself comes after.
  const last = await stub.confirm(job.id);
  if (!last.send) return cancel(env, job.id, last.why);
  const { providerId } = await mailerFor(env, site.id).send(mail);
  const sentAt = Date.now();
  await env.DB.prepare(
    "UPDATE messages SET status = 'sent', sent_at = ?, provider_id = ?, subject = ?, error = NULL WHERE id = ? AND status = 'queued'",
  )
    .bind(sentAt, providerId, mail.subject, job.id)
    .run();
  // Attribution opens at the send, not at the claim.
  await stub.sent(job.id, sentAt);
  await sendWebhook(env, job.site, site.settings, "message_sent", {
    messageId: job.id,
    sequenceId: row.sequence_id,
    email: job.email,
    step: verdict.step,
    reason: verdict.reason,
  });
}
