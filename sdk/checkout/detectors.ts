import { EMAIL_PATTERN, PHONE_PATTERN } from "../../protocol/limits";
import type { MomentKind } from "../../protocol/types";

export type Report = (kind: MomentKind, code?: string, value?: number) => void;
/** Who the checkout's fields say the shopper is: the email (with `captureEmail`), or a phone with the shopper's yes to texts. */
export type Identify = (shopper: { email?: string; phone?: string; smsConsent?: boolean }) => void;

export interface CheckoutOptions {
  /** Quiet time on a step before it counts as hesitation. Default 60 s. */
  idleMs?: number;
  /** Send the checkout's email field as `identify({ email })`: only where the shop has consent. */
  captureEmail?: boolean;
}

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

const MARKERS = "[data-cartback-payment-error],[data-cartback-coupon-error],[data-cartback-field-error]";

const isField = (el: EventTarget | null): el is Field =>
  el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement;

/** A field's name, id or role: what the field is, never what is in it. */
const nameOf = (el: Field): string => (el.name || el.id || el.autocomplete || el.type).slice(0, 60);

/** Trunk prefixes other than `0`, by country calling code: what a number typed the national way
 * starts with (where the prefix could also start a number, only before a full-length one). */
const TRUNK: Record<string, string> = { 1: "1(?=\\d{10}$)", 7: "8(?=\\d{10}$)", 36: "06", 375: "80" };

/**
 * A typed mobile number in E.164, or undefined: spaces, dots, dashes and brackets dropped, `00`
 * read as `+`, and a number without a country code given `country`, its trunk prefix dropped (`0`;
 * Russia's `8`, Hungary's `06`, Belarus's `80`, the NANP's `1`; no country's mobile numbers keep
 * one: Italy's landlines do, and they take no texts). The collector checks the number against its
 * country's numbering plan (worker/sms/numbers.ts).
 *
 * @example
 * e164("600 11 12 22", "34"); // "+34600111222"
 * e164("06 30 123 4567", "36"); // "+36301234567"
 */
export function e164(typed: string, country = ""): string | undefined {
  const n = typed.replace(/[\s.()-]/g, "").replace(/^00/, "+");
  // Without a country, digits alone could be any country's: no number.
  const full = n[0] === "+" ? n : country && `+${country}${n.replace(RegExp(`^(${TRUNK[country] || 0})`), "")}`;
  return PHONE_PATTERN.test(full) ? full : undefined;
}

const visible = (el: Element): boolean => el.isConnected && el.getClientRects().length > 0;

/**
 * Watches a checkout page for why it might stall, and reports each micro-moment. Every listener is
 * passive; nothing runs while the shopper does nothing but one idle timer. Declarative markers:
 * `data-cartback-step="payment"`, `data-cartback-total="4990"` and `data-cartback-subtotal="4500"`
 * (minor units; a rise in total − subtotal is an extra-cost shock),
 * `data-cartback-payment-error="card_declined"`, `data-cartback-coupon-error`,
 * `data-cartback-field-error="postcode"` (reported when shown) and
 * `data-cartback-question="returns"` (reported when clicked). A phone for texts:
 * `data-cartback-phone` on the number's field (its value the country calling code, `"34"`, for
 * numbers typed without one) and `data-cartback-sms-consent` on the checkbox the shopper ticks to
 * agree; the number goes only while the box is ticked, and unticking it withdraws the consent.
 *
 * @example
 * const stop = watchCheckout((kind, code, value) => cartback.moment(kind, { code, value }), (shopper) => cartback.identify(shopper));
 */
export function watchCheckout(
  report: Report,
  identify: Identify,
  { idleMs = 60_000, captureEmail = false }: CheckoutOptions = {},
): () => void {
  const stopping = new AbortController();
  const on = (target: EventTarget, type: string, listener: (e: Event) => void): void =>
    target.addEventListener(type, listener, { capture: true, passive: true, signal: stopping.signal });
  const said = new Set<string>();
  const once: Report = (kind, code, value) => {
    if (!said.has(kind + code)) report(kind, code, value);
    said.add(kind + code);
  };

  // Steps, going back to one already seen, and the time spent on the step left (value, ms).
  const steps: string[] = [];
  let step = "checkout";
  let since = Date.now();
  const enter = (name: string): void => {
    if (name === steps.at(-1)) return;
    report(steps.includes(name) ? "step_back" : "step", name, steps.length ? Date.now() - since : 0);
    steps.push(name);
    step = name;
    since = Date.now();
    rearm();
  };

  // Hesitation: idle on a step, the tab hidden, the pointer leaving toward the top.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const rearm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => report("idle", step, idleMs), idleMs);
  };
  for (const type of ["pointerdown", "keydown", "input", "scroll"]) on(document, type, rearm);
  on(document, "visibilitychange", () => document.visibilityState === "hidden" && report("tab_hidden", step));
  on(document, "mouseout", (e) => {
    const m = e as MouseEvent;
    if (!m.relatedTarget && m.clientY <= 0) once("exit_intent", step);
  });

  // Field friction: names and kinds of events only.
  const edits: Record<string, number> = {};
  let agreed = false;
  let last = "";
  on(document, "invalid", (e) => isField(e.target) && report("field_error", nameOf(e.target)));
  on(document, "focusin", (e) => {
    if (isField(e.target)) last = nameOf(e.target);
  });
  on(document, "change", (e) => {
    const field = e.target;
    if (!isField(field)) return;
    last = nameOf(field);
    edits[last] = (edits[last] ?? 0) + 1;
    if (edits[last] === 3) report("field_reedit", last);
    if (captureEmail && (field.type === "email" || field.autocomplete === "email") && EMAIL_PATTERN.test(field.value.trim())) {
      identify({ email: field.value.trim() });
    }
    const phone = document.querySelector<HTMLInputElement>("[data-cartback-phone]");
    const box = document.querySelector<HTMLInputElement>("[data-cartback-sms-consent]");
    if (phone && box && (field === phone || field === box)) {
      const number = e164(phone.value, phone.dataset.cartbackPhone);
      if (box.checked ? number : agreed) {
        agreed = box.checked;
        identify(agreed ? { phone: number, smsConsent: true } : { smsConsent: false });
      }
    }
  });
  on(window, "pagehide", () => last && once("last_field", last));

  // Last-minute questions.
  on(document, "click", (e) => {
    const asked = (e.target as Element).closest?.("[data-cartback-question]");
    if (asked) once("question", asked.getAttribute("data-cartback-question") || "faq");
  });

  // Checkout errors: the page's own script errors and failed requests (not ours).
  on(window, "error", (e) => e instanceof ErrorEvent && once("checkout_error", "script"));
  on(window, "unhandledrejection", () => once("checkout_error", "promise"));
  const requests =
    typeof PerformanceObserver === "function"
      ? new PerformanceObserver((list) => {
          for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
            const status = entry.responseStatus ?? 0;
            if (status >= 400 && /fetch|xmlhttprequest/.test(entry.initiatorType) && !/\/v1\/(events|restore)/.test(entry.name)) {
              once("checkout_error", `http_${status}`);
            }
          }
        })
      : undefined;
  try {
    requests?.observe({ type: "resource" });
  } catch {} // older browsers: no resource timing observer, no request errors

  // Declarative markers, checked whenever the page changes.
  const shown = new WeakSet<Element>();
  let total: number | undefined;
  const scan = (): void => {
    for (const el of document.querySelectorAll(MARKERS)) {
      if (!visible(el)) shown.delete(el);
      else if (!shown.has(el)) {
        shown.add(el);
        const payment = el.getAttribute("data-cartback-payment-error");
        if (payment !== null) report("payment_failed", payment || undefined);
        else if (el.hasAttribute("data-cartback-coupon-error"))
          report("coupon_failed", el.getAttribute("data-cartback-coupon-error") || undefined);
        else report("field_error", el.getAttribute("data-cartback-field-error") || undefined);
      }
    }
    const current = [...document.querySelectorAll("[data-cartback-step]")].find(visible)?.getAttribute("data-cartback-step");
    if (current) enter(current);
    // Extra-cost shock: what comes on top of the goods (shipping, tax, fees) rising. With a
    // data-cartback-subtotal on the page, a quantity change is not mistaken for it; a total
    // appearing (from nothing) is not a rise.
    const read = (attr: string) => Number(document.querySelector(`[${attr}]`)?.getAttribute(attr) || Number.NaN);
    const shownTotal = read("data-cartback-total");
    const extras = shownTotal - (read("data-cartback-subtotal") || 0);
    if (shownTotal > 0 && Number.isInteger(extras)) {
      if (total !== undefined && extras > total) report("extra_cost", "total", extras - total);
      total = extras;
    }
  };
  const watching = new MutationObserver(scan);
  watching.observe(document.documentElement, {
    subtree: true,
    childList: true,
    // Only what can show, hide or change a marker: a page animating styles elsewhere costs nothing.
    attributeFilter: [
      "hidden",
      "style",
      "class",
      "open",
      "data-cartback-step",
      "data-cartback-total",
      "data-cartback-subtotal",
      "data-cartback-payment-error",
    ],
  });
  if (document.readyState === "loading") on(document, "DOMContentLoaded", scan);
  else scan();
  rearm();

  return () => {
    stopping.abort();
    clearTimeout(timer);
    watching.disconnect();
    requests?.disconnect();
  };
}
