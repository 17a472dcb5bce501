/** A message on the mail queue. The id is also the provider's idempotency key. */
export type MailJob =
  | { kind: "recovery"; id: string; site: number; email: string }
  | { kind: "merchant_notice"; id: string; site: number; email: string; about: string };
