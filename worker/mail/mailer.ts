import { keepMail } from "../db/outbox";
import { addressOf, isPlaceholder, providerOf } from "../sites/sender";
import type { MailProvider } from "../sites/settings";
import { type Mail, type Mailer, PermanentMailError } from "./provider";
import { cloudflareMailer } from "./providers/cloudflare";
import type { Fetch } from "./providers/http";
import { postmarkMailer } from "./providers/postmark";
import { resendMailer } from "./providers/resend";
import { sesMailer } from "./providers/ses";

export { addressOf, isPlaceholder, providerOf } from "../sites/sender";
export { toMime } from "./mime";
export {
  MAIL_PROVIDERS,
  type Mail,
  type Mailer,
  MailFailure,
  type MailProvider,
  PermanentMailError,
  RetryableMailError,
  type SendOptions,
} from "./provider";
export { cloudflareMailer, postmarkMailer, resendMailer, sesMailer };

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

/** A real provider's mailer from the collector's secrets; a missing one is said plainly, for good. */
function realMailer(env: Env, provider: Exclude<MailProvider, "outbox">, fetcher?: Fetch): Mailer {
  const need = (what: string): never => {
    throw new PermanentMailError(`the ${provider} provider needs ${what}`);
  };
  switch (provider) {
    case "resend":
      return resendMailer(env.RESEND_API_KEY ?? need("the RESEND_API_KEY secret"), fetcher);
    case "postmark":
      return postmarkMailer(
        env.POSTMARK_SERVER_TOKEN ?? need("the POSTMARK_SERVER_TOKEN secret"),
        fetcher,
        undefined,
        env.POSTMARK_MESSAGE_STREAM,
      );
    case "ses":
      return sesMailer(
        {
          accessKeyId: env.SES_ACCESS_KEY_ID ?? need("the SES_ACCESS_KEY_ID secret"),
          secretAccessKey: env.SES_SECRET_ACCESS_KEY ?? need("the SES_SECRET_ACCESS_KEY secret"),
          region: env.SES_REGION ?? need("the SES_REGION variable"),
          configurationSet: env.SES_CONFIGURATION_SET,
        },
        fetcher,
      );
    case "cloudflare":
      return cloudflareMailer(env.EMAIL ?? need("a [[send_email]] binding named EMAIL"));
  }
}

/**
 * The mailer for a site: its `mailProvider` setting, else MAIL_PROVIDER (the outbox when unset).
 * Every send carries the site's key beside the message id (for the provider's feedback), and a
 * placeholder sender (`recovery@cartback.invalid`) never reaches a real provider: that send fails
 * for good, saying what to set. A misconfiguration is a permanent error, said plainly.
 *
 * @example
 * await mailerFor(env, site).send(mail); // Resend, Postmark, SES, Cloudflare or the outbox
 */
export function mailerFor(
  env: Env,
  site?: number | { id: number; key?: string; settings?: { mailProvider?: MailProvider } },
  fetcher?: Fetch,
): Mailer {
  const known = typeof site === "number" ? { id: site } : site;
  const provider = providerOf(env.MAIL_PROVIDER, known?.settings);
  if (provider === "outbox") return outboxMailer(env.DB, known?.id);
  return {
    async send(mail, opts) {
      if (isPlaceholder(mail.from))
        throw new PermanentMailError(
          `the From address ${addressOf(mail.from)} is a placeholder: set MAIL_FROM to the ${provider} account's verified sender, or the site's fromAddress on a domain the check passed`,
        );
      return realMailer(env, provider, fetcher).send(mail, { site: known?.key, ...opts });
    },
  };
}
