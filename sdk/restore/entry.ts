// `cartback-restore.js`: loaded by cartback.js only on a page opened from a recovery email's link
// (`?cartback_restore=` in the address). Sets the cart through the page's `cartback(...)` queue,
// then tells the page's `onRestore` listeners (held by the core: those made before this file
// loaded, and each as it comes, so a late one hears it too).
import type { Restored } from "../client";
import { endpointOf, type Script, takeHeld } from "../extras";
import { warn } from "../warn";
import { restoreFromLink } from "./index";

const script = document.currentScript as Script;
const data = script.dataset;
const restored = restoreFromLink(
  endpointOf(script),
  data.site ?? "",
  (cart) => (window as unknown as { cartback: (...a: unknown[]) => unknown }).cartback("setCart", cart),
  // The core reads its browser id before it loads this file.
  () => data.aid ?? "",
);
takeHeld(script.restores, ["onRestore"], ([, listener]) =>
  restored.then((r) => r && (listener as (restored: Restored) => void)(r)).catch(warn),
);
