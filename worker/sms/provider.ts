// Where texts go, behind one interface like mail's (worker/mail/mailer.ts): the local SMS outbox
// (the default for `npm start`, read at /dev/outbox beside the mail) and Twilio's Messages API.
// Pick one with the SMS_PROVIDER variable ("outbox" | "twilio").

/** A text ready to send. `id` is the message's id: sending the same id twice sends once. */
export interface Sms {
  id: string;
  /** The collector's site id, for the outbox and the provider's status callback. */
  site: number;
  /** E.164, as the shopper gave it with their consent. */
  to: string;
  body: string;
}

/** The provider refused the text for good (an unroutable number, an opted-out recipient): do not
 * retry. Any other error is taken as passing, and the text is retried with backoff. */
export class PermanentSmsError extends Error {
  override name = "PermanentSmsError";
}

/**
 * Sends texts. `providerId` is the provider's own id of the message (Twilio's `SM…` sid), by which
 * its delivery status callbacks name it.
 *
 * @example
 * const { providerId } = await smsProviderFor(env).send({ id, site, to: "+34600111222", body });
 */
export interface SmsProvider {
  send(sms: Sms): Promise<{ providerId: string }>;
}
