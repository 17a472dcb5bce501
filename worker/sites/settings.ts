import * as v from "valibot";
import { CART_TTL_DAYS, MAX_ID_LENGTH, MAX_TOTAL } from "../../protocol/limits";
import { Currency, EmailAddress } from "../../protocol/schema";
import { BUILTIN_COPY, COPY_LANGUAGES, LANGUAGES, type Language, primaryOf, validTimeZone } from "../copy/builtin";
import { ImageHostsSchema } from "./hosts";
import { SegmentSettingsSchema } from "./segments";

/** Why a checkout stalled, as far as the messages are concerned. */
export const REASONS = ["payment_failed", "extra_costs", "question", "reminder"] as const;
export type Reason = (typeof REASONS)[number];

const text = (max: number) => v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(max));
const email = EmailAddress;
// Any string of 16 to 200 characters, as before `whsec_` secrets: those keep working (server/webhooks.ts).
const webhookSecret = v.pipe(v.string(), v.minLength(16), v.maxLength(200));

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
  /** The text message's own sentence (README, SMS); the shop's name, the code, the link and the
   * opt-out words are put around it, so a merchant's text cannot lose them. */
  sms: v.optional(text(160)),
});
export type Template = v.InferOutput<typeof TemplateSchema>;

/** The English built-in templates (copy/builtin.ts has every language's). */
export const DEFAULT_TEMPLATES: Record<Reason, Template> = BUILTIN_COPY.en.templates;

const TemplatesSchema = v.partial(
  v.object(Object.fromEntries(REASONS.map((r) => [r, TemplateSchema])) as Record<Reason, typeof TemplateSchema>),
);
const LanguageSchema = v.picklist(LANGUAGES, `must be one of ${LANGUAGES.join(", ")}`);
/** A language with built-in copy, a variant included (`es-419`, Latin America's Spanish). */
const VariantSchema = v.picklist(COPY_LANGUAGES, `must be one of ${COPY_LANGUAGES.join(", ")}`);
/** A wall-clock time, `HH:MM` on a 24-hour clock. */
const clock = v.pipe(v.string(), v.regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time like 21:00"));
/**
 * Minutes after midnight of an `HH:MM`.
 *
 * @example
 * clockMinutes("21:30"); // 1290
 */
export const clockMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const QuietHoursSchema = v.pipe(
  v.object({ start: clock, end: clock }),
  // At least two waking hours: a step moved out of the night must land in a day that is there.
  v.check(({ start, end }) => {
    const length = (clockMinutes(end) - clockMinutes(start) + 1440) % 1440;
    return length > 0 && length <= 22 * 60;
  }, "start and end must differ, and leave at least two hours outside"),
);
export type QuietHours = v.InferOutput<typeof QuietHoursSchema>;

/**
 * The night a text keeps: the site's quiet hours, and where the site sends email at any hour
 * (`quietHours: null`), still 21:00-08:00, since a text wakes the phone it lands on.
 *
 * @example
 * smsQuietHours({ ...settings, quietHours: null }); // { start: "21:00", end: "08:00" }
 */
export const smsQuietHours = (settings: Pick<SiteSettings, "quietHours">): QuietHours =>
  settings.quietHours ?? { start: "21:00", end: "08:00" };

/** The providers a site's email can go through (docs/mail-providers.md, mail/mailer.ts). */
export const MAIL_PROVIDERS = ["outbox", "resend", "postmark", "ses", "cloudflare"] as const;
export type MailProvider = (typeof MAIL_PROVIDERS)[number];

/** The ways a step can go (README, SMS). */
export const CHANNELS = ["email", "sms", "sms_if_no_email"] as const;
export type StepChannel = (typeof CHANNELS)[number];

const StepSchema = v.object({
  /** Minutes after the cart went quiet and the threshold passed (0 = as soon as it is abandoned). */
  afterMinutes: minutes(60 * 24 * 14),
  /** Whether this step offers the site's incentive (never on a payment failure). */
  incentive: v.optional(v.boolean(), false),
  /** How the step reaches the shopper: `email`, `sms` (a consented number), or `sms_if_no_email`
   * (email, or a text to a shopper who gave no email). A step with no way to reach them is skipped. */
  channel: v.optional(v.picklist(CHANNELS, `must be one of ${CHANNELS.join(", ")}`), "email"),
});

/** Amounts in the currency's minor units, by ISO 4217 code: `{ "EUR": 1500 }`. */
const PerCurrency = v.pipe(
  v.record(Currency, v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_TOTAL))),
  v.check((r) => Object.keys(r).length <= 50, "at most 50 currencies"),
);

/** A line `data` field that marks a cart for no recovery: the key, and the value when it must be one. */
const LineDataRule = v.object({
  key: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  value: v.optional(v.union([v.pipe(v.string(), v.maxLength(256)), v.pipe(v.number(), v.finite()), v.boolean()])),
});

/** Carts that get no recovery (docs/audience.md): counted as excluded, never as abandoned. */
const ExclusionsSchema = v.object({
  /** A cart worth less than this, in its currency; a currency not listed has no minimum. */
  minValue: v.optional(PerCurrency, {}),
  /** A cart worth more than this (it deserves a call, not an email). */
  maxValue: v.optional(PerCurrency, {}),
  /** A cart with a line whose `id`, or whose `data.productId`, is one of these. */
  productIds: v.optional(v.pipe(v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_ID_LENGTH))), v.maxLength(1000)), []),
  /** A cart with a line whose `data` has this key (with this value, when given). */
  lineData: v.optional(v.pipe(v.array(LineDataRule), v.maxLength(50)), []),
});
export type Exclusions = v.InferOutput<typeof ExclusionsSchema>;

/** Who recovery writes to: everyone who gave an address (`everyone`), or only people who bought
 * from the shop before (`customers_only`: the ePrivacy soft opt-in, docs/audience.md). */
export const AUDIENCES = ["everyone", "customers_only"] as const;

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
  /** The mail provider this site's email goes through (its secrets are the collector's, see
   * docs/mail-providers.md); unset, the collector's MAIL_PROVIDER. */
  mailProvider: v.optional(v.picklist(MAIL_PROVIDERS, `must be one of ${MAIL_PROVIDERS.join(", ")}`)),
  /** The From address: on a domain the sending-domain check passed for this site and provider, or
   * the provider's verified sender (MAIL_FROM); unset, MAIL_FROM's address. Checked at save (update.ts). */
  fromAddress: v.optional(email),
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
  /** What a recovery link does to the cart already on the device, for `connect` and the platform
   * adapters: `"replace"` it (the default) or `"merge"` with it. A `connect` call's own wins. */
  restoreMode: v.optional(v.picklist(["replace", "merge"], 'must be "replace" or "merge"'), "replace"),
  /** On a Shopify store, a recovery link rebuilds the cart with a cart permalink
   * (`/cart/{variant}:{qty},…`, straight to checkout, with `?discount=` when the message offered
   * the incentive) instead of the AJAX Cart API and the cart page. */
  cartPermalink: v.optional(v.boolean(), false),
  /** Take events from Shopify's Custom Pixel: its sandboxed iframe sends `Origin: null`, which no
   * origin of the site can match. Off unless the shop runs the pixel. */
  shopifyPixel: v.optional(v.boolean(), false),
  incentive: v.optional(
    v.object({
      code: v.pipe(text(40), v.regex(/^[\w-]+$/, "letters, digits, - and _ only")),
      /** What the offer is, as a sentence ("Free shipping on your order."): shown before the
       * code's sentence, it is made one if it is not (capitalised, a full stop added). */
      description: text(200),
      /** The code's validity, stated in the email. */
      expiresInHours: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(24 * 30))),
      /** Each sequence gets its own single-use code from the site's pool (the merchant API's
       * `/codes`), kept for its later steps; `code` is then the fallback. */
      unique: v.optional(v.boolean(), false),
      /** With an empty pool: the static `code`, or no incentive at all. */
      whenPoolEmpty: v.optional(v.picklist(["static", "none"]), "static"),
      /** The merchant is told once when this few free codes are left. */
      lowAt: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000)), 20),
    }),
  ),
  /** The merchant's own copy in the site's default language (a reason without one gets the built-in copy). */
  templates: v.optional(TemplatesSchema, {}),
  /** The language a shopper is written to when theirs is not among `languages` (or not known):
   * a variant (`es-419`) too, which a bare `es` browser then gets as well. */
  defaultLanguage: v.optional(VariantSchema, "en"),
  /** The languages the site writes in, besides its default: a shopper whose browser prefers one
   * of them gets it. Every built-in language unless the site says otherwise. */
  languages: v.optional(v.pipe(v.array(LanguageSchema), v.maxLength(LANGUAGES.length)), [...LANGUAGES]),
  /** The merchant's copy per language (`{ es: { reminder: {…} } }`), over the built-in copy of that
   * language; `es-419` over `es` for Latin American shoppers. */
  copy: v.optional(
    v.partial(v.object(Object.fromEntries(COPY_LANGUAGES.map((l) => [l, TemplatesSchema])) as Record<Language, typeof TemplatesSchema>)),
    {},
  ),
  /** The language of the emails to the merchant (an interrupted order, a code pool running low);
   * unset, the most common language of the shop's shoppers, else English (mail/merchant.ts). */
  merchantLanguage: v.optional(VariantSchema),
  /** The shop's IANA time zone: the quiet hours of a shopper whose zone is not known are read in it. */
  timeZone: v.optional(
    v.pipe(
      v.string(),
      v.check((z) => validTimeZone(z) !== undefined, "must be an IANA time zone like Europe/Madrid"),
      v.transform((z) => validTimeZone(z) as string),
    ),
    "UTC",
  ),
  /** No message is sent between `start` and `end` in the shopper's zone: a step due then waits
   * for `end`. `null` sends at any hour. */
  quietHours: v.optional(v.nullable(QuietHoursSchema), { start: "21:00", end: "08:00" }),
  /** The merchant is emailed when an order is interrupted. */
  notifyEmail: v.optional(email),
  /** What the built-in segments count as upsell-ready and high-value (docs/segments.md). */
  segments: v.optional(SegmentSettingsSchema, {}),
  /** Carts that get no recovery (by value, product, line data); the shopper list is the merchant API's. */
  exclusions: v.optional(ExclusionsSchema, {}),
  /** `customers_only`: recovery only to people with an order on record or whom the shop identified
   * with `customer: true`. */
  audience: v.optional(v.picklist(AUDIENCES, 'must be "everyone" or "customers_only"'), "everyone"),
  /** Signed JSON posts for abandonment, message sent, click and recovery (Standard Webhooks, docs/webhooks.md).
   * `previous`: the secret before the last change, which signs too until `until` (ms); the
   * collector sets it (sites/webhook-rotation.ts), whatever a patch says. */
  webhook: v.optional(
    v.object({
      url: httpUrl,
      secret: webhookSecret,
      previous: v.optional(v.object({ secret: webhookSecret, until: v.pipe(v.number(), v.integer()) })),
    }),
  ),
});

export type SiteSettings = v.InferOutput<typeof SettingsSchema>;

/**
 * Whether a message offers the site's incentive: never on a payment failure (the shopper wanted to
 * pay; a discount would only cost margin), always for extra-cost shock, else per step.
 *
 * @example
 * offersIncentive(settings, "extra_costs", 0); // true when the site has an incentive
 */
export function offersIncentive(settings: SiteSettings, reason: Reason, step: number): boolean {
  if (!settings.incentive || reason === "payment_failed") return false;
  return reason === "extra_costs" || Boolean(settings.steps[step]?.incentive);
}

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

/**
 * The template for a reason in a language variant: the merchant's copy in that variant, else in
 * its language (`es` for `es-419`), else (in the default language) the site's `templates`, else
 * the built-in copy of that variant.
 *
 * @example
 * templateFor(settings, "reminder", "es").subject; // "{{name}}, te has dejado algo en el carrito"
 * templateFor(settings, "reminder", "es-419").subject; // "{{name}}, dejaste algo en tu carrito"
 */
export const templateFor = (settings: SiteSettings, reason: Reason, language: Language = settings.defaultLanguage): Template =>
  settings.copy[language]?.[reason] ??
  settings.copy[primaryOf(language)]?.[reason] ??
  (primaryOf(language) === primaryOf(settings.defaultLanguage) ? settings.templates[reason] : undefined) ??
  BUILTIN_COPY[language].templates[reason];
