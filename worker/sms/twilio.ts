// Twilio's Messages API over fetch, with a retry that cannot send a text twice.
//
// Twilio's create call has no idempotency key (https://www.twilio.com/docs/messaging/api/message-resource
// lists none; https://www.twilio.com/docs/api/errors/20500: "sending an SMS … not idempotent. If you
// get a 500 … and you retry the request, it is possible for a customer to receive multiple messages").
// So every text is claimed in D1 (`sms_sends`) before Twilio is called and completed with its sid
// after, and an attempt that cannot know whether Twilio created the message looks it up before it
// creates it again: Twilio's list of messages to that number, matched on the exact body, which
// carries the text's own restore link.

import { base64, utf8 } from "../../protocol/crypto";
import { claimSmsSend, reclaimSmsSend, recordSmsSent, releaseSmsSend, smsSendOf, smsTextOf } from "../db/sms-sends";
import { type SuppressWhy, suppressPhone } from "../db/suppressions";
import { PermanentSmsError, type Sms, type SmsProvider } from "./provider";

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** How the collector reaches Twilio, and how patient it is. */
export interface TwilioConfig {
  /** The account the messages belong to (AC…): the path of every request. */
  accountSid: string;
  /** Basic auth: the Account SID and Auth Token, or an API key's SID (SK…) and secret
   * (https://www.twilio.com/docs/iam/api#authenticate-with-http). */
  username: string;
  password: string;
  /** The sender: a Twilio number in E.164 or an alphanumeric sender id, or a Messaging Service. */
  from?: string;
  messagingServiceSid?: string;
  /** Where Twilio posts the text's delivery status (StatusCallback). */
  statusCallback?: (sms: Sms) => Promise<string | undefined>;
  db: D1Database;
  /** Each request's limit; past it the request is taken as ambiguous. */
  timeoutMs?: number;
  /** The longest Retry-After waited inside one attempt; a longer one is left to the queue's backoff. */
  maxWaitMs?: number;
  /** The pause after an ambiguous answer before the message is looked up. */
  settleMs?: number;
  /** How long a claim without a sid is taken to belong to an attempt that may still be running. */
  leaseMs?: number;
  apiBase?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** What one create call tells us: the message exists, it certainly does not, it may, or it never will. */
export type TwilioOutcome =
  | { kind: "created"; sid: string }
  | { kind: "not_created"; retryAfterMs: number; problem: string }
  | { kind: "ambiguous"; problem: string }
  | { kind: "refused"; code: number | undefined; problem: string };

// Twilio's codes that say the number itself cannot take our texts, so it is never tried again.
// https://www.twilio.com/docs/api/errors/21610 (the recipient replied STOP),
// https://www.twilio.com/docs/api/errors/21211 (not a valid phone number),
// https://www.twilio.com/docs/api/errors/21614 (not a mobile number: a landline or invalid).
// Others (21408 a region not enabled, 21606 a bad From, 20003 bad credentials) are the merchant's
// setup, not the shopper's number: refused, not suppressed.
const SUPPRESSES: Record<number, SuppressWhy> = { 21610: "stop", 21211: "undeliverable", 21614: "undeliverable" };

const SID = /^(SM|MM)[0-9a-f]{32}$/;

/**
 * Reads a create call's answer (https://www.twilio.com/docs/usage/twilios-response): 201 with the
 * Message; 429 is "never processed and is always safe to retry"
 * (https://www.twilio.com/docs/api/errors/20429), honouring Retry-After; any 5xx, including 503
 * (https://www.twilio.com/docs/api/errors/20503, which does not say the request was not
 * processed), or a 2xx without a sid, may have created it; any other 4xx is a refusal with
 * Twilio's `code` (`{ code, message, more_info, status }`).
 *
 * @example
 * twilioOutcome(429, '{"code":20429}', "2", 0); // { kind: "not_created", retryAfterMs: 2000, … }
 */
export function twilioOutcome(status: number, body: string, retryAfter: string | null, now: number): TwilioOutcome {
  const json = (() => {
    try {
      return JSON.parse(body) as { sid?: unknown; code?: unknown; message?: unknown };
    } catch {
      return undefined;
    }
  })();
  const problem = `Twilio answered ${status}: ${body.slice(0, 300)}`;
  if (status >= 200 && status < 300) {
    return typeof json?.sid === "string" && SID.test(json.sid) ? { kind: "created", sid: json.sid } : { kind: "ambiguous", problem };
  }
  if (status === 429) return { kind: "not_created", retryAfterMs: retryAfterMs(retryAfter, now), problem };
  if (status >= 500 || status === 408) return { kind: "ambiguous", problem };
  return { kind: "refused", code: typeof json?.code === "number" ? json.code : undefined, problem };
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3); a second when absent or unreadable. */
const retryAfterMs = (value: string | null, now: number): number => {
  if (value && /^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? 1000 : Math.max(0, at - now);
};

/** The create call's form body (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource). */
export function twilioForm(sms: Sms, sender: { from?: string; messagingServiceSid?: string }, statusCallback?: string): URLSearchParams {
  const form = new URLSearchParams({ To: sms.to, Body: sms.body });
  if (sender.messagingServiceSid) form.set("MessagingServiceSid", sender.messagingServiceSid);
  else if (sender.from) form.set("From", sender.from);
  if (statusCallback) form.set("StatusCallback", statusCallback);
  return form;
}

interface ListedMessage {
  sid?: string;
  to?: string;
  body?: string;
  direction?: string;
  date_created?: string;
}

/**
 * The sids of messages Twilio holds that may be this text, newest first, from a page of its
 * message list: sent to the same number, outbound, with exactly this body, created no earlier
 * than the claim (less a minute of clock skew).
 *
 * @example
 * matchListed(page.messages, sms, claimedAt); // ["SM…"] | []
 */
export function matchListed(messages: ListedMessage[], sms: Sms, since: number): string[] {
  return messages
    .filter(
      (m) =>
        typeof m.sid === "string" &&
        SID.test(m.sid) &&
        m.to === sms.to &&
        m.body === sms.body &&
        (m.direction ?? "").startsWith("outbound") &&
        !(Date.parse(m.date_created ?? "") < since - 60_000),
    )
    .map((m) => m.sid as string);
}

/**
 * Texts through Twilio's Messages API (Basic auth, form body). A second `send` of the same
 * `Sms.id` never creates a second message: the sid is recorded per id and returned; a send whose
 * earlier attempt's fate is unknown looks the message up first; a 429 is retried once after its
 * Retry-After, a 5xx or a timeout once after a look-up. A 21610 (the phone replied STOP), 21211
 * or 21614 suppresses the number for the site.
 *
 * @example
 * const sms = twilioSms({ accountSid, username: accountSid, password: authToken, from: "+15005550006", db: env.DB });
 * const { providerId } = await sms.send({ id, site: 1, to: "+34600111222", body });
 */
export function twilioSms(config: TwilioConfig, fetcher: Fetch = (input, init) => fetch(input, init)): SmsProvider {
  const base = `${config.apiBase ?? "https://api.twilio.com"}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
  const authorization = `Basic ${base64(utf8(`${config.username}:${config.password}`))}`; // as UTF-8 (RFC 7617): btoa throws on a character past Latin-1
  const now = config.now ?? Date.now;
  const sleep = config.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const timeoutMs = config.timeoutMs ?? 10_000;
  const maxWaitMs = config.maxWaitMs ?? 5_000;
  const leaseMs = config.leaseMs ?? 120_000;
  const { db } = config;

  async function create(sms: Sms): Promise<TwilioOutcome> {
    const callback = await config.statusCallback?.(sms);
    try {
      const res = await fetcher(base, {
        method: "POST",
        headers: { authorization, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: twilioForm(sms, config, callback).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return twilioOutcome(res.status, await res.text(), res.headers.get("retry-after"), now());
    } catch (e) {
      // A timeout or a dropped connection: the request may have reached Twilio.
      return { kind: "ambiguous", problem: `Twilio could not be reached: ${(e as Error).message}` };
    }
  }

  /** Twilio's latest 50 messages to the number (https://www.twilio.com/docs/messaging/api/message-resource#read-multiple-message-resources).
   * No DateSent filter: a message still queued has no date_sent yet. */
  async function lookUp(sms: Sms, since: number): Promise<string | undefined> {
    const query = new URLSearchParams({ To: sms.to, PageSize: "50" });
    const res = await fetcher(`${base}?${query}`, {
      method: "GET",
      headers: { authorization, accept: "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`Twilio's message list answered ${res.status}: ${body.slice(0, 300)}`);
    const page = JSON.parse(body) as { messages?: ListedMessage[] };
    for (const sid of matchListed(page.messages ?? [], sms, since)) {
      // Two texts that read alike (a body without its own link) must not share one message.
      const owner = await smsTextOf(db, sid);
      if (owner === null || owner === sms.id) return sid;
    }
    return undefined;
  }

  /** The sid on record for the text (the first one recorded, should two attempts both find one). */
  async function record(sms: Sms, sid: string): Promise<{ providerId: string }> {
    await recordSmsSent(db, sms.id, sid, now());
    return { providerId: (await smsSendOf(db, sms.id))?.provider_id ?? sid };
  }

  /** The sid when the text was sent before, else a claim of our own to send it. */
  async function claim(sms: Sms): Promise<{ providerId: string } | { claimedAt: number }> {
    for (let round = 0; round < 3; round++) {
      const row = await smsSendOf(db, sms.id);
      if (row?.provider_id) return { providerId: row.provider_id };
      const at = now();
      if (!row) {
        if (await claimSmsSend(db, sms, at)) return { claimedAt: at };
        continue;
      }
      // An earlier attempt claimed the text and recorded no sid: it died after Twilio created the
      // message, or its answer was lost, or it is still running.
      const found = await lookUp(sms, row.started_at);
      if (found) return record(sms, found);
      if (at - row.started_at < leaseMs) throw new Error(`an attempt at text ${sms.id} may still be running; retried later`);
      if (await reclaimSmsSend(db, sms.id, row.started_at, at)) return { claimedAt: at };
    }
    throw new Error(`text ${sms.id} is being claimed by other attempts; retried later`);
  }

  return {
    async send(sms) {
      const claimed = await claim(sms);
      if ("providerId" in claimed) return claimed;
      let outcome = await create(sms);
      let mayExist = outcome.kind === "ambiguous";
      if (outcome.kind === "not_created" && outcome.retryAfterMs <= maxWaitMs) {
        await sleep(outcome.retryAfterMs);
        outcome = await create(sms);
      } else if (outcome.kind === "ambiguous") {
        await sleep(config.settleMs ?? 1_000);
        const found = await lookUp(sms, claimed.claimedAt);
        if (found) return record(sms, found);
        outcome = await create(sms);
      }
      mayExist ||= outcome.kind === "ambiguous";
      switch (outcome.kind) {
        case "created":
          return record(sms, outcome.sid);
        case "refused": {
          if (!mayExist) await releaseSmsSend(db, sms.id, claimed.claimedAt);
          const why = outcome.code === undefined ? undefined : SUPPRESSES[outcome.code];
          if (why) await suppressPhone(db, sms.site, sms.to, why, now());
          throw new PermanentSmsError(outcome.problem);
        }
        default:
          // Known not created: the next attempt may send at once. Possibly created: the claim
          // stays, and the next attempt looks the message up before it sends.
          if (!mayExist) await releaseSmsSend(db, sms.id, claimed.claimedAt);
          throw new Error(outcome.problem);
      }
    },
  };
}
