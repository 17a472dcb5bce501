// The `ref` event: which of a platform's carts or checkouts this browser had, for that platform's
// order webhook. Recorded by `cartback-ref.js` (ref-entry.ts) for the adapters (common.ts `refs`).
import { PLATFORMS } from "../../protocol/limits";
import type { Platform } from "../../protocol/types";
import { gpcOn } from "../consent";
import type { Script } from "../extras";
import { emitter } from "../outbox";
import { warn } from "../warn";

/**
 * A recorder of `ref` events for the page of `script`: each token once per platform on this shop
 * (across its pages and tabs, kept in localStorage; `?key=…` and any other query part dropped), into the shared outbox through the core's
 * `transact`, under the core's rule (nothing after `consent(false)`, nothing with GPC honoured and
 * on), then sent at once. A platform or token the collector would refuse is left out.
 *
 * @example
 * const ref = recorder(script);
 * ref("shopify", "c1-7a2abe82733a34e84aa472d57fb5c3c1?key=824bdj25");
 */
export function recorder(script: Script): (platform: unknown, token: unknown) => void {
  const emit = emitter(script.dataset.gpc != null && gpcOn());
  // Tokens on their way into the outbox: a second call meanwhile is the same token, not another.
  const pending = new Set<string>();
  return (platform, token) => {
    const ref = typeof token === "string" ? (token.split("?")[0] as string) : "";
    const key = `cartback_ref_${platform}`;
    if (!PLATFORMS.includes(platform as Platform) || !/^[\x21-\x7e]{1,256}$/.test(ref) || said(key).includes(ref) || pending.has(key + ref))
      return;
    pending.add(key + ref);
    script
      .transact((s) => {
        emit(s, { type: "ref", platform: platform as Platform, ref });
        const last = s.outbox.events.at(-1);
        return last?.type === "ref" && last.ref === ref;
      })
      .then((recorded) => {
        // Once per token on this shop, across its pages and tabs: remembered once it is recorded.
        if (!recorded) return;
        remember(key, ref);
        (window as unknown as { cartback: (c: string) => unknown }).cartback("flush");
      })
      .catch(warn)
      .finally(() => pending.delete(key + ref));
  };
}

// The tokens recorded on this shop, newest last (a few: a cart keeps its token for weeks). Where
// storage is blocked, each page records them again: the order webhook finds the browser the same.
const KEPT = 20;
const memory: Record<string, string[]> = {};
const said = (key: string): string[] => {
  try {
    return JSON.parse(localStorage.getItem(key) || "[]");
  } catch {
    return memory[key] || [];
  }
};
const remember = (key: string, ref: string): void => {
  const refs = [...said(key).filter((r) => r !== ref), ref].slice(-KEPT);
  memory[key] = refs;
  try {
    localStorage.setItem(key, JSON.stringify(refs));
  } catch {}
};
