// The shape of the words the collector writes in each language (copy/builtin.ts), in one place so
// each language's file imports only this.

/** The reasons a message speaks to (sites/settings.ts REASONS, repeated here so this folder imports nothing). */
export type CopyReason = "payment_failed" | "extra_costs" | "question" | "reminder";

/** One reason's email: `{{name}}` is the shopper's first name, `{{shop}}` the shop's, `{{code}}` the incentive's code. */
export interface TemplateCopy {
  subject: string;
  heading: string;
  body: string;
  cta: string;
}

/** Everything around a template, in emails, texts and link pages. */
export interface Copy {
  templates: Record<CopyReason, TemplateCopy>;
  /** After the question message's body, and only when the site has a Reply-To: the promise that
   * a reply is read. Without a Reply-To a reply goes to the sending address, where nobody reads. */
  reply: string;
  /** `{{quantity}}` */
  quantity: string;
  total: string;
  /** `{{description}}` (the merchant's, in the site's words), `{{code}}` */
  offer: string;
  /** `{{duration}}` (e.g. "48 hours", written by Intl in the language), `{{until}}` (a date and time) */
  offerValid: string;
  chat: string;
  /** After the chat link, when the site has a Reply-To. */
  chatOr: string;
  /** `{{shop}}` */
  footer: string;
  /** The unsubscribe link's words, and what follows the link (may be empty). */
  unsubscribe: string;
  unsubscribeAfter: string;
  /** A text message around its sentence: `{{shop}}`, `{{text}}` (the reason's, below, or the
   * merchant's), `{{link}}`, `{{code}}` (the code sentence below with a space before it, or
   * nothing) and `{{stop}}` (the opt-out sentence below). Texts are short: GSM-7 letters where a
   * native speaker would not miss an accent, so one text stays one segment where it can. */
  sms: string;
  /** A text's sentence for each reason; the link follows it. */
  smsText: Record<CopyReason, string>;
  /** The opt-out words carriers and the law expect at the end of a marketing text. */
  smsStop: string;
  /** A code in a text: `{{code}}` */
  smsCode: string;
  /** Where no shop name is known. */
  theShop: string;
  expiredTitle: string;
  expiredHeading: string;
  /** `{{duration}}` (e.g. "7 days") */
  expiredBody: string;
  orderedTitle: string;
  orderedHeading: string;
  /** `{{shop}}` */
  orderedBody: string;
  waitingTitle: string;
  waitingHeading: string;
  waitingButton: string;
  unsubscribeTitle: string;
  unsubscribeHeading: string;
  /** `{{email}}`, `{{shop}}` */
  unsubscribeBody: string;
  unsubscribeButton: string;
  unsubscribedTitle: string;
  unsubscribedHeading: string;
  /** `{{email}}` */
  unsubscribedBody: string;
  unknownTitle: string;
  unknownHeading: string;
}
