import { outboxSms } from "./outbox";
import { PermanentSmsError, type SmsProvider } from "./provider";

type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** Whether texts go to the local outbox: SMS_PROVIDER unset or "outbox". */
export const usesSmsOutbox = (env: Env): boolean => !env.SMS_PROVIDER || env.SMS_PROVIDER === "outbox";

/**
 * The SMS provider SMS_PROVIDER names: the local outbox when unset or "outbox", Twilio when
 * "twilio". A misconfiguration is a permanent error, said plainly, as `mailerFor`'s is.
 *
 * @example
 * const { providerId } = await smsProviderFor(env).send({ id, site: site.id, to, body });
 */
export function smsProviderFor(env: Env, _fetcher?: Fetch): SmsProvider {
  if (usesSmsOutbox(env)) return outboxSms(env.DB);
  if (env.SMS_PROVIDER === "twilio") throw new PermanentSmsError("SMS_PROVIDER=twilio is not available yet");
  throw new PermanentSmsError(`SMS_PROVIDER is "${env.SMS_PROVIDER}": use "outbox" or "twilio"`);
}
