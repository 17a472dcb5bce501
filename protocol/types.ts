import type { MOMENT_KINDS, PLATFORMS } from "./limits";

// The wire protocol between the script and the collector, as plain types. `schema.ts` holds the
// runtime schemas and a compile-time check that they describe exactly these types, so the two
// sides cannot drift apart. The browser bundle imports only this file (types vanish at build).

/** One product line in a cart. Prices are integers in minor units (cents, pence, yen). */
export interface Line {
  /** The shop's id for what is bought; a different variant should have a different id. */
  id: string;
  name: string;
  /** Unit price in minor units, e.g. 1999 for 19.99. */
  price: number;
  quantity: number;
  /** Absolute http(s) URL of the product page. */
  url?: string;
  /** Absolute http(s) URL of the product image. */
  image?: string;
  /** Human-readable variant, e.g. "Size M / Blue". */
  variant?: string;
  /** The shop's own fields, e.g. `{ productId: "p-7", size: "M", color: "blue" }`, kept with the
   * line and handed back on restore; never shown in an email. Keys sorted (see LineData). */
  data?: LineData;
}

/**
 * A line's own fields from the shop: at most 16 keys of 1-64 characters, each a string, a finite
 * number or a boolean, at most 1024 bytes of JSON; no lone surrogates anywhere, and none of the
 * keys `__proto__`, `constructor` or `prototype`. Both sides hand it on with its keys sorted, so
 * the same fields given in another order are the same line.
 */
export type LineData = Record<string, string | number | boolean>;

/** A cart as the shop sees it: an ISO 4217 currency and its lines. */
export interface Cart {
  currency: string;
  lines: Line[];
}

/** What changed the cart; the event carries the whole cart after the change. */
export type CartAction = "set" | "add" | "update" | "remove" | "clear";

interface EventBase {
  /** Unique per event; the collector stores an id once, however often it is sent. */
  id: string;
  /** When the event happened, in milliseconds since the epoch, on the shopper's clock. */
  at: number;
}

export interface CartEvent extends EventBase {
  type: "cart";
  action: CartAction;
  cart: Cart;
}

export interface IdentifyEvent extends EventBase {
  type: "identify";
  email?: string;
  userId?: string;
  name?: string;
  /** The shopper's language, when the shop knows it better than the page (`identify({ locale })`). */
  locale?: string;
  /** A mobile number in E.164, given only with `smsConsent: true`. */
  phone?: string;
  /** The shopper's explicit yes to recovery texts (with `phone`), or a no that withdraws it. */
  smsConsent?: boolean;
  /** The shop wants no recovery for this shopper (`true`), or lifts that (`false`). */
  exclude?: boolean;
  /** The shop says this shopper bought from it before (the customers-only audience, docs/audience.md). */
  customer?: boolean;
}

export interface CheckoutEvent extends EventBase {
  type: "checkout";
}

export interface PurchaseEvent extends EventBase {
  type: "purchase";
  orderId: string;
  /** Order total in minor units. */
  total: number;
  currency: string;
  /** What was bought, when the script knew the cart. */
  cart?: Cart;
}

/** Why a checkout may stall: a declined payment (with its code), a total that jumped, a question. */
export interface MomentEvent extends EventBase {
  type: "moment";
  kind: MomentKind;
  /** A decline code, a step or field name, the question's topic: short and free of personal data. */
  code?: string;
  /** A measure: milliseconds idle, the rise of a total in minor units. */
  value?: number;
}

export type MomentKind = (typeof MOMENT_KINDS)[number];

export type Platform = (typeof PLATFORMS)[number];

/**
 * A platform adapter says which of the platform's carts or checkouts this browser had (Shopify's
 * cart and checkout tokens, without any `?key=` part), so that platform's order webhook, which
 * names the token, finds the browser. Sent by `cartback-<platform>.js` and the Shopify pixel,
 * never by the shop's own calls.
 */
export interface RefEvent extends EventBase {
  type: "ref";
  platform: Platform;
  ref: string;
}

export type CartbackEvent = CartEvent | IdentifyEvent | CheckoutEvent | PurchaseEvent | MomentEvent | RefEvent;

/** The body of `POST /v1/events?site=SITE_KEY`. */
export interface Batch {
  /** The anonymous shopper id: random, kept in the browser. */
  aid: string;
  /** When the batch left the browser (shopper's clock); lets the collector correct clock skew. */
  sentAt: number;
  events: CartbackEvent[];
  /** The shopper said yes to the shop's consent banner (`cartback("consent", true)`). */
  consent?: boolean;
  /** The page's language: the tag's `data-locale`, else `<html lang>`. */
  locale?: string;
  /** The browser's time zone, `Intl.DateTimeFormat().resolvedOptions().timeZone`. */
  timeZone?: string;
}

/** Every error the collector returns has this shape. */
export interface ErrorBody {
  error: {
    /** Stable, machine-readable, e.g. `invalid_json`, `origin_not_allowed`. */
    code: string;
    message: string;
    /** For validation errors: where and what. */
    issues?: { path: string; message: string }[];
  };
}
