// The names under which every provider send carries our own ids, and under which each provider's
// feedback gives them back: Resend `tags` (back in the webhook's `data.tags`), Postmark `Metadata`
// (back in the bounce and spam-complaint webhooks' `Metadata`), SES v2 `EmailTags` (back in the SNS
// notification's `mail.tags`). The sending side (providers) and the feedback side both import these,
// so a rename can never split them.

/** The tag / metadata key that holds our message id (`messages.id`, the idempotency key). */
export const MESSAGE_TAG = "cartback_message";

/** The tag / metadata key that holds the site's public key. */
export const SITE_TAG = "cartback_site";
