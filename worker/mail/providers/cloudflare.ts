import { EmailMessage } from "cloudflare:email";
import { OUTBOUND_TIMEOUT_MS, withTimeout } from "../../http/outbound";
import { parseAddress, toMime } from "../mime";
import { type Mail, type Mailer, PermanentMailError, RetryableMailError } from "../provider";

/** The binding's refusals a retry cannot change: a header outside its list
 * (https://developers.cloudflare.com/email-service/reference/headers/, `E_HEADER_NOT_ALLOWED`), a
 * sender or recipient the binding is not allowed. Anything else (rate limits, the service's own
 * trouble, an error we do not know) is retried, as it was before this adapter knew any. */
const PERMANENT = /E_HEADER_NOT_ALLOWED|not allowed|not verified/i;

/** The raw-message route, for a runtime whose binding takes only an `EmailMessage`. */
async function sendRaw(binding: SendEmail, mail: Mail): Promise<string> {
  const from = parseAddress(mail.from).email;
  const result = await binding.send(new EmailMessage(from, mail.to, toMime(mail)));
  return result?.messageId ?? mail.id;
}

/**
 * Cloudflare's `send_email` binding, with its structured send
 * (https://developers.cloudflare.com/email-service/api/send-emails/workers-api/): Cloudflare builds
 * the MIME, so nothing here is hand-encoded. A runtime that only takes an `EmailMessage` refuses
 * the object with a TypeError before sending anything; then the message goes as MIME with folded
 * RFC 2047 words (mime.ts). The binding has no idempotency key: the send lease guards retries.
 *
 * @example
 * const { providerId } = await cloudflareMailer(env.EMAIL).send(mail); // "cloudflare:…"
 */
export function cloudflareMailer(binding: SendEmail, timeoutMs = OUTBOUND_TIMEOUT_MS): Mailer {
  return {
    send: (mail) => withTimeout(() => sendOnce(binding, mail), timeoutMs, "Cloudflare send_email"),
  };
}

/** One send through the binding: structured, or raw MIME on a runtime that takes only that. */
async function sendOnce(binding: SendEmail, mail: Mail): Promise<{ providerId: string }> {
  const { name, email } = parseAddress(mail.from);
  const replyTo = mail.replyTo && parseAddress(mail.replyTo);
  let id: string;
  try {
    try {
      const result = await binding.send({
        from: name ? { name, email } : email,
        to: mail.to,
        subject: mail.subject,
        html: mail.html,
        text: mail.text,
        ...(replyTo && { replyTo: replyTo.name ? { name: replyTo.name, email: replyTo.email } : replyTo.email }),
        headers: mail.headers,
      });
      id = result?.messageId ?? mail.id;
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      id = await sendRaw(binding, mail);
    }
  } catch (e) {
    const problem = `Cloudflare send_email refused: ${e instanceof Error ? e.message : String(e)}`;
    throw PERMANENT.test(problem) ? new PermanentMailError(problem) : new RetryableMailError(problem);
  }
  return { providerId: `cloudflare:${id}` };
}
