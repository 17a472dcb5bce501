import * as v from "valibot";
import { normalEmail } from "./email";
import {
  EMAIL_PATTERN,
  LOCALE_PATTERN,
  MAX_BATCH_EVENTS,
  MAX_DATA_BYTES,
  MAX_DATA_KEY_LENGTH,
  MAX_DATA_KEYS,
  MAX_EMAIL_LENGTH,
  MAX_ID_LENGTH,
  MAX_LINES,
  MAX_PRICE,
  MAX_QUANTITY,
  MAX_REF_LENGTH,
  MAX_SYNC_ENTRIES,
  MAX_TEXT_LENGTH,
  MAX_TOTAL,
  MAX_URL_LENGTH,
  MOMENT_KINDS,
  PHONE_PATTERN,
  PLATFORMS,
  TIME_ZONE_PATTERN,
} from "./limits";
import { withoutPrivate } from "./line-data";
import type { Batch, Cart, CartbackEvent, Line } from "./types";

// Half an emoji (a lone surrogate) is valid in a JS string but not in UTF-8: D1 would store each
// as three replacement characters, the event's JSON as the original. One replacement character,
// here, keeps every copy the same.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text of 1 to `max` characters, each lone surrogate replaced (see above). */
export const text = (max: number) =>
  v.pipe(
    v.string(),
    v.minLength(1, "must not be empty"),
    v.maxLength(max, `must be at most ${max} characters`),
    v.transform((s) => s.replace(LONE_SURROGATE, "\uFFFD")),
  );

const httpUrl = v.pipe(
  v.string(),
  v.maxLength(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`),
  v.url("must be an absolute URL"),
  v.check((s) => /^https?:\/\//i.test(s), "must be an http(s) URL"),
);

const minorUnits = (min: number, max: number) => v.pipe(v.number(), v.integer("must be an integer"), v.minValue(min), v.maxValue(max));

/** Milliseconds since the epoch; anything before 2020 or past 2100 is a bug, not a time. */
const timestamp = v.pipe(v.number(), v.integer("must be an integer"), v.minValue(1_577_836_800_000), v.maxValue(4_102_444_800_000));

/** Ids made by the script: URL-safe base64 of random bytes. */
/**
 * An address from a server or a merchant (the merchant API, the privacy API, settings): trimmed,
 * checked, and in its normal form. (The script's identify is not trimmed: the script refuses a
 * padded address, and both sides accept the same.)
 */
export const EmailAddress = v.pipe(
  v.string(),
  v.trim(),
  v.maxLength(MAX_EMAIL_LENGTH),
  v.regex(EMAIL_PATTERN, "must be an email address"),
  v.transform(normalEmail),
);

export const RandomId = v.pipe(v.string(), v.regex(/^[\w-]{16,64}$/, "must be 16-64 URL-safe characters"));

export const Currency = v.pipe(v.string(), v.regex(/^[A-Z]{3}$/, "must be an ISO 4217 code like EUR"));

// A line's `data` refuses a lone surrogate instead (the script cannot replace it without
// growing): with `u`, a lone surrogate is a code point of the category Cs, a pair is not.
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);
const NO_LONE_SURROGATE = "must not hold a lone surrogate (half an emoji)";
/** Keys valibot's record() skips without a word: refused, so nothing is dropped silently. */
const RESERVED_KEYS = ["__proto__", "constructor", "prototype"];

/** A line's own fields from the shop (types.ts LineData), handed on with their keys sorted and
 * without the Shopify properties Cartback must not keep, which an older script still sends (line-data.ts). */
export const LineDataSchema = v.pipe(
  v.custom<Record<string, unknown>>(
    (d) => typeof d === "object" && d !== null && Object.getPrototypeOf(d) === Object.prototype,
    "must be an object of strings, numbers and booleans",
  ),
  v.check((d) => !Object.keys(d).some((k) => RESERVED_KEYS.includes(k)), "must not use the keys __proto__, constructor or prototype"),
  v.check((d) => Object.keys(d).length <= MAX_DATA_KEYS, `must have at most ${MAX_DATA_KEYS} keys`),
  v.record(
    v.pipe(
      v.string(),
      v.minLength(1, "a key must not be empty"),
      v.maxLength(MAX_DATA_KEY_LENGTH, `a key must be at most ${MAX_DATA_KEY_LENGTH} characters`),
      v.check(wellFormed, NO_LONE_SURROGATE),
    ),
    v.union(
      [v.pipe(v.string(), v.check(wellFormed, NO_LONE_SURROGATE)), v.pipe(v.number(), v.finite()), v.boolean()],
      "must be a string, a number or a boolean",
    ),
  ),
  v.check((d) => new TextEncoder().encode(JSON.stringify(d)).length <= MAX_DATA_BYTES, `must be at most ${MAX_DATA_BYTES} bytes of JSON`),
  v.transform((d) => withoutPrivate(JSON.parse(JSON.stringify(d, Object.keys(d).sort())) as Record<string, string | number | boolean>)),
);

export const LineSchema = v.object({
  id: text(MAX_ID_LENGTH),
  name: text(MAX_TEXT_LENGTH),
  price: minorUnits(0, MAX_PRICE),
  quantity: minorUnits(1, MAX_QUANTITY),
  url: v.optional(httpUrl),
  image: v.optional(httpUrl),
  variant: v.optional(text(MAX_TEXT_LENGTH)),
  data: v.optional(LineDataSchema),
});

export const CartSchema = v.object({
  currency: Currency,
  lines: v.pipe(
    v.array(LineSchema),
    v.maxLength(MAX_LINES, `must have at most ${MAX_LINES} lines`),
    v.check((lines) => new Set(lines.map((l) => l.id)).size === lines.length, "line ids must be unique"),
  ),
});

const base = { id: RandomId, at: timestamp };

/** A language tag; the collector reads its language (copy/builtin.ts) and ignores one it cannot. */
const Locale = v.pipe(
  v.string(),
  v.maxLength(35, "must be at most 35 characters"),
  v.regex(LOCALE_PATTERN, "must be a language tag like es or es-MX"),
);

export const EventSchema = v.variant("type", [
  v.object({
    ...base,
    type: v.literal("cart"),
    action: v.picklist(["set", "add", "update", "remove", "clear"]),
    cart: CartSchema,
  }),
  v.pipe(
    v.object({
      ...base,
      type: v.literal("identify"),
      // Not trimmed before the check: the script refuses an address with spaces around it, and the
      // two must accept the same (test/email.test.ts). Normalised after it (protocol/email.ts).
      email: v.optional(
        v.pipe(v.string(), v.maxLength(MAX_EMAIL_LENGTH), v.regex(EMAIL_PATTERN, "must be an email address"), v.transform(normalEmail)),
      ),
      userId: v.optional(text(MAX_ID_LENGTH)),
      name: v.optional(text(MAX_TEXT_LENGTH)),
      locale: v.optional(Locale),
      phone: v.optional(v.pipe(v.string(), v.regex(PHONE_PATTERN, "must be a phone number in E.164 form, like +34600111222"))),
      smsConsent: v.optional(v.boolean()),
      exclude: v.optional(v.boolean()),
      customer: v.optional(v.boolean()),
    }),
    // A phone alone is a shopper recovered by text only; a locale or a consent alone, a change of either.
    v.check(
      (e) =>
        Boolean(
          e.email ||
            e.userId ||
            e.name ||
            e.phone ||
            e.locale ||
            e.smsConsent !== undefined ||
            e.exclude !== undefined ||
            e.customer !== undefined,
        ),
      "identify needs an email, a userId, a name, a phone, a locale, smsConsent, exclude or customer",
    ),
    // A number is kept only with the shopper's explicit yes to texts (README, SMS).
    v.check((e) => e.phone === undefined || e.smsConsent === true, "a phone needs smsConsent: true"),
  ),
  v.object({ ...base, type: v.literal("checkout") }),
  v.object({
    ...base,
    type: v.literal("moment"),
    kind: v.picklist(MOMENT_KINDS),
    code: v.optional(text(MAX_TEXT_LENGTH)),
    value: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_TOTAL))),
  }),
  v.object({
    ...base,
    type: v.literal("purchase"),
    orderId: text(MAX_ID_LENGTH),
    total: minorUnits(0, MAX_TOTAL),
    currency: Currency,
    cart: v.optional(CartSchema),
  }),
  v.object({
    ...base,
    type: v.literal("ref"),
    platform: v.picklist(PLATFORMS),
    ref: v.pipe(
      v.string(),
      v.minLength(1, "must not be empty"),
      v.maxLength(MAX_REF_LENGTH, `must be at most ${MAX_REF_LENGTH} characters`),
      v.regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
    ),
  }),
]);

export const BatchSchema = v.object({
  aid: RandomId,
  sentAt: timestamp,
  events: v.pipe(
    v.array(EventSchema),
    v.minLength(1, "must hold at least one event"),
    v.maxLength(MAX_BATCH_EVENTS, `must hold at most ${MAX_BATCH_EVENTS} events`),
  ),
  consent: v.optional(v.boolean()),
  // Read if the collector can (a page's lang="es_ES" must not cost the batch); see whereabouts.
  locale: v.optional(v.pipe(v.string(), v.maxLength(64))),
  // Shape only: a zone this runtime does not know is ignored at ingest, never a lost batch.
  timeZone: v.optional(v.pipe(v.string(), v.regex(TIME_ZONE_PATTERN, "must be an IANA time zone like Europe/Madrid"))),
});

/** Turns valibot issues into `{ path, message }` pairs a developer can read. */
export const describeIssues = (issues: v.BaseIssue<unknown>[]) =>
  issues.slice(0, 20).map((issue) => ({ path: v.getDotPath(issue) ?? "", message: issue.message }));

export const SiteKey = v.pipe(v.string(), v.regex(/^pk_[\w-]{4,64}$/, "must look like pk_..."));

// Compile-time proof that the schemas and the hand-written types in types.ts agree exactly.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Same<v.InferOutput<typeof LineSchema>, Line>,
  Same<v.InferOutput<typeof CartSchema>, Cart>,
  Same<v.InferOutput<typeof EventSchema>, CartbackEvent>,
  Same<v.InferOutput<typeof BatchSchema>, Batch>,
] = [true, true, true, true];
void agree;

const HlcSchema = v.tuple([
  timestamp,
  v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1_000_000)),
  v.pipe(v.string(), v.maxLength(64)),
]);
const ZeroOrHlc = v.union([HlcSchema, v.tuple([v.literal(0), v.literal(0), v.literal("")])]);

/** A device's replica of the account cart (see merge.ts). */
export const SyncCartSchema = v.object({
  currency: Currency,
  currencyAt: ZeroOrHlc,
  lines: v.pipe(
    v.record(
      text(MAX_ID_LENGTH),
      v.object({
        line: v.optional(LineSchema),
        at: HlcSchema,
        pos: HlcSchema,
        // Per-field clocks (merge.ts): a field the schema does not name is refused, not dropped.
        f: v.optional(
          v.strictObject({
            name: v.optional(HlcSchema),
            price: v.optional(HlcSchema),
            quantity: v.optional(HlcSchema),
            url: v.optional(HlcSchema),
            image: v.optional(HlcSchema),
            variant: v.optional(HlcSchema),
            data: v.optional(HlcSchema),
          }),
        ),
      }),
    ),
    v.check((lines) => Object.keys(lines).length <= MAX_SYNC_ENTRIES, `at most ${MAX_SYNC_ENTRIES} lines and tombstones`),
  ),
});

/** The body of `POST /v1/sync?site=SITE_KEY`. */
export const SyncRequestSchema = v.object({
  token: v.pipe(v.string(), v.maxLength(2048)),
  aid: RandomId,
  cart: SyncCartSchema,
  consent: v.optional(v.boolean()),
  // Read if the collector can (a page's lang="es_ES" must not cost the batch); see whereabouts.
  locale: v.optional(v.pipe(v.string(), v.maxLength(64))),
  // Shape only: a zone this runtime does not know is ignored at ingest, never a lost batch.
  timeZone: v.optional(v.pipe(v.string(), v.regex(TIME_ZONE_PATTERN, "must be an IANA time zone like Europe/Madrid"))),
});

/** A device's first message on its socket, and its body on `POST /v1/sync` when the socket cannot open. */
export const SyncHelloSchema = v.object({
  t: v.literal("hello"),
  token: v.pipe(v.string(), v.maxLength(2048)),
  aid: RandomId,
  consent: v.optional(v.boolean()),
  /** The number of the last account change this device has seen (0: none). */
  w: v.pipe(v.number(), v.integer(), v.minValue(0)),
  /** This device's entries changed since the account last acknowledged them (all of them, the first time). */
  d: SyncCartSchema,
  /** The device's clock when it sent: the account hands it back once `d` is stored. */
  k: ZeroOrHlc,
});

/** What a device sends on its socket (`GET /v1/sync/ws`): `hello` first, then `push`es. */
export const SocketMessageSchema = v.variant("t", [
  SyncHelloSchema,
  v.object({ t: v.literal("push"), d: SyncCartSchema, k: HlcSchema, b: v.optional(timestamp) }),
]);
