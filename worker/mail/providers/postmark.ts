import { FEEDBACK_TAG, type Mail, type Mailer, type SendOptions } from "../provider";
import { call, type Fetch, httpFailure, jsonOf } from "./http";

/** Postmark's ErrorCodes (https://postmarkapp.com/developer/api/overview#error-codes) that a retry
 * can cure: 405 "not allowed to send" (the account's sending paused until credits are bought),
 * 429 and 100 (Postmark's own maintenance). Others on a 422 are about this message: for good. */
const RETRYABLE_CODES = new Set([100, 405, 429]);

/** The send-email request (https://postmarkapp.com/developer/api/email-api#send-a-single-email). */
const request = (token: string, mail: Mail, opts?: SendOptions, stream = "outbound"): RequestInit => ({
  method: "POST",
  headers: { accept: "application/json", "content-type": "application/json", "x-postmark-server-token": token },
  body: JSON.stringify({
    From: mail.from,
    To: mail.to,
    Subject: mail.subject,
    HtmlBody: mail.html,
    TextBody: mail.text,
    ...(mail.replyTo && { ReplyTo: mail.replyTo }),
    Headers: Object.entries(mail.headers).map(([Name, Value]) => ({ Name, Value })),
    // Recovery mail is one message per shopper's own cart: the transactional stream, untracked.
    MessageStream: stream,
    TrackOpens: false,
    Metadata: { [FEEDBACK_TAG.message]: mail.id, ...(opts?.site && { [FEEDBACK_TAG.site]: opts.site }) },
  }),
});

/**
 * Postmark, on the server's transactional message stream (`outbound` unless told otherwise).
 * Postmark has no idempotency key: a retry after a timeout could send twice, which the send lease
 * (db/ledger.ts `leaseSend`) limits to a request given up mid-flight. The message id and site key
 * go as Metadata, which its bounce and spam-complaint webhooks return.
 *
 * @example
 * const { providerId } = await postmarkMailer(env.POSTMARK_SERVER_TOKEN).send(mail, { site: "pk_…" }); // "postmark:…"
 */
export function postmarkMailer(token: string, fetcher?: Fetch, timeoutMs?: number, stream?: string): Mailer {
  return {
    async send(mail, opts) {
      const { res, body } = await call(
        { fetcher, timeoutMs },
        "Postmark",
        "https://api.postmarkapp.com/email",
        request(token, mail, opts, stream),
      );
      const answer = jsonOf(body);
      if (res.ok && answer?.ErrorCode === 0 && typeof answer.MessageID === "string") return { providerId: `postmark:${answer.MessageID}` };
      const code = typeof answer?.ErrorCode === "number" ? answer.ErrorCode : undefined;
      throw httpFailure("Postmark", res.status, body, res.ok || (code !== undefined && RETRYABLE_CODES.has(code)));
    },
  };
}
