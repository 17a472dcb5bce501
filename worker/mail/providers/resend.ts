import { feedbackTags, type Mail, type Mailer, type SendOptions } from "../provider";
import { call, type Fetch, httpFailure, jsonOf } from "./http";

/** Resend's send-email request for a message (https://resend.com/docs/api-reference/emails/send-email). */
const request = (apiKey: string, mail: Mail, opts?: SendOptions): RequestInit => ({
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
    tags: feedbackTags(mail.id, opts),
  }),
});

/**
 * Resend, with our message id as its `Idempotency-Key`, so a retried send is delivered once: a
 * request given up after `timeoutMs` may have reached Resend, and its retry (same key, same body,
 * within Resend's 24 hours, see https://resend.com/docs/dashboard/emails/idempotency-keys) gets
 * the first one's answer. The message id and the site key go as tags, for its webhooks.
 *
 * @example
 * const { providerId } = await resendMailer(env.RESEND_API_KEY).send(mail, { site: "pk_…" }); // "resend:…"
 */
export function resendMailer(apiKey: string, fetcher?: Fetch, timeoutMs?: number): Mailer {
  return {
    async send(mail, opts) {
      const { res, body } = await call({ fetcher, timeoutMs }, "Resend", "https://api.resend.com/emails", request(apiKey, mail, opts));
      const id = jsonOf(body)?.id;
      if (res.ok && typeof id === "string") return { providerId: `resend:${id}` };
      // 409 is an idempotency conflict still in flight (or a body changed under one key): retried.
      throw httpFailure("Resend", res.status, body, res.ok || res.status === 409);
    },
  };
}
