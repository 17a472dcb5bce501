import { MAX_TOTAL, MOMENT_KINDS } from "../protocol/limits";
import type { MomentKind } from "../protocol/types";
import { isInt, isText } from "./cart";
import type { Lazy } from "./extras";
import { FLUSH_DELAY, type NewEvent } from "./outbox";
import { need, warn } from "./warn";

/** What `moment` reports beside its kind: a short detail (never what was typed) and an amount. */
export type MomentDetail = { code?: string; value?: number };

/** The recorder, and the page's own `checkout()` as the core runs it inside its `transact` (`Lazy`). */
export type Moment = ((kind: MomentKind, detail?: MomentDetail) => Promise<void>) & { checkout: Lazy };

/**
 * Makes the recorder of checkout micro-moments, `moment(kind, detail)`: checked as the collector
 * checks it, handed to `record` (the core's: into the shared outbox, under its consent and GPC
 * rule), and sent within a second (a burst of moments leaves as one request). Not in the core script, which every page
 * loads: on the script tag it lives in `cartback-checkout.js` with the detectors that report most
 * moments, and a shop's own `cartback("moment", …)` loads that file; the ES module has it built in.
 * The first moment of a page visit also records a `checkout` event: a page where checkout moments
 * fire is a checkout, whether or not the shop calls `cartback("checkout")` (README, Checkout
 * micro-moments). On the moment rather than when the detectors start: they load on any page a
 * `moment` call comes from, and on pages that are more than a checkout (a shop and its checkout
 * dialog on one page); a moment is the shopper in a checkout. One checkout event a page load: a
 * moment records none once the page's `checkout()` did (`moment.checkout`, which the core runs for
 * that call), and `checkout()` records none once a moment did (a GA4 shop's begin_checkout and its
 * first step on one page); the page's own calls each record one, as they always did.
 *
 * @example
 * const moment = momentRecorder((event) => transact((s) => emit(s, event)), () => cartback.flush());
 * await moment("payment_failed", { code: "card_declined" });
 */
export function momentRecorder(record: (event: NewEvent) => Promise<unknown>, flush: () => unknown): Moment {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // This page load's checkout event: 1 once the page's `checkout` recorded one, 2 once a moment did.
  let checkout = 0;
  const moment = async (kind: MomentKind, detail?: MomentDetail): Promise<void> => {
    try {
      const { code, value } = detail || {};
      need(MOMENT_KINDS.includes(kind), "moment kind");
      // Not `== null`: a null would reach the collector as null, which it refuses.
      need(code === undefined || isText(code), "moment code");
      need(value === undefined || isInt(value, 0, MAX_TOTAL), "moment value");
      const first = !checkout;
      if (first) checkout = 2;
      // Both started at once: moments reported in a row are recorded in that order.
      await Promise.all([first && record({ type: "checkout" }), record({ type: "moment", kind, code, value })]);
      if (!timer)
        timer = setTimeout(() => {
          timer = undefined;
          flush();
        }, FLUSH_DELAY);
    } catch (e) {
      warn(e);
    }
  };
  const page: Lazy = (s, _, emit) => {
    if (checkout < 2) {
      checkout = 1;
      emit(s, { type: "checkout" });
    }
  };
  return Object.assign(moment, { checkout: page });
}
