// Cartback's Custom Pixel for Shopify: paste this file into Settings → Customer events → Add custom pixel.
// Set your site key and collector below; keep the rest as it is (built from sdk/platforms/pixel.ts).
const CARTBACK_SITE = "pk_live_REPLACE_ME";
const CARTBACK_ENDPOINT = "https://cartback.example.com";
"use strict";
(() => {
  // protocol/limits.ts
  var MAX_BODY_BYTES = 64 * 1024;
  var MAX_EVENT_BYTES = 32 * 1024;
  var MAX_LINES = 100;
  var MAX_SYNC_ENTRIES = MAX_LINES * 3;
  var MAX_ID_LENGTH = 128;

  // protocol/money.ts
  var EXPONENTS = {
    BIF: 0,
    CLP: 0,
    DJF: 0,
    GNF: 0,
    ISK: 0,
    JPY: 0,
    KMF: 0,
    KRW: 0,
    PYG: 0,
    RWF: 0,
    UGX: 0,
    UYI: 0,
    VND: 0,
    VUV: 0,
    XAF: 0,
    XOF: 0,
    XPF: 0,
    BHD: 3,
    IQD: 3,
    JOD: 3,
    KWD: 3,
    LYD: 3,
    OMR: 3,
    TND: 3,
    CLF: 4,
    UYW: 4
  };
  var exponentOf = (currency) => EXPONENTS[currency.toUpperCase()] ?? 2;
  function toMinor(amount, currency) {
    const text = typeof amount === "number" ? Number.isFinite(amount) ? numberText(amount) : "" : amount.trim();
    const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
    if (!match || !`${match[2]}${match[3] ?? ""}`) return void 0;
    const [, sign, whole = "", fraction = ""] = match;
    const exponent = exponentOf(currency);
    const kept = fraction.padEnd(exponent, "0").slice(0, exponent);
    let minor = Number(`${whole || "0"}${kept}`);
    if (Number(fraction[exponent] ?? 0) >= 5) minor += 1;
    return sign && minor ? -minor : minor;
  }
  var numberText = (n) => Math.abs(n) < 1e21 ? n.toLocaleString("en-US", { useGrouping: false, maximumFractionDigits: 20 }) : String(n);

  // sdk/id.ts
  var randomId = () => Array.from(crypto.getRandomValues(new Uint8Array(22)), (b) => (b & 31).toString(32)).join("");

  // sdk/platforms/pixel.ts
  var SUBSCRIBED = [
    "checkout_started",
    "checkout_contact_info_submitted",
    "checkout_shipping_info_submitted",
    "payment_info_submitted",
    "alert_displayed",
    "checkout_completed"
  ];
  var AID_KEY = "cartback_aid";
  var codeOf = (text) => text.toLowerCase().replace(/[^a-z0-9_.-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 60);
  function pixelEvents(event, privacy) {
    if (!privacy.analyticsProcessingAllowed) return [];
    const checkout = event.data?.checkout || {};
    const currency = checkout.currencyCode || checkout.totalPrice?.currencyCode || "";
    const token = (checkout.token || "").split("?")[0];
    const ref = /^[\x21-\x7e]{1,256}$/.test(token) ? [{ type: "ref", platform: "shopify", ref: token }] : [];
    switch (event.name) {
      case "checkout_started":
        return [{ type: "checkout" }, ...ref];
      case "checkout_contact_info_submitted":
        return privacy.marketingAllowed && checkout.email ? [{ type: "identify", email: checkout.email }] : [];
      case "checkout_shipping_info_submitted": {
        const shipping = checkout.shippingLine?.price;
        const value = shipping?.amount == null ? void 0 : toMinor(shipping.amount, shipping.currencyCode || currency);
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
        const orderId = checkout.order?.id?.split("/").at(-1) || token;
        const total = checkout.totalPrice?.amount == null ? void 0 : toMinor(checkout.totalPrice.amount, currency);
        if (!orderId || orderId.length > MAX_ID_LENGTH || total == null || !/^[A-Z]{3}$/.test(currency)) return ref;
        return [{ type: "purchase", orderId, total, currency }, ...ref];
      }
      default:
        return [];
    }
  }
  function startPixel(api2, options) {
    let privacy = api2.init.customerPrivacy || {};
    api2.customerPrivacy?.subscribe("visitorConsentCollected", (e) => {
      privacy = e.customerPrivacy;
    });
    const url = `${options.endpoint}/v1/events?site=${encodeURIComponent(options.site)}`;
    const aid = (async () => {
      const known = await api2.browser.localStorage.getItem(AID_KEY) || await api2.browser.cookie.get(AID_KEY);
      if (known && /^[\w-]{16,64}$/.test(known)) return known;
      const made = randomId();
      await api2.browser.localStorage.setItem(AID_KEY, made);
      return made;
    })();
    for (const name of SUBSCRIBED) {
      api2.analytics.subscribe(name, async (event) => {
        const events = pixelEvents(event, privacy).map((e) => ({ id: randomId(), at: Date.now(), ...e }));
        if (!events.length) return;
        const batch = { aid: await aid, sentAt: Date.now(), events, consent: true };
        await fetch(url, { method: "POST", body: JSON.stringify(batch), keepalive: true }).catch(() => {
        });
      });
    }
  }

  // sdk/platforms/pixel-entry.ts
  startPixel(
    { analytics, browser, init, customerPrivacy: typeof api === "undefined" ? void 0 : api.customerPrivacy },
    { site: CARTBACK_SITE, endpoint: CARTBACK_ENDPOINT }
  );
})();
