// `cartback-sync.js`: loaded by cartback.js for signed-in shoppers only. Keeps this device's replica
// of the account cart (protocol/merge.ts) beside the cart in the saved state (`sync`), and exchanges
// it with the collector: on every change here, when the tab comes back, and every second while it is
// visible. It reads and writes that state through the core's `transact`, handed over on this file's
// script element (sdk/extras.ts): the core stays the one writer of the store.
import { MAX_SYNC_ENTRIES } from "../../protocol/limits";
import { boughtAt, emptySync, type Hlc, latest, prune, record, type SyncCart, tick, view } from "../../protocol/merge";
import type { Cart } from "../../protocol/types";
import { gpcOn, mayShare } from "../consent";
import { endpointOf, type Script, Signal } from "../extras";
import type { Account } from "../storage";
import { warn } from "../warn";

type Queue = (...args: unknown[]) => unknown;
const script = document.currentScript as Script;
const data = script.dataset;
const endpoint = endpointOf(script);
const transact = script.transact;
const cartback = (...args: unknown[]) => (window as unknown as { cartback: Queue }).cartback(...args) as Promise<unknown>;
// Twice a second while visible: the other devices see a change within about a second (measured by
// `npm run bench:sync`). A push over a hibernatable WebSocket would cost fewer requests.
const INTERVAL = 500;

// The account cart is personal data too: the same rule as the events.
const allowed = (consent: boolean | undefined): unknown => mayShare(consent, data.consent === "required", data.gpc != null && gpcOn());

let running = false;
let again = false;
let stopped = false;
let clock: Hlc | undefined;
// When this device last paid: the account's older lines were bought, whatever the server sends back.
let bought = 0;

const post = (path: string, body: unknown) =>
  fetch(`${endpoint}${path}?site=${encodeURIComponent(data.site ?? "")}`, { method: "POST", body: JSON.stringify(body) });

/** Saves this device's replica; only beside an account, so a round that ends after a sign-out leaves none. */
const keep = (replica: SyncCart) =>
  transact((s) => {
    if (s.account) s.sync = replica;
  });

/** This device leaves the account: it stops syncing and keeps what it has as a guest cart. */
async function leave(why: string): Promise<void> {
  stopped = true;
  warn(`this device left the shared cart (${why}); the cart stays here`);
  await transact((s) => {
    s.sync = s.account = undefined;
  });
}

/** One exchange with the collector; never two at once, and never over a change made meanwhile. */
async function round(): Promise<void> {
  if (running || stopped) {
    again = !stopped;
    return;
  }
  running = true;
  try {
    const { aid, account, sync: stored, consent } = await transact((s) => s);
    if (!account || !aid || !allowed(consent)) return;
    // No cart yet reads as an empty one, the same way both times we look.
    const current = async (): Promise<Cart> =>
      ((await cartback("getCart")) as Cart | undefined) ?? { currency: stored?.currency ?? "EUR", lines: [] };
    const before = await current();
    let replica = stored ?? emptySync(before.currency);
    clock ??= latest(replica);
    replica = record(replica, before, () => {
      clock = tick(clock as Hlc, aid, Date.now());
      return clock;
    });
    // Removals pile up as tombstones: the oldest go beyond what a replica may hold, so the
    // collector never refuses this device's cart for its size.
    replica = prune(replica, replica, { before: 0, max: MAX_SYNC_ENTRIES });
    await keep(replica);
    const res = await post("/v1/sync", { token: account.token, aid, cart: replica, consent });
    const body = (await res.json().catch(() => ({}))) as { status?: string; cart?: SyncCart; error?: { code: string } };
    if (body.status === "retired" || body.error?.code === "device_revoked") return leave(body.status ?? "revoked");
    if (!res.ok || !body.cart) return warn("sync refused", res.status, body.error?.code);
    let merged = body.cart;
    const latestSeen = latest(merged);
    if (latestSeen[0] > (clock as Hlc)[0] || (latestSeen[0] === (clock as Hlc)[0] && latestSeen[1] > (clock as Hlc)[1])) clock = latestSeen;
    if (bought) {
      // Paid before this device ever held the account's lines: without this they would come back.
      merged = boughtAt(merged, bought, () => {
        clock = tick(clock as Hlc, aid, Date.now());
        return clock;
      });
      bought = 0;
      again = true;
    }
    await keep(merged);
    const now = await current();
    // A change made while we were away goes in the next round, merged; it is never overwritten.
    if (JSON.stringify(now) !== JSON.stringify(before)) again = true;
    else if (JSON.stringify(view(merged)) !== JSON.stringify(before)) {
      const cart = view(merged);
      await cartback("setCart", cart);
      // For the connect file, where the shop connected its own cart: it hands this to the shop.
      dispatchEvent(new CustomEvent(Signal.SYNCED, { detail: cart }));
    }
  } catch (e) {
    warn("sync failed, will retry", e);
  } finally {
    running = false;
    if (again) {
      again = false;
      setTimeout(round, 50);
    }
  }
}

addEventListener(Signal.PURCHASED, (e) => {
  bought = (e as CustomEvent<number>).detail;
});
cartback("onCart", () => round());
addEventListener("focus", round);
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && round());
// Told inside the core's sign-out, which drops the replica with the account in the same transaction.
addEventListener(Signal.SIGNED_OUT, (e) => {
  const { token, aid } = (e as CustomEvent<Account & { aid: string }>).detail;
  stopped = true;
  post("/v1/sync/signout", { token, aid, cart: emptySync("EUR") }).catch(warn);
});
setInterval(() => document.visibilityState === "visible" && round(), INTERVAL);
round();
