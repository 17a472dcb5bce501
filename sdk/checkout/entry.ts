// `cartback-checkout.js`: loaded by cartback.js on checkout pages only (data-checkout on its tag,
// a `cartback("checkout")` call, or a shop's own `cartback("moment", …)`). Records the moments its
// detectors see and those the page reports (held by the core until this file loaded) into the shared
// outbox, through the core's `transact`.
import { type Script, takeHeld } from "../extras";
import { type MomentDetail, momentRecorder } from "../moment";
import { watchCheckout } from "./detectors";

const script = document.currentScript as Script;
const data = script.dataset;
const call = (...args: unknown[]): unknown => (window as unknown as { cartback: (...a: unknown[]) => unknown }).cartback(...args);
const moment = momentRecorder(
  (event) => script.transact((s) => script.emit(s, event)),
  () => call("flush"),
);

// The page's `checkout()`, which the core runs through this file: one checkout event a page load with the moments'.
script.give?.({ checkout: moment.checkout });
takeHeld(script.held, ["moment"], ([, kind, detail]) => moment(kind as never, detail as MomentDetail));
watchCheckout(
  (kind, code, value) => moment(kind, { code, value }),
  (shopper) => call("identify", shopper),
  { captureEmail: data.captureEmail === "true", idleMs: Number(data.idleSeconds) * 1000 || undefined },
);
