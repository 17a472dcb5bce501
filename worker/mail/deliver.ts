import { DAY_MS } from "../../protocol/limits";
import { chooseLanguage } from "../copy/builtin";
import { cartOf, sequenceCart } from "../db/browsers";
import { claimCode, clearPoolLow, markPoolLow, poolCounts } from "../db/codes";
import { pauseOf } from "../db/feedback";
import { countDroppedImages } from "../db/images";
import { leaseSend, markCancelled, markFailed, markSent, messageState, noteAttempt, releaseSend } from "../db/ledger";
import { createLink } from "../links/tokens";
import { retryDelay } from "../queue/retry";
import { templateOf } from "../recovery/reasons";
import { shopperStub } from "../recovery/shopper";
import { offersIncentive, type Reason } from "../sites/settings";
import { type Site, siteById } from "../sites/sites";
import { deliverText } from "../sms/deliver";
import { PermanentSmsError, type SmsProvider } from "../sms/provider";
import { smsProviderFor } from "../sms/providers";
import { sendWebhook } from "../webhooks/send";
import { mailWarnings } from "./feedback/apply";
import type { MailJob } from "./job";
import { MailFailure, mailerFor, PermanentMailError } from "./mailer";
import { merchantLanguage } from "./merchant";
import { droppedImages, renderMerchantNotice, renderPoolLow, renderRecovery, siteFrom } from "./render";

const YEAR = 365 * DAY_MS;
/** How long one delivery holds the right to call the provider for a message (`leaseSend`). */
const LEASE_MS = 120_000;

/** The collector's own address, for links in emails. */
const publicUrl = (env: Env): string => env.PUBLIC_URL.replace(/\/+$/, "");

/**
 * The mail queue's consumer. Each job is one message: sent at most once (the `messages` row and
 * the provider's idempotency key), and only if the shopper's object still wants it right now.
 */
export async function deliverMail(batch: MessageBatch<MailJob>, env: Env, sms?: SmsProvider): Promise<void> {
  for (const message of batch.messages) {
    try {
      await deliver(env, message.body, sms);
      message.ack();
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      if ((e instanceof MailFailure && !e.retryable) || e instanceof PermanentSmsError) {
        await markFailed(env.DB, message.body.id, error);
        message.ack();
      } else {
        console.error(`mail ${message.body.id} failed (attempt ${message.attempts}), will retry:`, error);
        await noteAttempt(env.DB, message.body.id, error);
        message.retry({ delaySeconds: retryDelay(message.attempts, 30, 3600) });
      }
    }
  }
}

/** The dead-letter queue's consumer: a message that kept failing is recorded as failed, visibly. */
export async function recordUndeliverable(batch: MessageBatch<MailJob>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    await markFailed(env.DB, message.body.id, "gave up after repeated failures");
    message.ack();
  }
}

async function deliver(env: Env, job: MailJob, sms?: SmsProvider): Promise<void> {
  const site = await siteById(env.DB, job.site);
  if (!site) throw new PermanentMailError(`site ${job.site} no longer exists`);
  const shop = site.settings.shopName ?? site.name;
  const from = siteFrom(site, env.MAIL_FROM);

  if (job.kind === "sms") {
    const codeFor = async (reason: Reason, step: number, sequenceId: string) =>
      (await withOwnCode(env, site, reason, step, sequenceId, shop, from)).incentive?.code;
    await deliverText(env, job, site, { provider: sms ?? smsProviderFor(env), codeFor });
    return;
  }

  if (job.kind === "merchant_notice") {
    const cart = await sequenceCart(env.DB, job.id.replace(/-notice$/, ""));
    const mail = renderMerchantNotice({
      id: job.id,
      to: job.email,
      from,
      shop,
      shopper: job.about,
      reason: cart?.reason,
      cart: cart ? { currency: cart.currency, lines: cart.lines } : undefined,
      language: await merchantLanguage(env.DB, site),
      warnings: await mailWarnings(env.DB, site.id, Date.now()),
    });
    await mailerFor(env, site).send(mail);
    return;
  }

  const row = await messageState(env.DB, job.id);
  if (row?.status !== "queued") return; // sent, cancelled or failed already: a redelivery
  // Paused by the complaint rate (mail/feedback/): nothing goes out until the merchant resumes,
  // and the message says why it did not.
  if ((await pauseOf(env.DB, site.id))?.paused_at) return void (await markCancelled(env.DB, job.id, "sending_paused"));

  // A first look: most stopped sequences end here, before any link is made.
  const stub = shopperStub(env, job.site, job.email);
  const verdict = await stub.confirm(job.id);
  if (!verdict.send) return void (await markCancelled(env.DB, job.id, verdict.why));
  const cart = await cartOf(env.DB, job.site, verdict.aid);
  if (!cart) return void (await markCancelled(env.DB, job.id, "expired"));
  const link = { site_id: job.site, email: job.email, aid: verdict.aid, message_id: job.id, sequence_id: row.sequence_id };
  const restore = await createLink(env.DB, { ...link, kind: "restore", expires_at: cart.expiresAt });
  const unsubscribe = await createLink(env.DB, { ...link, kind: "unsubscribe", expires_at: Date.now() + 5 * YEAR });
  const { language, locale } = chooseLanguage(verdict.locale, site.settings.languages, site.settings.defaultLanguage);
  // The last check, as late as it can be: a purchase accepted (202) before this line stops the
  // message, whichever device or server reported it. Only the code, the rendering and the
  // provider call come after, so a sequence stopped here takes no code from the pool.
  const last = await stub.confirm(job.id);
  if (!last.send) return void (await markCancelled(env.DB, job.id, last.why));
  const settings = await withOwnCode(env, site, templateOf(verdict.reason), verdict.step, row.sequence_id, shop, from);
  const mail = renderRecovery({
    language,
    locale,
    timeZone: verdict.timeZone,
    now: Date.now(),
    to: job.email,
    from,
    messageId: job.id,
    shop,
    origins: site.origins,
    settings,
    reason: templateOf(verdict.reason),
    step: verdict.step,
    name: verdict.name,
    cart: { currency: cart.currency, lines: cart.lines },
    restoreUrl: `${publicUrl(env)}/r/${restore}`,
    unsubscribeUrl: `${publicUrl(env)}/u/${unsubscribe}`,
  });
  // The provider is called once per message whatever else runs: a twin delivery of this job (a
  // redelivery of one that looked stuck) stops here, and its retry finds the message sent.
  // Cloudflare's send_email has no idempotency key to fall back on.
  if (!(await leaseSend(env.DB, job.id, Date.now(), Date.now() + LEASE_MS)))
    throw new Error("another delivery of this email is sending it");
  let providerId: string;
  try {
    ({ providerId } = await mailerFor(env, site).send(mail));
  } catch (e) {
    await releaseSend(env.DB, job.id);
    throw e;
  }
  const sentAt = Date.now();
  await markSent(env.DB, job.id, sentAt, providerId, mail.subject, language);
  // Attribution opens at the send, not at the claim.
  await stub.sent(job.id, sentAt);
  await sendWebhook(env, job.site, site.settings, "message_sent", {
    messageId: job.id,
    sequenceId: row.sequence_id,
    email: job.email,
    step: verdict.step,
    reason: verdict.reason,
    // The channel the message went by: email is the only one the collector sends itself, so an
    // SMS or a call centre can hang off these events and tell its own from the collector's.
    channel: "email",
    language,
  });
  // What the shopper did not see, for the dashboard: counted once per email sent, last, and never
  // at the cost of the delivery (a redelivery of a sent message stops before this).
  await countDroppedImages(env.DB, site.id, droppedImages({ origins: site.origins, settings: site.settings, cart }), sentAt).catch((e) =>
    console.error(`mail ${job.id}: dropped images not counted:`, e instanceof Error ? e.message : e),
  );
}

/**
 * The settings a message is rendered with: for a site with a code pool, the sequence's own code
 * in place of the static one when this message offers the incentive (taken now, or the one it
 * took at an earlier step); an empty pool leaves the static code or, per `whenPoolEmpty`, no
 * incentive. The merchant is told once when the pool runs low.
 */
async function withOwnCode(env: Env, site: Site, reason: Reason, step: number, sequenceId: string, shop: string, from: string) {
  const incentive = site.settings.incentive;
  if (!incentive?.unique || !offersIncentive(site.settings, reason, step)) return site.settings;
  const now = Date.now();
  const code = await claimCode(env.DB, site.id, sequenceId, now);
  if (await markPoolLow(env.DB, site.id, incentive.lowAt, now)) {
    const notifyEmail = site.settings.notifyEmail;
    const { available } = await poolCounts(env.DB, site.id);
    console.warn(`site ${site.id}: ${available} incentive codes left`);
    if (notifyEmail) {
      try {
        await mailerFor(env, site).send(
          renderPoolLow({
            id: `pool-low-${site.id}-${now}`,
            to: notifyEmail,
            from,
            shop,
            available,
            language: await merchantLanguage(env.DB, site),
          }),
        );
      } catch (e) {
        // Recorded only once sent: unrecorded, the next claim that sees the pool low tries again.
        console.error(`site ${site.id}: pool-low notice not sent, will retry:`, e instanceof Error ? e.message : e);
        await clearPoolLow(env.DB, site.id, now);
      }
    }
  }
  if (code) return { ...site.settings, incentive: { ...incentive, code } };
  return incentive.whenPoolEmpty === "none" ? { ...site.settings, incentive: undefined } : site.settings;
}
