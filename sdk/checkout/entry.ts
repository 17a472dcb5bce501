// `cartback-checkout.js`: loaded by cartback.js on checkout pages only (data-checkout on its tag,
// or a `cartback("checkout")` call). Reports through the page's `cartback(...)` command queue.
import type { MomentKind } from "../../protocol/types";
import { watchCheckout } from "./detectors";

const data = (document.currentScript as HTMLScriptElement | null)?.dataset ?? {};
const call = (...args: unknown[]): unknown => (window as unknown as { cartback?: (...a: unknown[]) => unknown }).cartback?.(...args);

watchCheckout(
  (kind: MomentKind, code?: string, value?: number) => call("moment", kind, { code, value }),
  (email) => call("identify", { email }),
  { captureEmail: data.captureEmail === "true", idleMs: Number(data.idleSeconds) * 1000 || undefined },
);
