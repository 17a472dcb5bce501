import type { Cart } from "../../protocol/types";
import type { Restored } from "../client";
import { warn } from "../warn";

/** Input only a person makes: a link scanner that runs the page's scripts moves no mouse and presses no key. */
const HUMAN = ["pointermove", "pointerdown", "keydown", "wheel", "touchstart"];

/**
 * A recovery link lands on the shop with `?cartback_restore=TOKEN`: fetches that cart, hands it
 * to `setCart` (whatever device this is), drops the token from the address bar, and resolves with
 * what the link brought, for the `onRestore` listeners (undefined: no link, or it could not be read). The first real input
 * on the page then tells the collector a person opened the link on this browser: only that counts
 * as a click and as the shopper coming back, so a scanner that opens links changes nothing.
 *
 * @example
 * restoreFromLink("https://cartback.example.com", "pk_live_abc", (cart) => cartback.setCart(cart), () => aid);
 */
export function restoreFromLink(
  endpoint: string,
  site: string,
  setCart: (cart: Cart) => unknown,
  aid: () => string | Promise<string>,
): Promise<Restored | undefined> {
  const url = new URL(location.href);
  const token = url.searchParams.get("cartback_restore");
  if (!token) return Promise.resolve(undefined);
  url.searchParams.delete("cartback_restore");
  history.replaceState(history.state, "", url.href);
  const api = `${endpoint}/v1/restore?site=${encodeURIComponent(site)}`;
  const opened = (e: Event): void => {
    if (!e.isTrusted) return;
    for (const type of HUMAN) removeEventListener(type, opened, true);
    // text/plain, like the events: no preflight.
    Promise.resolve(aid())
      .then((id) => fetch(api, { method: "POST", body: JSON.stringify({ token, aid: id }), keepalive: true }))
      .catch(warn);
  };
  return fetch(`${api}&token=${encodeURIComponent(token)}`)
    .then((res) => (res.ok ? (res.json() as Promise<Restored>) : Promise.reject(res.status)))
    .then(async (restored) => {
      if (restored.status === "restored") await setCart(restored.cart);
      for (const type of HUMAN) addEventListener(type, opened, { capture: true, passive: true });
      return restored;
    })
    .catch((e) => void warn(e));
}
