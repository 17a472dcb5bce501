import type { Cart } from "../../protocol/types";
import type { Restored } from "../client";
import { warn } from "../warn";

/**
 * A recovery link lands on the shop with `?cartback_restore=TOKEN`: fetches that cart, hands it
 * to `setCart` (whatever device this is), drops the token from the address bar, and tells the
 * client with a `cartback:restore` event, which `onRestore` listeners hear.
 *
 * @example
 * restoreFromLink("https://cartback.example.com", "pk_live_abc", (cart) => cartback.setCart(cart));
 */
export function restoreFromLink(endpoint: string, site: string, setCart: (cart: Cart) => unknown): Promise<void> {
  const url = new URL(location.href);
  const token = url.searchParams.get("cartback_restore");
  if (!token) return Promise.resolve();
  url.searchParams.delete("cartback_restore");
  history.replaceState(history.state, "", url.href);
  return fetch(`${endpoint}/v1/restore?site=${encodeURIComponent(site)}&token=${encodeURIComponent(token)}`)
    .then((res) => (res.ok ? (res.json() as Promise<Restored>) : Promise.reject(res.status)))
    .then(async (restored) => {
      if (restored.status === "restored") await setCart(restored.cart);
      dispatchEvent(new CustomEvent("cartback:restore", { detail: restored }));
    })
    .catch(warn);
}
