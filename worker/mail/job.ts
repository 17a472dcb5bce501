/** A message on the mail queue. The id is also the provider's idempotency key. A `sms` job is a
 * recovery step that goes by text (sms/deliver.ts): it shares the queue, its retries and its
 * dead-letter queue with mail. `email` is the person's key (a phone-keyed person's `tel:…`). */
export type MailJob =
  | { kind: "recovery"; id: string; site: number; email: string }
  | { kind: "sms"; id: string; site: number; email: string }
  | { kind: "merchant_notice"; id: string; site: number; email: string; about: string };
