// Decisions on what the mail providers report (pure; the routes and the store act on them).
import { DAY_MS } from "../../../protocol/limits";

/** What became of a sent email, as its provider reported it. */
export type Outcome = "delayed" | "delivered" | "soft_bounce" | "hard_bounce" | "complained";

/**
 * OUTCOME_RANK. Reports come in any order and more than once; a message keeps the highest rank
 * seen, so the answer does not depend on which came last: a late "delivered" never undoes a bounce,
 * and a complaint (which implies the mail was delivered) outranks everything.
 */
export const OUTCOME_RANK: Readonly<Record<Outcome, number>> = {
  delayed: 1,
  delivered: 2,
  soft_bounce: 3,
  hard_bounce: 4,
  complained: 5,
};

/** One thing a provider said about one recipient of one message. */
export interface FeedbackEvent {
  /** The provider's own id of this report (redeliveries repeat it): counts a soft bounce once. */
  eventId: string;
  outcome: Outcome;
  /** The recipient, as the provider names it. */
  email: string;
  /** Our message id, when the provider gave our tag / metadata back. */
  messageId?: string;
  /** Our site key, when the provider gave it back. */
  siteKey?: string;
  at: number;
}

/** Soft bounces that suppress an address, and the window they must fall in. */
export const SOFT_BOUNCES_TO_SUPPRESS = 3;
export const SOFT_BOUNCE_WINDOW_MS = 30 * DAY_MS;

/**
 * The suppression source an outcome writes at once, or null: a hard bounce or a complaint stop the
 * address for good; a soft bounce only counts (`suppressesAfterSoft`).
 *
 * @example
 * suppressionFor("complained"); // "complaint"
 * suppressionFor("soft_bounce"); // null
 */
export const suppressionFor = (outcome: Outcome): "bounce" | "complaint" | null =>
  outcome === "hard_bounce" ? "bounce" : outcome === "complained" ? "complaint" : null;

/**
 * Whether the soft bounces counted in the window suppress the address.
 *
 * @example
 * suppressesAfterSoft(3); // true
 */
export const suppressesAfterSoft = (softBouncesInWindow: number): boolean => softBouncesInWindow >= SOFT_BOUNCES_TO_SUPPRESS;

/** Complaint rate over 7 days above which the dashboard and the merchant notice warn (Gmail's and Yahoo's recommendation). */
export const COMPLAINT_WARN = 0.001;
/** Complaint rate over 7 days above which sending pauses itself (Gmail's and Yahoo's limit for bulk senders). */
export const COMPLAINT_PAUSE = 0.003;
/** Share of a day's emails that hard-bounced above which the dashboard and the merchant notice warn. */
export const HARD_BOUNCE_WARN = 0.05;

/** The feedback figures the warnings are decided on. */
export interface Health {
  /** Over the last 7 days: recovery emails sent and complaints about them. */
  week: { sent: number; complained: number };
  /** Each of the last 7 days: emails sent and hard bounces. */
  days: { day: string; sent: number; hard: number }[];
}

/** A warning, said plainly; `pause` when sending must stop. */
export interface Warning {
  kind: "complaints" | "hard_bounces" | "paused";
  text: string;
}

const percent = (x: number) => `${(x * 100).toFixed(2).replace(/\.?0+$/, "")} %`;

/**
 * The warnings the figures call for, worst first.
 *
 * @example
 * warningsFor({ week: { sent: 500, complained: 1 }, days: [] }); // [{ kind: "complaints", text: "Spam complaints: 0.2 % … (over 0.1 %)" }]
 */
export function warningsFor(health: Health): Warning[] {
  const out: Warning[] = [];
  const { sent, complained } = health.week;
  const rate = sent ? complained / sent : 0;
  if (complained > 0 && rate > COMPLAINT_WARN) {
    out.push({
      kind: "complaints",
      text: `Spam complaints: ${percent(rate)} of the ${sent} recovery emails of the last 7 days (${complained}). Gmail and Yahoo ask senders to stay under 0.1 % and block above 0.3 %.`,
    });
  }
  for (const d of health.days) {
    if (d.sent && d.hard / d.sent > HARD_BOUNCE_WARN) {
      out.push({
        kind: "hard_bounces",
        text: `Hard bounces on ${d.day}: ${percent(d.hard / d.sent)} of ${d.sent} emails (${d.hard}), over 5 %: addresses that do not exist are reaching the collector.`,
      });
    }
  }
  return out;
}

/**
 * Whether a complaint just recorded pauses sending: the 7-day rate is above 0.3 %.
 *
 * @example
 * pausesSending({ sent: 300, complained: 1 }); // true (0.33 %)
 */
export const pausesSending = (week: { sent: number; complained: number }): boolean =>
  week.complained > 0 && week.sent > 0 && week.complained / week.sent > COMPLAINT_PAUSE;
