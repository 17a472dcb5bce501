// Secrets are set with `wrangler secret put`, so `wrangler types` cannot see them.
declare namespace Cloudflare {
  interface Env {
    /** With MAIL_PROVIDER=resend. */
    RESEND_API_KEY?: string;
    /** With MAIL_PROVIDER=cloudflare: add a [[send_email]] binding named EMAIL to wrangler.toml. */
    EMAIL?: SendEmail;
  }
}
