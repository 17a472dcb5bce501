// Decisions on what Twilio's webhooks say: how far a message got, and whether a reply opts out.

/**
 * Rank of each outbound status Twilio reports
 * (https://www.twilio.com/docs/messaging/api/message-resource#message-status-values,
 * https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks).
 * Callbacks arrive in any order, and the stored status is the highest rank seen, so a late `sent`
 * never replaces `delivered`. Every rank is distinct, so the outcome is the same whatever the order.
 * Among the final ones the handset's confirmation wins: `delivered` (and WhatsApp's `read`) over a
 * carrier's `undelivered` or Twilio's `failed`.
 */
export const STATUS_RANK: Readonly<Record<string, number>> = {
  scheduled: 10,
  accepted: 20,
  queued: 30,
  sending: 40,
  sent: 50,
  canceled: 60,
  undelivered: 70,
  failed: 80,
  partially_delivered: 85,
  delivered: 90,
  read: 100,
};

/**
 * The rank of a reported status, or undefined for one Twilio does not document for outbound texts.
 *
 * @example
 * statusRank("delivered") > statusRank("sent"); // true
 */
export const statusRank = (status: string): number | undefined => (Object.hasOwn(STATUS_RANK, status) ? STATUS_RANK[status] : undefined);

/**
 * Twilio's default opt-out keywords for long codes: STOP, UNSUBSCRIBE, END, QUIT, STOPALL,
 * REVOKE, OPTOUT, CANCEL (https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out).
 */
export const OPT_OUT_KEYWORDS: readonly string[] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"];

/**
 * Whether an inbound message opts its sender out: its whole body is one of the keywords (any case,
 * any surrounding or inner whitespace, as a phone's autocorrect adds), or Advanced Opt-Out
 * recognised one of the Messaging Service's own keywords and says so with `OptOutType=STOP`
 * (https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out). "Stop texting me" is not a
 * keyword, as Twilio does not take it for one.
 *
 * @example
 * optsOut(" Stop\n", null); // true
 * optsOut("BAJA", "STOP"); // true: a Spanish keyword the merchant configured in Advanced Opt-Out
 * optsOut("hello", null); // false
 */
export function optsOut(body: string | null, optOutType: string | null): boolean {
  if (optOutType?.trim().toUpperCase() === "STOP") return true;
  const word = (body ?? "").replace(/\s+/g, "").toUpperCase();
  return OPT_OUT_KEYWORDS.includes(word);
}
