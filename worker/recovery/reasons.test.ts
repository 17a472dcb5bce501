import { describe, expect, it } from "vitest";
import type { MomentKind } from "../../protocol/types";
import { deriveReason, REASON_WINDOW_MS, type StallReason, templateOf } from "./reasons";

const T = 1_760_000_000_000;
const m = (kind: MomentKind, secondsBeforeExit: number, code?: string) => ({ kind, code, at: T - secondsBeforeExit * 1000 });

// [what happened, timeline, checkout started, expected reason]
const table: [string, ReturnType<typeof m>[], boolean, StallReason][] = [
  ["nothing, cart only", [], false, "just_browsing"],
  ["nothing, but checkout started", [], true, "hesitation"],
  ["a declined card", [m("payment_failed", 30, "card_declined")], true, "card_declined"],
  [
    "three declines and an exit",
    [m("payment_failed", 90), m("payment_failed", 60), m("payment_failed", 30), m("exit_intent", 5)],
    true,
    "card_declined",
  ],
  ["a total jump, then an exit", [m("extra_cost", 40), m("exit_intent", 2)], true, "extra_costs"],
  ["a coupon refused", [m("coupon_failed", 20)], true, "extra_costs"],
  ["a returns page opened", [m("question", 15, "returns")], true, "returns_policy"],
  ["the shipping info opened", [m("question", 15, "shipping")], true, "delivery_slow"],
  ["an ingredients question", [m("question", 15, "ingredients")], true, "question"],
  ["the chat opened", [m("question", 15, "chat")], true, "question"],
  ["a sign-in wall", [m("step", 20, "sign-in")], true, "forced_account"],
  ["a validation loop", [m("field_error", 50, "zip"), m("field_error", 40, "zip"), m("field_reedit", 30, "zip")], true, "too_complicated"],
  [
    "back and forth between steps",
    [m("step", 90, "shipping"), m("step", 60, "payment"), m("step_back", 30, "shipping")],
    true,
    "too_complicated",
  ],
  ["idle on the payment step", [m("step", 200, "payment"), m("idle", 100, "payment")], true, "trust"],
  ["idle on the shipping step", [m("idle", 100, "shipping")], true, "hesitation"],
  ["a script error on checkout", [m("checkout_error", 10, "js")], true, "site_errors"],
  // Conflicts and ties.
  ["a decline beats an earlier total jump", [m("extra_cost", 300), m("payment_failed", 100)], true, "card_declined"],
  ["a decline beats a later question (stronger wins)", [m("payment_failed", 300), m("question", 10, "chat")], true, "card_declined"],
  ["equal strength: the nearest the exit wins", [m("question", 200, "returns"), m("question", 20, "shipping")], true, "delivery_slow"],
  ["equal strength, other order", [m("question", 200, "shipping"), m("question", 20, "returns")], true, "returns_policy"],
  [
    "equal strength at the same instant: the later in the timeline",
    [m("extra_cost", 30), m("coupon_failed", 30), m("extra_cost", 30)],
    true,
    "extra_costs",
  ],
  ["weak signals only: hesitation", [m("tab_hidden", 100), m("exit_intent", 10)], true, "hesitation"],
  [
    "an old decline outside the window does not count",
    [{ kind: "payment_failed", code: undefined, at: T - REASON_WINDOW_MS - 1000 }, m("question", 30, "faq")],
    true,
    "question",
  ],
  ["a moment after the exit does not explain it", [{ kind: "payment_failed", code: undefined, at: T + 1000 }], true, "hesitation"],
  ["context only (last field): nothing to go on", [m("last_field", 5, "email")], false, "just_browsing"],
];

describe("deriveReason: the strongest signal nearest the exit", () => {
  it.each(table)("%s", (_what, timeline, checkoutStarted, expected) => {
    expect(deriveReason(timeline, { exitAt: T, checkoutStarted })).toBe(expected);
  });
});

describe("templateOf", () => {
  it.each([
    ["card_declined", "payment_failed"],
    ["extra_costs", "extra_costs"],
    ["total_not_visible", "extra_costs"],
    ["returns_policy", "question"],
    ["trust", "question"],
    ["hesitation", "reminder"],
    ["just_browsing", "reminder"],
    ["site_errors", "reminder"],
  ] as const)("%s → %s", (reason, template) => {
    expect(templateOf(reason)).toBe(template);
  });
});
