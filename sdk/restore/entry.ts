// `cartback-restore.js`: loaded by cartback.js only on a page opened from a recovery email's link
// (`?cartback_restore=` in the address). Sets the cart through the page's `cartback(...)` queue.
import { endpointOf } from "../extras";
import { restoreFromLink } from "./index";

const script = document.currentScript as HTMLScriptElement;
const data = script.dataset;
restoreFromLink(
  endpointOf(script),
  data.site ?? "",
  (cart) => (window as unknown as { cartback: (...a: unknown[]) => unknown }).cartback("setCart", cart),
  // The core reads its browser id before it loads this file.
  () => data.aid ?? "",
);
