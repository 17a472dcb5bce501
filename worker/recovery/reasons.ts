import type { MomentKind } from "../../protocol/types";
import type { Reason as TemplateName } from "../sites/settings";

export type { TemplateName };

/**
 * Why a checkout stalled: Baymard's checkout-abandonment reasons (Sept 2025), plus the two the
 * source documents name, hesitation and a last-minute question.
 */
export const STALL_REASONS = [
  "extra_costs",
  "delivery_slow",
  "trust",
  "forced_account",
  "too_complicated",
  "site_errors",
  "returns_policy",
  "total_not_visible",
  "card_declined",
  "payment_methods",
  "just_browsing",
  "hesitation",
  "question",
] as const;
export type StallReason = (typeof STALL_REASONS)[number];

export interface Moment {
  kind: MomentKind;
  code?: string;
  value?: number;
  at: number;
}

/** Only what happened shortly before the exit explains it. */
export const REASON_WINDOW_MS = 30 * 60_000;

/** Topics of a `question` moment, and the reason each points to. */
const QUESTION_REASON: Record<string, StallReason> = {
  returns: "returns_policy",
  shipping: "delivery_slow",
  delivery: "delivery_slow",
  security: "trust",
  payment_methods: "payment_methods",
  shipping_estimate: "total_not_visible",
};

const SIGN_IN_STEP = /sign.?in|log.?in|account|register/i;

/**
 * The reason a moment points to and how strongly: how unambiguous the signal is. A decline code
 * says exactly what went wrong; a hidden tab could mean anything.
 */
export function signalOf(m: Moment): [StallReason, number] | undefined {
  switch (m.kind) {
    case "payment_failed":
      return ["card_declined", 100];
    case "checkout_error":
      return ["site_errors", 90];
    case "extra_cost":
      return ["extra_costs", 80];
    case "coupon_failed":
      return ["extra_costs", 70];
    case "question":
      return [QUESTION_REASON[m.code ?? ""] ?? "question", 60];
    case "step":
      return m.code && SIGN_IN_STEP.test(m.code) ? ["forced_account", 50] : undefined;
    case "field_error":
      return ["too_complicated", 40];
    case "step_back":
      return ["too_complicated", 35];
    case "idle":
      // Stalling on the payment step reads as doubt about handing over card details.
      return m.code && /pay/i.test(m.code) ? ["trust", 30] : ["hesitation", 25];
    case "tab_hidden":
    case "exit_intent":
      return ["hesitation", 20];
    case "field_reedit":
      return ["too_complicated", 15];
    default:
      return undefined; // last_field: context, not a reason
  }
}

/**
 * The primary reason a cart stalled. The rule: among the moments in the 30 minutes before the
 * exit (the cart's last activity), the strongest signal wins; between equally strong signals, the
 * one nearest the exit. With no signal, a shopper who started checkout hesitated, and one who
 * did not was just browsing.
 *
 * @example
 * deriveReason([{ kind: "extra_cost", at: t }, { kind: "exit_intent", at: t + 5000 }], { exitAt: t + 5000, checkoutStarted: true });
 * // "extra_costs": a jump in the total explains an exit better than the exit itself
 */
export function deriveReason(moments: Moment[], { exitAt, checkoutStarted }: { exitAt: number; checkoutStarted: boolean }): StallReason {
  let best: { reason: StallReason; strength: number; at: number } | undefined;
  for (const m of moments) {
    if (m.at > exitAt || m.at < exitAt - REASON_WINDOW_MS) continue;
    const signal = signalOf(m);
    if (!signal) continue;
    const [reason, strength] = signal;
    if (!best || strength > best.strength || (strength === best.strength && m.at >= best.at)) best = { reason, strength, at: m.at };
  }
  return best?.reason ?? (checkoutStarted ? "hesitation" : "just_browsing");
}

/** The message a reason gets: payment trouble, a price to soften, a question to answer, or a reminder. */
export function templateOf(reason: StallReason): TemplateName {
  switch (reason) {
    case "card_declined":
      return "payment_failed";
    case "extra_costs":
    case "total_not_visible":
      return "extra_costs";
    case "question":
    case "returns_policy":
    case "delivery_slow":
    case "trust":
    case "payment_methods":
      return "question";
    default:
      return "reminder";
  }
}
