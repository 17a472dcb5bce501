// Limits shared by the script and the collector. This file imports nothing, so the browser
// bundle can use the numbers without pulling the schema library in.

/** A cart is dropped this long after its last change, in the browser and on the collector. */
export const CART_TTL_DAYS = 7;
export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;

/** Keep-alive requests and beacons share a 64 KiB budget per page; one batch never exceeds it. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Events in one `POST /v1/events`. */
export const MAX_BATCH_EVENTS = 50;
/** One serialised event; bigger ones are refused at the call that makes them. */
export const MAX_EVENT_BYTES = 32 * 1024;

export const MAX_LINES = 100;
/** Lines and tombstones in an account cart's replica: room for every device's lines, and removals. */
export const MAX_SYNC_ENTRIES = MAX_LINES * 3;
export const MAX_QUANTITY = 9_999;
/** Unit prices are integers in minor units (cents); this is 10 million in major units. */
export const MAX_PRICE = 1_000_000_000;
/** An order total or a moment's amount: a full cart of lines at the top price (MAX_PRICE × MAX_LINES,
 * written out: esbuild does not fold the product, and the script counts its bytes). */
export const MAX_TOTAL = 100_000_000_000;
export const MAX_ID_LENGTH = 128;
export const MAX_TEXT_LENGTH = 200;
export const MAX_URL_LENGTH = 2048;
export const MAX_EMAIL_LENGTH = 254;
/** A line's `data` (the shop's own fields): keys, each key's length, and its JSON in UTF-8 bytes. */
export const MAX_DATA_KEYS = 16;
export const MAX_DATA_KEY_LENGTH = 64;
export const MAX_DATA_BYTES = 1024;

/** Platforms whose own cart and checkout ids a browser reports (a `ref` event), so the platform's
 * order webhook finds the browsers that had that cart. */
export const PLATFORMS = ["shopify", "woocommerce"] as const;
/** A platform's cart or checkout token, as a `ref` event carries it. */
export const MAX_REF_LENGTH = 256;

/** A phone number for SMS, in E.164 (a plus, the country code, at most 15 digits): what Twilio takes
 * (https://www.twilio.com/docs/glossary/what-e164). The script sends it as given, never reformatted. */
export const PHONE_PATTERN = /^\+[1-9]\d{6,14}$/;
/** A language tag as a page, the tag or `identify` gives it (BCP 47 shape: `es`, `es-MX`,
 * `pt-BR`, `zh-Hant-TW`); the collector reads its language, and ignores what it cannot. */
export const LOCALE_PATTERN = /^[a-z]{2,3}(-[\da-z]{1,8}){0,3}$/i;
/** The browser's IANA time zone as `Intl` resolves it (`Europe/Madrid`, `UTC`, `Etc/GMT+5`). */
export const TIME_ZONE_PATTERN = /^[a-z][\w+/-]{0,63}$/i;

/** The email shape both sides accept (the same pattern valibot's `email()` uses). */
export const EMAIL_PATTERN = /^[\w+-]+(?:\.[\w+-]+)*@[\da-zA-Z]+(?:[.-][\da-zA-Z]+)*\.[a-zA-Z]{2,}$/;

/**
 * Checkout micro-moments the script can report: why a checkout may have stalled. `code` carries a
 * short detail (a step or field *name*, a decline code, a question topic), never what was typed.
 */
export const MOMENT_KINDS = [
  "step", // a checkout step viewed (code: step name; value: ms spent on the step before)
  "step_back", // back to a step already seen (value: ms spent on the step before)
  "idle", // no input on a step for a while (value: ms)
  "tab_hidden",
  "exit_intent", // the pointer left toward the top of the window
  "field_error", // a field failed validation (code: field name)
  "field_reedit", // a field changed three times or more
  "last_field", // the last field touched before leaving
  "question", // FAQ, ingredients, returns, shipping info or chat opened (code: topic)
  "extra_cost", // the total rose when shipping or tax appeared (value: the rise, minor units)
  "coupon_failed",
  "payment_failed", // (code: decline code)
  "checkout_error", // a script error or a failed request on a checkout page
] as const;
