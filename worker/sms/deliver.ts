// A recovery step that goes by text, on the mail queue (a `sms` job): the same guarantees as an
// email (sent at most once, only if the person's object still wants it at the last moment), and
// the night kept strictly, at send time too.
import { chooseLanguage, validTimeZone } from "../copy/builtin";
import { cartOf } from "../db/browsers";
import { leaseSend, markCancelled, messageState, releaseSend } from "../db/ledger";
import { markTextSent, pinText } from "../db/sms";
import { createLink } from "../links/tokens";
import { isPhoneKey } from "../recovery/person";
import { awake } from "../recovery/quiet";
import { templateOf } from "../recovery/reasons";
import { personStub } from "../recovery/shopper";
import { offersIncentive, type Reason, smsQuietHours } from "../sites/settings";
import type { Site } from "../sites/sites";
import { sendWebhook } from "../webhooks/send";
import { dialable } from "./numbers";
import type { SmsProvider } from "./provider";
import { renderText } from "./render";

/** Longer than any provider call takes; a delivery that died holding it is retried after it. */
const LEASE_MS = 60_000;
/** A queue delay cannot be longer than 12 hours: a longer night is waited out in two. */
const MAX_DELAY_S = 12 * 3600;

/** What the text path borrows from the mail path, passed in so the two folders do not import each other. */
export interface TextDeps {
  provider: SmsProvider;
  /** The code a message offering the incentive carries (mail/deliver.ts `ownCode`): the sequence's own, or the static one, or none. */
  codeFor: (reason: Reason, step: number, sequenceId: string) => Promise<string | undefined>;
  now?: () => number;
}

/**
 * Sends one claimed text, or finds it need not go. A job that arrives inside the shopper's quiet
 * hours (a retry, a delayed queue) is queued again for the end of them and sends nothing now.
 *
 * @example
 * await deliverText(env, { kind: "sms", id, site: site.id, email: "tel:+34600111222" }, site, deps); // "sent"
 */
export async function deliverText(
  env: Env,
  job: { kind: "sms"; id: string; site: number; email: string },
  site: Site,
  deps: TextDeps,
): Promise<"sent" | "cancelled" | "waiting" | "done"> {
  const now = deps.now ?? Date.now;
  const row = await messageState(env.DB, job.id);
  if (row?.status !== "queued") return "done"; // sent, cancelled or failed already: a redelivery
  const stub = personStub(env, job.site, job.email);
  const verdict = await stub.confirm(job.id, "sms");
  if (!verdict.send || !verdict.phone) return cancel(env, job.id, verdict.send ? "unreachable" : verdict.why);

  const zone = validTimeZone(verdict.timeZone) ?? site.settings.timeZone;
  const wakes = awake(now(), zone, smsQuietHours(site.settings));
  if (wakes > now()) {
    const delaySeconds = Math.min(MAX_DELAY_S, Math.ceil((wakes - now()) / 1000));
    await env.MAIL.send(job, { contentType: "json", delaySeconds });
    return "waiting";
  }

  const cart = await cartOf(env.DB, job.site, verdict.aid);
  if (!cart) return cancel(env, job.id, "expired");
  const { language } = chooseLanguage(verdict.locale, site.settings.languages, site.settings.defaultLanguage);
  const reason = templateOf(verdict.reason);

  // The last check; the code is taken only after it, so a sequence stopped here keeps none.
  const last = await stub.confirm(job.id, "sms");
  // A number stored before the collector checked numbers (sms/numbers.ts) is never texted.
  if (!last.send || !last.phone || !dialable(last.phone)) return cancel(env, job.id, last.send ? "unreachable" : last.why);
  const code = offersIncentive(site.settings, reason, last.step) ? await deps.codeFor(reason, last.step, row.sequence_id) : undefined;
  // The provider is asked once per id whatever else runs: a twin delivery of this job waits here.
  if (!(await leaseSend(env.DB, job.id, now(), now() + LEASE_MS))) throw new Error("another delivery of this text is sending it");
  // A redelivery sends the words the first delivery wrote, its link included: the provider's
  // look-up of an attempt whose fate is unknown matches the exact body (twilio.ts).
  const body = await pinText(env.DB, job.id, async () => {
    const link = { site_id: job.site, email: job.email, aid: verdict.aid, message_id: job.id, sequence_id: row.sequence_id };
    // 128 bits are as unguessable as a link needs, in half the characters of a text.
    const token = await createLink(env.DB, { ...link, kind: "restore", expires_at: cart.expiresAt }, 16);
    const url = `${env.PUBLIC_URL.replace(/\/+$/, "")}/r/${token}`;
    return renderText({ language, settings: site.settings, reason, shop: site.settings.shopName ?? site.name, link: url, code }).body;
  });
  let providerId: string;
  try {
    ({ providerId } = await deps.provider.send({ id: job.id, site: job.site, to: last.phone, body }));
  } catch (e) {
    await releaseSend(env.DB, job.id);
    throw e;
  }
  const sentAt = now();
  await markTextSent(env.DB, job.id, sentAt, providerId, body, language, last.phone);
  await stub.sent(job.id, sentAt);
  await sendWebhook(env, job.site, site.settings, "message_sent", {
    messageId: job.id,
    sequenceId: row.sequence_id,
    ...(!isPhoneKey(job.email) && { email: job.email }),
    phone: last.phone,
    step: last.step,
    reason: last.reason,
    channel: "sms",
    language,
  });
  return "sent";
}

async function cancel(env: Env, id: string, why: string): Promise<"cancelled"> {
  await markCancelled(env.DB, id, why);
  return "cancelled";
}
