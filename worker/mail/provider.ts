import { MESSAGE_TAG, SITE_TAG } from "./feedback/ids";

export { MAIL_PROVIDERS, type MailProvider } from "../sites/settings";

// What every mail provider is behind (mailer.ts picks one per site): a message in, the
// provider's id out, or a failure that says whether a retry can help.

/** A message ready to send. `id` is the idempotency key: sending the same id twice sends once. */
export interface Mail {
  id: string;
  to: string;
  from: string;
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
}

/** What a send knows besides the message: the site's key, carried to the provider with the
 * message id so its feedback (bounces, complaints) can name both. */
export interface SendOptions {
  site?: string;
}

/**
 * A send that did not happen. `retryable`: whether the same message may be sent again later (a
 * 429, a 5xx, a provider busy); a refusal for good (a bad address, a sender the provider has
 * not verified, a missing secret) is not, and its message is marked failed.
 *
 * @example
 * if (e instanceof MailFailure && !e.retryable) await markFailed(db, id, e.message);
 */
export class MailFailure extends Error {
  override name = "MailFailure";
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** The provider refused the message for good (bad address, rejected content): do not retry.
 * Any other error is taken as passing, and the message is retried with backoff. */
export class PermanentMailError extends MailFailure {
  override name = "PermanentMailError";
  constructor(message: string) {
    super(message, false);
  }
}

/** A failure worth retrying: the provider was busy or down, or answered nothing we could read. */
export class RetryableMailError extends MailFailure {
  override name = "RetryableMailError";
  constructor(message: string) {
    super(message, true);
  }
}

/**
 * Where mail goes: the dev outbox, Resend, Postmark, Amazon SES or Cloudflare's binding. `send`
 * resolves with the provider's id of the message, or rejects with a `MailFailure` (or an
 * `OutboundTimeout`, retryable: the request may or may not have arrived, and the idempotency key
 * or the send lease makes the retry safe).
 *
 * @example
 * const { providerId } = await mailerFor(env, site).send(mail, { site: site.key });
 */
export interface Mailer {
  send(mail: Mail, opts?: SendOptions): Promise<{ providerId: string }>;
}

/** The names under which every send carries our message id and the site key to the provider
 * (Resend tags, Postmark Metadata, SES EmailTags), for feedback to find the message; the names
 * themselves live with the feedback side (feedback/ids.ts) so the two can never split. */
export const FEEDBACK_TAG = { message: MESSAGE_TAG, site: SITE_TAG } as const;

/** Tag values as the strictest provider takes them (Resend: ASCII letters, digits, `_` and `-`). */
const tagValue = (value: string): string => value.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 256);

/**
 * The feedback tags of a send, as name/value pairs.
 *
 * @example
 * feedbackTags("seq-1-0", { site: "pk_1" }); // [{ name: "cartback_message", value: "seq-1-0" }, { name: "cartback_site", value: "pk_1" }]
 */
export const feedbackTags = (id: string, opts?: SendOptions): { name: string; value: string }[] => [
  { name: FEEDBACK_TAG.message, value: tagValue(id) },
  ...(opts?.site ? [{ name: FEEDBACK_TAG.site, value: tagValue(opts.site) }] : []),
];
