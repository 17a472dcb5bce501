import { EmailMessage } from "cloudflare:email";
import { base64, utf8 } from "../../protocol/crypto";
import { keepMail } from "../db/outbox";
import { OUTBOUND_TIMEOUT_MS, withTimeout } from "../http/outbound";

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

/** The provider refused the message for good (bad address, rejected content): do not retry.
 * Any other error is taken as passing, and the message is retried with backoff. */
export class PermanentMailError extends Error {
  override name = "PermanentMailError";
}

/**
 * Where mail goes. Three implementations: the local outbox (default for `npm start`), Resend's
 * HTTP API, and Cloudflare's `send_email` binding. Pick one with the MAIL_PROVIDER variable.
 *
 * @example
 * const { providerId } = await mailerFor(env).send(mail);
 */
export interface Mailer {
  send(mail: Mail): Promise<{ providerId: string }>;
}

/** Stores mail in D1's `dev_outbox`, readable at /dev/outbox. A repeated id is stored once. */
export function outboxMailer(db: D1Database, site?: number): Mailer {
  return {
    async send(mail) {
      await keepMail(db, site, { ...mail, headers: headersOf(mail) }, Date.now());
      return { providerId: `outbox:${mail.id}` };
    },
  };
}

/** Every header the message carries, as a client would see them. */
export const headersOf = (mail: Mail): Record<string, string> => ({
  From: mail.from,
  To: mail.to,
  Subject: mail.subject,
  ...(mail.replyTo && { "Reply-To": mail.replyTo }),
  ...mail.headers,
});

type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** Resend's send-email request for a message. */
const request = (apiKey: string, mail: Mail): RequestInit => ({
  method: "POST",
  headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": mail.id },
  body: JSON.stringify({
    from: mail.from,
    to: [mail.to],
    subject: mail.subject,
    html: mail.html,
    text: mail.text,
    headers: mail.headers,
    ...(mail.replyTo && { reply_to: mail.replyTo }),
  }),
});

/**
 * Resend (https://resend.com/docs/api-reference/emails/send-email), with our message id as its
 * `Idempotency-Key`, so a retried send is delivered once: a request given up after `timeoutMs`
 * may have reached Resend, and its retry (same key, same body, within Resend's 24 hours, see
 * https://resend.com/docs/dashboard/emails/idempotency-keys) gets the first one's answer.
 */
export function resendMailer(
  apiKey: string,
  fetcher: Fetch = (input, init) => fetch(input, init),
  timeoutMs = OUTBOUND_TIMEOUT_MS,
): Mailer {
  return {
    async send(mail) {
      const { res, body } = await withTimeout(
        async (signal) => {
          const res = await fetcher("https://api.resend.com/emails", { ...request(apiKey, mail), signal });
          return { res, body: await res.text() };
        },
        timeoutMs,
        "Resend",
      );
      if (res.ok) return { providerId: `resend:${(JSON.parse(body) as { id: string }).id}` };
      const problem = `Resend answered ${res.status}: ${body.slice(0, 300)}`;
      // 429 and 5xx pass; 409 is an idempotency conflict still in flight; other 4xx will not.
      if (res.status === 429 || res.status === 409 || res.status >= 500) throw new Error(problem);
      throw new PermanentMailError(problem);
    },
  };
}

// MIME wraps base64 at 76 characters (RFC 2045 §6.8).
const wrapped64 = (text: string): string => (base64(utf8(text)).match(/.{1,76}/g) ?? []).join("\r\n");

/** RFC 2047 for header values that are not plain ASCII. */
const encodeHeader = (value: string): string =>
  /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${wrapped64(value).replace(/\r\n/g, "")}?=`;

/** A multipart/alternative MIME message, text and HTML both base64 (safe for any content). */
export function toMime(mail: Mail, date = new Date()): string {
  const boundary = `cb_${crypto.randomUUID()}`;
  const domain = /@([^>\s]+)/.exec(mail.from)?.[1] ?? "cartback.invalid";
  // No CR or LF from a value reaches the header block: that would be header injection.
  const headers = Object.entries(headersOf(mail)).map(([k, value]) => {
    const v = value.replace(/[\r\n]+/g, " ");
    return `${k}: ${k === "Subject" || k === "From" ? encodeHeader(v) : v}`;
  });
  return [
    ...headers,
    `Message-ID: <${mail.id}@${domain}>`,
    `Date: ${date.toUTCString()}`,
    "MIME-Version: 1.0",
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    wrapped64(mail.text),
    `--${boundary}`,
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    wrapped64(mail.html),
    `--${boundary}--`,
    "",
  ].join("\r\n");
}

/** Cloudflare Email Routing's `send_email` binding (verified destinations, or an onboarded domain). */
export function cloudflareMailer(binding: SendEmail): Mailer {
  return {
    async send(mail) {
      const address = /<([^>]+)>/.exec(mail.from)?.[1] ?? mail.from;
      await binding.send(new EmailMessage(address, mail.to, toMime(mail)));
      return { providerId: `cloudflare:${mail.id}` };
    },
  };
}

/** The mailer MAIL_PROVIDER names; a misconfiguration is a permanent error, said plainly. */
export function mailerFor(env: Env, site?: number): Mailer {
  switch (env.MAIL_PROVIDER) {
    case "resend":
      if (!env.RESEND_API_KEY) throw new PermanentMailError("MAIL_PROVIDER=resend needs the RESEND_API_KEY secret");
      return resendMailer(env.RESEND_API_KEY);
    case "cloudflare":
      if (!env.EMAIL) throw new PermanentMailError("MAIL_PROVIDER=cloudflare needs a [[send_email]] binding named EMAIL");
      return cloudflareMailer(env.EMAIL);
    default:
      return outboxMailer(env.DB, site);
  }
}
