// What the platform adapters (`cartback-shopify.js`, `cartback-woocommerce.js`, `cartback-ga4.js`)
// share: the page's `cartback(...)` queue, the `ref` event that lets the platform's order webhook
// find this browser, and line data that fits.
import { MAX_DATA_BYTES, MAX_DATA_KEY_LENGTH, MAX_DATA_KEYS } from "../../protocol/limits";
import type { LineData, Platform } from "../../protocol/types";
import { type Script, Signal } from "../extras";
import { byteSize } from "../outbox";
import { warn } from "../warn";

/** The page's `cartback(...)` queue: the adapter reports as the shop's own calls do, so the same
 * checks, consent and batching apply, and the shop's own calls keep working beside it. */
export const cartback = (...args: unknown[]): unknown =>
  (window as unknown as { cartback?: (...a: unknown[]) => unknown }).cartback?.(...args);

/**
 * Hands the platform's cart or checkout token to `cartback-ref.js` (loaded here, once), which
 * records it as a `ref` event (sdk/platforms/ref.ts): the outbox code that needs is paid for once,
 * in its own small file, and only the adapters, never the shop's own `cartback(...)` calls, make
 * one. The last token is told again when that file says it is listening.
 *
 * @example
 * const ref = refs(script, "shopify");
 * ref("c1-7a2abe82733a34e84aa472d57fb5c3c1?key=824bdj25");
 */
export function refs(script: Script, platform: Platform): (token: unknown) => void {
  let last: unknown;
  const tell = (): unknown => last && dispatchEvent(new CustomEvent(Signal.REF, { detail: [platform, last] }));
  addEventListener(Signal.REF_READY, tell);
  script.load?.("ref");
  return (token) => {
    last = token;
    tell();
  };
}

/**
 * `data` with as many of `fields` as fit a line's data (16 keys of at most 64 characters, string,
 * finite number or boolean values, 1 KB of JSON), in order; each one left out is warned about, so
 * a long engraving never costs the shopper the cart.
 *
 * @example
 * fit({ key: "4:ab" }, [["p:Engraving", "For Ana"]], "shopify"); // { key: "4:ab", "p:Engraving": "For Ana" }
 */
export function fit(data: LineData, fields: [string, unknown][], platform: string): LineData {
  for (const [key, value] of fields) {
    const next = { ...data, [key]: value } as LineData;
    if (
      /^(string|boolean)$/.test(typeof value) || Number.isFinite(value)
        ? key.length <= MAX_DATA_KEY_LENGTH && Object.keys(next).length <= MAX_DATA_KEYS && byteSize(JSON.stringify(next)) <= MAX_DATA_BYTES
        : false
    )
      data = next;
    else warn(`${platform}: left out ${key}, it does not fit line.data`);
  }
  return data;
}
