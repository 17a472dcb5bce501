// What each provider's feedback says, read into FeedbackEvents (pure: no request, no D1). Only the
// fields read are checked and unknown ones are let through: providers add fields without notice,
// and a refusal would lose a bounce. Types the collector has no use for give no events.
import * as v from "valibot";
import { MESSAGE_TAG, SITE_TAG } from "./ids";
import type { FeedbackEvent, Outcome } from "./outcome";

/** A body that does not validate, with its issues by path. */
export type Refused = { issues: v.BaseIssue<unknown>[] };

const at = (text: string | undefined, fallback: number): number => {
  const t = text ? Date.parse(text) : Number.NaN;
  return Number.isFinite(t) ? t : fallback;
};

/** Our ids from Resend's `data.tags`: an object of name → value, or the array of { name, value } a send carried. */
function resendIds(tags: unknown): { messageId?: string; siteKey?: string } {
  const pairs: [string, unknown][] = Array.isArray(tags)
    ? tags.map((t) => [String((t as { name?: unknown })?.name), (t as { value?: unknown })?.value])
    : tags && typeof tags === "object"
      ? Object.entries(tags)
      : [];
  const get = (name: string) => {
    const value = pairs.find(([n]) => n === name)?.[1];
    return typeof value === "string" ? value : undefined;
  };
  return { messageId: get(MESSAGE_TAG), siteKey: get(SITE_TAG) };
}

const ResendEvent = v.looseObject({
  type: v.string("is missing"),
  created_at: v.optional(v.string()),
  data: v.looseObject({
    to: v.optional(v.union([v.array(v.string()), v.string()])),
    tags: v.optional(v.unknown()),
    bounce: v.optional(v.looseObject({ type: v.optional(v.string()) })),
  }),
});

/** Resend's event types (https://resend.com/docs/dashboard/webhooks/event-types) and the outcome each means. */
function resendOutcome(type: string, bounceType: string | undefined): Outcome | null {
  if (type === "email.delivered") return "delivered";
  if (type === "email.delivery_delayed") return "delayed";
  if (type === "email.complained") return "complained";
  // Resend sends email.bounced when the receiving server rejected the mail for good; its newer
  // payloads say so in bounce.type ("Permanent"), and a "Transient" one is counted as soft.
  if (type === "email.bounced") return bounceType === "Transient" || bounceType === "Undetermined" ? "soft_bounce" : "hard_bounce";
  return null;
}

/**
 * The events of one Resend webhook (https://resend.com/docs/dashboard/webhooks/introduction).
 *
 * @example
 * resendEvents(JSON.parse(body), svixId, Date.now()); // [{ outcome: "hard_bounce", email: "ana@example.com", messageId: "…", … }]
 */
export function resendEvents(body: unknown, eventId: string, now: number): FeedbackEvent[] | Refused {
  const parsed = v.safeParse(ResendEvent, body);
  if (!parsed.success) return { issues: parsed.issues };
  const e = parsed.output;
  const outcome = resendOutcome(e.type, e.data.bounce?.type);
  if (!outcome) return [];
  const to = typeof e.data.to === "string" ? [e.data.to] : (e.data.to ?? []);
  return to.map((email) => ({ eventId, outcome, email, ...resendIds(e.data.tags), at: at(e.created_at, now) }));
}

/** Postmark bounce types (https://postmarkapp.com/developer/api/bounce-api#bounce-types) that mean the address is gone. */
export const POSTMARK_HARD = new Set(["HardBounce", "BadEmailAddress", "ManuallyDeactivated"]);
/** Postmark bounce types that may pass: counted, three in 30 days suppress. */
export const POSTMARK_SOFT = new Set(["SoftBounce", "Transient", "DnsError", "Blocked", "SMTPApiError", "DMARCPolicy", "Unknown"]);

const PostmarkEvent = v.looseObject({
  RecordType: v.string("is missing"),
  ID: v.optional(v.union([v.number(), v.string()])),
  Type: v.optional(v.string()),
  MessageID: v.optional(v.string()),
  Email: v.optional(v.string()),
  Recipient: v.optional(v.string()),
  BouncedAt: v.optional(v.string()),
  DeliveredAt: v.optional(v.string()),
  Metadata: v.optional(v.nullable(v.record(v.string(), v.unknown()))),
});

/** Postmark's outcome for a record, or null for those that say nothing about delivery (an auto-responder). */
function postmarkOutcome(record: string, type: string | undefined): Outcome | null {
  if (record === "SpamComplaint" || type === "SpamComplaint") return "complained";
  if (record === "Delivery") return "delivered";
  if (record !== "Bounce" || !type) return null;
  return POSTMARK_HARD.has(type) ? "hard_bounce" : POSTMARK_SOFT.has(type) ? "soft_bounce" : null;
}

/**
 * The events of one Postmark webhook: Bounce, SpamComplaint and Delivery
 * (https://postmarkapp.com/developer/webhooks/bounce-webhook, …/spam-complaint-webhook, …/delivery-webhook).
 * The event id is the record's own (a bounce's ID; a delivery's message and recipient).
 *
 * @example
 * postmarkEvents({ RecordType: "Bounce", ID: 42, Type: "HardBounce", Email: "ana@example.com", … }, Date.now());
 */
export function postmarkEvents(body: unknown, now: number): { eventId: string; events: FeedbackEvent[] } | Refused {
  const parsed = v.safeParse(PostmarkEvent, body);
  if (!parsed.success) return { issues: parsed.issues };
  const e = parsed.output;
  const email = e.Email ?? e.Recipient;
  const eventId = e.ID !== undefined ? `${e.RecordType}:${e.ID}` : `${e.RecordType}:${e.MessageID ?? ""}:${email ?? ""}`;
  const outcome = postmarkOutcome(e.RecordType, e.Type);
  if (!outcome || !email) return { eventId, events: [] };
  const meta = e.Metadata ?? {};
  const str = (x: unknown) => (typeof x === "string" ? x : undefined);
  return {
    eventId,
    events: [
      {
        eventId,
        outcome,
        email,
        messageId: str(meta[MESSAGE_TAG]),
        siteKey: str(meta[SITE_TAG]),
        at: at(e.BouncedAt ?? e.DeliveredAt, now),
      },
    ],
  };
}

const Recipients = v.optional(v.array(v.looseObject({ emailAddress: v.string() })));
const SesNotification = v.looseObject({
  notificationType: v.optional(v.string()),
  eventType: v.optional(v.string()),
  mail: v.looseObject({
    messageId: v.optional(v.string()),
    timestamp: v.optional(v.string()),
    destination: v.optional(v.array(v.string())),
    tags: v.optional(v.record(v.string(), v.array(v.string()))),
  }),
  bounce: v.optional(
    v.looseObject({
      bounceType: v.string(),
      bouncedRecipients: Recipients,
      feedbackId: v.optional(v.string()),
      timestamp: v.optional(v.string()),
    }),
  ),
  complaint: v.optional(
    v.looseObject({ complainedRecipients: Recipients, feedbackId: v.optional(v.string()), timestamp: v.optional(v.string()) }),
  ),
  delivery: v.optional(v.looseObject({ recipients: v.optional(v.array(v.string())), timestamp: v.optional(v.string()) })),
  deliveryDelay: v.optional(v.looseObject({ delayedRecipients: Recipients, timestamp: v.optional(v.string()) })),
});

/**
 * The events of one SES notification, the JSON in an SNS Notification's Message: identity
 * notifications (`notificationType`, https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html)
 * and configuration-set event publishing (`eventType`, with `mail.tags`,
 * https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html). A
 * Permanent bounce is hard; Transient and Undetermined are soft.
 *
 * @example
 * sesEvents(JSON.parse(sns.Message), sns.MessageId, Date.now());
 */
export function sesEvents(body: unknown, snsId: string, now: number): FeedbackEvent[] | Refused {
  const parsed = v.safeParse(SesNotification, body);
  if (!parsed.success) return { issues: parsed.issues };
  const n = parsed.output;
  const kind = n.eventType ?? n.notificationType;
  const tag = (name: string) => n.mail.tags?.[name]?.[0];
  const ids = { messageId: tag(MESSAGE_TAG), siteKey: tag(SITE_TAG) };
  const each = (emails: string[], outcome: Outcome, eventId: string, when?: string): FeedbackEvent[] =>
    emails.map((email) => ({ eventId, outcome, email, ...ids, at: at(when, now) }));
  if (kind === "Bounce" && n.bounce) {
    const outcome = n.bounce.bounceType === "Permanent" ? "hard_bounce" : "soft_bounce";
    return each(
      (n.bounce.bouncedRecipients ?? []).map((r) => r.emailAddress),
      outcome,
      n.bounce.feedbackId ?? snsId,
      n.bounce.timestamp,
    );
  }
  if (kind === "Complaint" && n.complaint) {
    return each(
      (n.complaint.complainedRecipients ?? []).map((r) => r.emailAddress),
      "complained",
      n.complaint.feedbackId ?? snsId,
      n.complaint.timestamp,
    );
  }
  if (kind === "Delivery" && n.delivery)
    return each(n.delivery.recipients ?? n.mail.destination ?? [], "delivered", snsId, n.delivery.timestamp);
  if (kind === "DeliveryDelay" && n.deliveryDelay) {
    return each(
      (n.deliveryDelay.delayedRecipients ?? []).map((r) => r.emailAddress),
      "delayed",
      snsId,
      n.deliveryDelay.timestamp,
    );
  }
  return [];
}
