// The Shopify Custom Pixel (Settings → Customer events), built into examples/shopify/pixel.js by
// `node scripts/build.mjs` (the merchant pastes that file and edits its first two lines). Shopify's
// checkout runs no theme script; this is how the checkout's moments and the order reach Cartback,
// as the same browser the storefront's `cartback-shopify.js` saw. Only the documented pixel API:
// https://shopify.dev/docs/api/web-pixels-api (analytics.subscribe, browser.localStorage and
// browser.cookie, init.customerPrivacy, customerPrivacy.subscribe).
import { MAX_ID_LENGTH } from "../../protocol/limits";
import { toMinor } from "../../protocol/money";
import type { Batch, CartbackEvent } from "../../protocol/types";
import { randomId } from "../id";
import type { NewEvent } from "../outbox";

/** The pixel's view of the shopper's privacy choices (Shopify's customer privacy API). */
export interface Privacy {
  analyticsProcessingAllowed?: boolean;
  marketingAllowed?: boolean;
}

type Money = { amount?: number; currencyCode?: string };

/** The parts of a standard event the pixel reads (https://shopify.dev/docs/api/web-pixels-api/standard-events). */
export interface PixelEvent {
  name: string;
  data?: {
    checkout?: {
      token?: string | null;
      email?: string | null;
      currencyCode?: string;
      totalPrice?: Money;
      shippingLine?: { price?: Money } | null;
      order?: { id?: string | null } | null;
    };
    alert?: { target?: string; type?: string; message?: string; value?: string };
  };
}

/** The pixel API a Custom Pixel is given. */
export interface PixelApi {
  analytics: { subscribe(name: string, callback: (event: PixelEvent) => void): unknown };
  browser: {
    localStorage: { getItem(key: string): Promise<string | null>; setItem(key: string, value: string): Promise<unknown> };
    cookie: { get(name: string): Promise<string> };
  };
  init: { customerPrivacy?: Privacy };
  customerPrivacy?: { subscribe(name: string, callback: (event: { customerPrivacy: Privacy }) => void): unknown };
}

/** The events the pixel listens to. */
export const SUBSCRIBED = [
  "checkout_started",
  "checkout_contact_info_submitted",
  "checkout_shipping_info_submitted",
  "payment_info_submitted",
  "alert_displayed",
  "checkout_completed",
] as const;

/** Where the storefront adapter leaves its browser id (sdk/platforms/shopify.ts `AID_KEY`). */
const AID_KEY = "cartback_aid";

/** A short code from an alert's type or target: what went wrong, never what the shopper typed. */
const codeOf = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 60);

/**
 * What one of Shopify's checkout events says, as Cartback events: the checkout started (and its
 * token, a `ref`, for the order webhook), the shopper's email (only where marketing is allowed),
 * the shipping cost shown (an `extra_cost` moment), the payment step, an alert (a payment error is
 * `payment_failed`, any other a `field_error`, each with a code from its type), the order (a
 * `purchase`, its total in the currency's minor units, and the checkout token again). Nothing at
 * all unless analytics processing is allowed.
 *
 * @example
 * pixelEvents({ name: "checkout_completed", data: { checkout: { token: "ab12", currencyCode: "EUR",
 *   totalPrice: { amount: 45.5 }, order: { id: "1001" } } } }, { analyticsProcessingAllowed: true });
 * // [{ type: "purchase", orderId: "1001", total: 4550, currency: "EUR" }, { type: "ref", platform: "shopify", ref: "ab12" }]
 */
export function pixelEvents(event: PixelEvent, privacy: Privacy): NewEvent[] {
  if (!privacy.analyticsProcessingAllowed) return [];
  const checkout = event.data?.checkout || {};
  const currency = checkout.currencyCode || checkout.totalPrice?.currencyCode || "";
  const token = (checkout.token || "").split("?")[0] as string;
  const ref: NewEvent[] = /^[\x21-\x7e]{1,256}$/.test(token) ? [{ type: "ref", platform: "shopify", ref: token }] : [];
  switch (event.name) {
    case "checkout_started":
      return [{ type: "checkout" }, ...ref];
    case "checkout_contact_info_submitted":
      return privacy.marketingAllowed && checkout.email ? [{ type: "identify", email: checkout.email }] : [];
    case "checkout_shipping_info_submitted": {
      const shipping = checkout.shippingLine?.price;
      const value = shipping?.amount == null ? undefined : toMinor(shipping.amount, shipping.currencyCode || currency);
      return value ? [{ type: "moment", kind: "extra_cost", code: "shipping", value }] : [];
    }
    case "payment_info_submitted":
      return [{ type: "moment", kind: "step", code: "payment" }];
    case "alert_displayed": {
      const { type = "", target = "" } = event.data?.alert || {};
      const code = codeOf(type || target) || "alert";
      return [{ type: "moment", kind: /payment|card/i.test(`${type} ${target}`) ? "payment_failed" : "field_error", code }];
    }
    case "checkout_completed": {
      // The order webhook names an order by the number at the end of its admin_graphql_api_id
      // (worker/platforms/shopify.ts); a GID here ends in the same number, so both are one order.
      const orderId = checkout.order?.id?.split("/").at(-1) || token;
      const total = checkout.totalPrice?.amount == null ? undefined : toMinor(checkout.totalPrice.amount, currency);
      if (!orderId || orderId.length > MAX_ID_LENGTH || total == null || !/^[A-Z]{3}$/.test(currency)) return ref;
      return [{ type: "purchase", orderId, total, currency }, ...ref];
    }
    default:
      return [];
  }
}

/**
 * Subscribes to the checkout's events and posts each one's Cartback events to the collector
 * (`POST /v1/events?site=`), as the browser id the storefront left in the `cartback_aid`
 * localStorage key or cookie (a new one, kept there, when it left none). The batch says
 * `consent: true`: it is sent only with the shopper's analytics consent.
 *
 * @example
 * startPixel(api, { site: "pk_live_abc", endpoint: "https://cartback.example.com" });
 */
export function startPixel(api: PixelApi, options: { site: string; endpoint: string }): void {
  let privacy: Privacy = api.init.customerPrivacy || {};
  api.customerPrivacy?.subscribe("visitorConsentCollected", (e) => {
    privacy = e.customerPrivacy;
  });
  const url = `${options.endpoint}/v1/events?site=${encodeURIComponent(options.site)}`;
  const aid = (async (): Promise<string> => {
    const known = (await api.browser.localStorage.getItem(AID_KEY)) || (await api.browser.cookie.get(AID_KEY));
    if (known && /^[\w-]{16,64}$/.test(known)) return known;
    const made = randomId();
    await api.browser.localStorage.setItem(AID_KEY, made);
    return made;
  })();
  for (const name of SUBSCRIBED) {
    api.analytics.subscribe(name, async (event) => {
      const events = pixelEvents(event, privacy).map((e) => ({ id: randomId(), at: Date.now(), ...e }) as CartbackEvent);
      if (!events.length) return;
      const batch: Batch = { aid: await aid, sentAt: Date.now(), events, consent: true };
      // text/plain, as the storefront script sends: no preflight from the pixel's sandbox.
      await fetch(url, { method: "POST", body: JSON.stringify(batch), keepalive: true }).catch(() => {});
    });
  }
}
