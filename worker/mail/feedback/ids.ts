// The names under which every provider send carries our own ids, and under which each provider's
// feedback gives them back: Resend `tags` (back in the webhook's `data.tags`), Postmark `Metadata`
// (back in the bounce and spam-complaint webhooks' `Metadata`), SES v2 `EmailTags` (back in the SNS
// notification's `mail.tags`). The sending side (providers) and the feedback side both import these,
// so a rename can never split them.

/** The tag / metadata key that holds our message id (`messages.id`, the idempotency key). */
export const MESSAGE_TAG = "cartback_message";

/** The tag / metadata key that holds the site's public key. */
export const SITE_TAG = "cartback_site";

/** Our ids as a provider carries them on a send. */
export interface FeedbackIds {
  message: string;
  site: string;
}

/**
 * Resend's `tags` for a send: names and values limited to ASCII letters, digits, `_` and `-`
 * (https://resend.com/docs/api-reference/emails/send-email), so anything else becomes `_`.
 *
 * @example
 * body.tags = resendTags({ message: mail.id, site: site.key }); // [{ name: "cartback_message", value: "…" }, …]
 */
export const resendTags = (ids: FeedbackIds): { name: string; value: string }[] => [
  { name: MESSAGE_TAG, value: tagValue(ids.message) },
  { name: SITE_TAG, value: tagValue(ids.site) },
];

/**
 * Postmark's `Metadata` for a send (https://postmarkapp.com/developer/user-guide/send-email-with-api/add-metadata-to-messages).
 *
 * @example
 * body.Metadata = postmarkMetadata({ message: mail.id, site: site.key });
 */
export const postmarkMetadata = (ids: FeedbackIds): Record<string, string> => ({ [MESSAGE_TAG]: ids.message, [SITE_TAG]: ids.site });

/**
 * SES v2's `EmailTags` for a send (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html);
 * tag values allow ASCII letters, digits, `_`, `-`, `.`, `@`, so anything else becomes `_`.
 *
 * @example
 * body.EmailTags = sesEmailTags({ message: mail.id, site: site.key });
 */
export const sesEmailTags = (ids: FeedbackIds): { Name: string; Value: string }[] => [
  { Name: MESSAGE_TAG, Value: ids.message.replace(/[^A-Za-z0-9_.@-]/g, "_") },
  { Name: SITE_TAG, Value: ids.site.replace(/[^A-Za-z0-9_.@-]/g, "_") },
];

/** Our message ids and site keys are already in this alphabet; the replacement is a guard, not a path. */
const tagValue = (value: string): string => value.replace(/[^A-Za-z0-9_-]/g, "_");
