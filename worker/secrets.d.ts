// Secrets are set with `wrangler secret put`, so `wrangler types` cannot see them.
declare namespace Cloudflare {
  interface Env {
    /** With MAIL_PROVIDER=resend. */
    RESEND_API_KEY?: string;
    /** With the postmark provider: the Server API token (Servers → API Tokens). */
    POSTMARK_SERVER_TOKEN?: string;
    /** With the postmark provider, optional: the transactional message stream's id ("outbound" unless set). */
    POSTMARK_MESSAGE_STREAM?: string;
    /** With the ses provider: an IAM access key allowed ses:SendEmail, its secret, the SES region
     * (eu-west-1…), and optionally the configuration set that publishes bounces and complaints. */
    SES_ACCESS_KEY_ID?: string;
    SES_SECRET_ACCESS_KEY?: string;
    SES_REGION?: string;
    SES_CONFIGURATION_SET?: string;
    /** The DNS-over-HTTPS JSON resolver the sending-domain check reads (Cloudflare's unless set). */
    DOH_URL?: string;
    /** With MAIL_PROVIDER=cloudflare: add a [[send_email]] binding named EMAIL to wrangler.toml. */
    EMAIL?: SendEmail;
    /** With SMS_PROVIDER=twilio: the account (AC…) every message belongs to. Collector-wide. */
    TWILIO_ACCOUNT_SID?: string;
    /** With SMS_PROVIDER=twilio: the account's Auth Token. Twilio signs its webhooks with it, so the
     * status and inbound routes need it even when the REST API is called with an API key. */
    TWILIO_AUTH_TOKEN?: string;
    /** With SMS_PROVIDER=twilio, optional: an API key (SK…) and its secret for the REST API instead
     * of the Auth Token, so the token can be rotated without a redeploy of the sender. */
    TWILIO_API_KEY_SID?: string;
    TWILIO_API_KEY_SECRET?: string;
    /** With SMS_PROVIDER=twilio, one of: the sending number (E.164) or alphanumeric sender id, or a
     * Messaging Service (MG…), which wins when both are set. */
    TWILIO_FROM?: string;
    TWILIO_MESSAGING_SERVICE_SID?: string;
  }
}
