// The `ref` event: which of a platform's carts or checkouts this browser had, for that platform's
// order webhook. Recorded by `cartback-ref.js` (ref-entry.ts) for the adapters (common.ts `refs`).
import { PLATFORMS } from "../../protocol/limits";
import type { Platform } from "../../protocol/types";
import { gpcOn } from "../consent";
import type { Script } from "../extras";
import { emitter } from "../outbox";
import { warn } from "../warn";

/**
 * A recorder of `ref` events for the page of `script`: each token once per platform and page
 * (`?key=…` and any other query part dropped), into the shared outbox through the core's
 * `transact`, under the core's rule (nothing after `consent(false)`, nothing with GPC honoured and
 * on), then sent at once. A platform or token the collector would refuse is left out.
 *
 * @example
 * const ref = recorder(script);
 * ref("shopify", "c1-7a2abe82733a34e84aa472d57fb5c3c1?key=824bdj25");
 */
export function recorder(script: Script): (platform: unknown, token: unknown) => void {
  const emit = emitter(script.dataset.gpc != null && gpcOn());
  const last: Record<string, string> = {};
  return (platform, token) => {
    const ref = typeof token === "string" ? (token.split("?")[0] as string) : "";
    if (!PLATFORMS.includes(platform as Platform) || !/^[\x21-\x7e]{1,256}$/.test(ref) || last[platform as string] === ref) return;
    last[platform as string] = ref;
    script
      .transact((s) => emit(s, { type: "ref", platform: platform as Platform, ref }))
      .then(() => (window as unknown as { cartback: (c: string) => unknown }).cartback("flush"))
      .catch(warn);
  };
}
