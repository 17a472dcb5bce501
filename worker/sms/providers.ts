import { siteRowById } from "../db/sites";
import { outboxSms } from "./outbox";
import { PermanentSmsError, type SmsProvider } from "./provider";
import { type Fetch, twilioSms } from "./twilio";

/** Whether texts go to the local outbox: SMS_PROVIDER unset or "outbox". */
export const usesSmsOutbox = (env: Env): boolean => !env.SMS_PROVIDER || env.SMS_PROVIDER === "outbox";

/**
 * The URLs Twilio calls for a site: the status callback every text names, and the Messaging
 * webhook ("A message comes in") to paste into the number's or the Messaging Service's settings.
 *
 * @example
 * twilioUrls("https://collector.example", "pk_…").inbound; // https://collector.example/v1/sms/twilio/inbound?site=pk_…
 */
export function twilioUrls(publicUrl: string, key: string): { status: string; inbound: string } {
  const base = publicUrl.replace(/\/+$/, "");
  const site = encodeURIComponent(key);
  return { status: `${base}/v1/sms/twilio/status?site=${site}`, inbound: `${base}/v1/sms/twilio/inbound?site=${site}` };
}

/**
 * The SMS provider SMS_PROVIDER names: the local outbox when unset or "outbox", Twilio when
 * "twilio" (collector-wide secrets: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM or
 * TWILIO_MESSAGING_SERVICE_SID, optionally TWILIO_API_KEY_SID + TWILIO_API_KEY_SECRET). A
 * misconfiguration is a permanent error, said plainly, as `mailerFor`'s is.
 *
 * @example
 * const { providerId } = await smsProviderFor(env).send({ id, site: site.id, to, body });
 */
export function smsProviderFor(env: Env, fetcher?: Fetch): SmsProvider {
  if (usesSmsOutbox(env)) return outboxSms(env.DB);
  if (env.SMS_PROVIDER !== "twilio") throw new PermanentSmsError(`SMS_PROVIDER is "${env.SMS_PROVIDER}": use "outbox" or "twilio"`);
  const missing = [
    !env.TWILIO_ACCOUNT_SID && "TWILIO_ACCOUNT_SID",
    !env.TWILIO_AUTH_TOKEN && "TWILIO_AUTH_TOKEN",
    !env.TWILIO_FROM && !env.TWILIO_MESSAGING_SERVICE_SID && "TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID",
    Boolean(env.TWILIO_API_KEY_SID) !== Boolean(env.TWILIO_API_KEY_SECRET) && "both TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET",
  ].filter(Boolean);
  if (missing.length || !env.TWILIO_ACCOUNT_SID || !env.TWILIO_AUTH_TOKEN) {
    throw new PermanentSmsError(`SMS_PROVIDER=twilio needs ${missing.join(", ")}`);
  }
  const apiKey = env.TWILIO_API_KEY_SID && env.TWILIO_API_KEY_SECRET;
  return twilioSms(
    {
      accountSid: env.TWILIO_ACCOUNT_SID,
      username: apiKey ? (env.TWILIO_API_KEY_SID as string) : env.TWILIO_ACCOUNT_SID,
      password: apiKey ? (env.TWILIO_API_KEY_SECRET as string) : env.TWILIO_AUTH_TOKEN,
      from: env.TWILIO_FROM,
      messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID,
      db: env.DB,
      async statusCallback(sms) {
        const site = await siteRowById(env.DB, sms.site);
        return site ? twilioUrls(env.PUBLIC_URL, site.key).status : undefined;
      },
    },
    fetcher,
  );
}
