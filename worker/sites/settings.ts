import * as v from "valibot";
import { CART_TTL_DAYS } from "../../protocol/limits";
import { EmailAddress } from "../../protocol/schema";
import { ImageHostsSchema } from "./hosts";

/** Why a checkout stalled, as far as the messages are concerned. */
export const REASONS = ["payment_failed", "extra_costs", "question", "reminder"] as const;
export type Reason = (typeof REASONS)[number];

const text = (max: number) => v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(max));
const email = EmailAddress;
const httpUrl = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.url(),
  v.check((s) => /^https?:\/\//.test(s), "must be an http(s) URL"),
);
const minutes = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(max));

const TemplateSchema = v.object({
  /** `{{name}}` is the shopper's name; a separator left dangling without it is tidied away. */
  subject: text(200),
  heading: text(200),
  body: text(2000),
  cta: text(60),
});
export type Template = v.InferOutput<typeof TemplateSchema>;

export const DEFAULT_TEMPLATES: Record<Reason, Template> = {
  payment_failed: {
    subject: "{{name}}, your payment didn't go through",
    heading: "Something went wrong with your payment",
    body: "Your order is still waiting for you. The payment didn't go through, which happens more often than you'd think. You can try again, or choose another payment method: your cart is saved.",
    cta: "Try again",
  },
  extra_costs: {
    subject: "{{name}}, your cart is waiting, with something extra",
    heading: "Still thinking it over?",
    body: "We know costs can add up at checkout. Your cart is saved, and here is something to make it easier.",
    cta: "Complete my order",
  },
  question: {
    subject: "{{name}}, any questions before you order?",
    heading: "Any questions before you order?",
    body: "If something wasn't clear (ingredients, delivery, returns), just reply to this email and a real person will answer. Your cart is saved until you're ready.",
    cta: "Back to my cart",
  },
  reminder: {
    subject: "{{name}}, you left something in your cart",
    heading: "Your cart is saved",
    body: "The things you picked are still waiting for you. Pick up right where you left off.",
    cta: "Return to my cart",
  },
};

const StepSchema = v.object({
  /** Minutes after the cart went quiet and the threshold passed (0 = as soon as it is abandoned). */
  afterMinutes: minutes(60 * 24 * 14),
  /** Whether this step offers the site's incentive (never on a payment failure). */
  incentive: v.optional(v.boolean(), false),
});

export const SettingsSchema = v.object({
  /** Days a cart is kept after its last change. */
  cartTtlDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(30)), CART_TTL_DAYS),
  /** Minutes without activity after which a cart with a reachable shopper counts as abandoned. */
  abandonAfterMinutes: v.optional(v.pipe(minutes(60 * 24), v.minValue(1)), 30),
  /** The sequence: default ~30 min, ~24 h and ~72 h after the last activity; the last offers the incentive. */
  steps: v.optional(v.pipe(v.array(StepSchema), v.minLength(1), v.maxLength(5)), [
    { afterMinutes: 0, incentive: false },
    { afterMinutes: 24 * 60 - 30, incentive: false },
    { afterMinutes: 72 * 60 - 30, incentive: true },
  ]),
  maxSequencesPerDay: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10)), 1),
  maxEmailsPer30Days: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(30)), 6),
  /** Recovery emails per site per 24 h, all addresses together: bounds what a forged request can make the collector send. */
  maxEmailsPerDay: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1_000_000)), 1000),
  /** Signed-in devices per account; a new one beyond this retires the least recently seen. */
  maxDevices: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(20)), 5),
  /** The share of shoppers (percent) who get no messages: their natural recovery is the baseline for the lift. */
  holdoutPercent: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(50)), 5),
  /** A paid order this many days after a message's send or click counts as recovered. */
  attributionDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(30)), 7),
  /** Store nothing from a browser without the shopper's consent (the script says so once
   * `cartback("consent", true)` was called): a check on the collector, whatever the tag says. */
  requireConsent: v.optional(v.boolean(), false),
  shopName: v.optional(text(100)),
  /** The From header's display name. Sent as a quoted string, so quotes and backslashes are fine;
   * a line break or other control character, `<` or `>` would change what the header says. */
  fromName: v.optional(
    v.pipe(
      text(100),
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
      v.regex(/^[^\u0000-\u001f\u007f-\u009f\u2028\u2029<>]*$/, "no line breaks, control characters, < or >"),
    ),
  ),
  /** Where replies go: the merchant's inbox, for the "question" message. */
  replyTo: v.optional(email),
  /** A chat link offered in the "question" message; must be on one of the site's origins. */
  chatUrl: v.optional(httpUrl),
  /** Where the recovery link lands, with `?cartback_restore=…`; must be on one of the site's origins. */
  restoreUrl: v.optional(httpUrl),
  /** Where it lands for one reason's messages instead (the checkout after a declined payment,
   * say), each on one of the site's origins; a reason without one lands on `restoreUrl`. */
  restoreUrls: v.optional(v.partial(v.object(Object.fromEntries(REASONS.map((r) => [r, httpUrl])) as Record<Reason, typeof httpUrl>)), {}),
  /** Hosts product images in emails may come from, besides the hosts of the site's origins
   * (a CDN): `cdn.shop.example` or `*.shop.example`. Images must be https either way. */
  imageHosts: v.optional(ImageHostsSchema, []),
  incentive: v.optional(
    v.object({
      code: v.pipe(text(40), v.regex(/^[\w-]+$/, "letters, digits, - and _ only")),
      description: text(200),
      /** The code's validity, stated in the email. */
      expiresInHours: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(24 * 30))),
    }),
  ),
  templates: v.optional(
    v.partial(v.object(Object.fromEntries(REASONS.map((r) => [r, TemplateSchema])) as Record<Reason, typeof TemplateSchema>)),
    {},
  ),
  /** The merchant is emailed when an order is interrupted. */
  notifyEmail: v.optional(email),
  /** Signed JSON posts for abandonment, message sent, click and recovery. */
  webhook: v.optional(v.object({ url: httpUrl, secret: v.pipe(v.string(), v.minLength(16), v.maxLength(200)) })),
});

export type SiteSettings = v.InferOutput<typeof SettingsSchema>;

/** The settings with every default filled in. */
export const DEFAULT_SETTINGS: SiteSettings = v.parse(SettingsSchema, {});

/** Reads stored settings; anything unreadable falls back to its default, never to an error. A
 * stored field that a later rule refuses (a fromName saved before `<` was refused) falls back
 * alone: the site keeps its other settings. */
export function readSettings(json: string): SiteSettings {
  let stored: unknown;
  try {
    stored = JSON.parse(json || "{}");
  } catch {
    return DEFAULT_SETTINGS;
  }
  const parsed = v.safeParse(SettingsSchema, stored);
  if (parsed.success) return parsed.output;
  if (typeof stored !== "object" || stored === null || Array.isArray(stored)) return DEFAULT_SETTINGS;
  const refused = new Set(parsed.issues.map((issue) => issue.path?.[0]?.key));
  const kept = v.safeParse(SettingsSchema, Object.fromEntries(Object.entries(stored).filter(([key]) => !refused.has(key))));
  return kept.success ? kept.output : DEFAULT_SETTINGS;
}

/** The template for a reason, the site's own where it has one. */
export const templateFor = (settings: SiteSettings, reason: Reason): Template => settings.templates[reason] ?? DEFAULT_TEMPLATES[reason];
