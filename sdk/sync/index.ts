// The cross-device cart for signed-in shoppers, one implementation for both ways a shop loads
// Cartback: the script tag loads it as `cartback-sync.js` (entry.ts), the ES module takes it as
// `createCartback({ sync })` from "cartback/sync". Keeps this device's replica of the account cart
// (protocol/merge.ts) beside the cart in the saved state (`sync`), and keeps it in step with the
// collector over one WebSocket per tab: up go only the entries this device changed since the
// account last acknowledged them, down come the entries other devices changed (a reconnect sends
// its watermark and gets what it missed). Where the socket cannot open, the socket's hello goes
// over `POST /v1/sync`: on a change, and every second while the tab is visible. It reads and writes
// the saved state through the client's `transact`: the client stays the one writer of the store.
import {
  adopt,
  boughtAt,
  changedBy,
  compareHlc,
  emptySync,
  type Hlc,
  latest,
  record,
  type SyncCart,
  tick,
  view,
  ZERO,
} from "../../protocol/merge";
import type { Cart } from "../../protocol/types";
import type { Cartback, CartbackOptions } from "../client";
import { mayShare } from "../consent";
import { Signal } from "../extras";
import type { NewEvent } from "../outbox";
import type { Account, State, transact as Transact } from "../storage";
import { warn } from "../warn";

/** The options of the client that starts the sync (the script tag's data- attributes, or `createCartback`'s). */
export type SyncOptions = Pick<CartbackOptions, "endpoint" | "site" | "consent">;
/** The client's `getCart` (it drops a cart whose time is up) and `onCart` (called after every change). */
export type SyncClient = Pick<Cartback, "getCart" | "onCart">;

/** The replica, and what this device knows of its account: its id (for the socket's address), the
 * number of the last account change it has seen (`w`), and its own clock reading the account last
 * acknowledged (`k`). */
type Replica = SyncCart & { a?: string; w?: number; k?: Hlc };
/** A message from the account (worker/sync/account.ts). */
type Heard = { d?: SyncCart; s: number; k?: Hlc; full?: true; account?: string };

/** The fallback's pace while visible, when the socket cannot open. With a socket, every third beat
 * is a keep-alive (45 s), answered by the collector without waking the account (an auto-response):
 * Cloudflare closes a WebSocket after 100 s without a frame (https://community.cloudflare.com/t/cloudflare-websocket-timeout/5865),
 * common proxies after 60 s, and each keep-alive and its pong cost an idle tab main-thread time. */
const POLL = 15_000;
/** The fallback's pace: another device's change shows here within about a second, as over a socket
 * it would at once (a proxy or browser that blocks WebSockets must not leave the devices apart). */
const FAST = 1000;

/**
 * Starts the cross-device cart on this page: for a signed-in shopper (an account in the saved
 * state), it keeps the cart in step with their other devices; a sign-out (or a retired device)
 * stops it. Call it once a page, with the client's `transact` (the one writer of the saved state),
 * its `emit` (the outbox's consent and GPC rule) and whether GPC is on and honoured. Positional: the
 * ES module counts its bytes. ES-module shops pass it to `createCartback`, which starts it when
 * the shopper is signed in, or signs in with a token; the script tag loads `cartback-sync.js`.
 *
 * @example
 * import { createCartback } from "cartback";
 * import { sync } from "cartback/sync";
 * const cartback = createCartback({ site: "pk_live_abc", endpoint: "https://cartback.example.com", sync });
 * await cartback.identify({ userId: user.id, token }); // the token the shop's server signed
 */
export function sync(
  { endpoint, site: key, consent: required }: SyncOptions,
  { getCart, onCart }: SyncClient,
  transact: typeof Transact,
  emit: (state: State, event: NewEvent) => void,
  gpc: unknown,
): void {
  const site = `?site=${key}`; // a site key is URL-safe (pk_ and word characters)
  // The account cart is personal data too: the same rule as the events.
  const allowed = (consent: boolean | undefined): unknown => mayShare(consent, required, gpc);
  let beats = 0;
  /** A fallback round waits its turn: a change or a tick meanwhile adds none (it reads the state when it runs). */
  let queued: unknown;

  let stopped = false;
  let clock: Hlc | undefined;
  // The purchase time (`State.paid`) the last hello carried: once that hello is answered, the account
  // has it, and the next hellos carry it no more.
  let told: number | undefined;
  let socket: WebSocket | undefined;
  /** The socket's hello was answered: changes go over it. */
  let live = false;
  let tries = 0;
  // Every read-modify-write of the replica, one after another: a message heard while the cart is
  // being recorded waits its turn, and nothing is overwritten.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = (job: () => Promise<unknown>) => (chain = chain.then(job).catch(warn));
  const json = JSON.stringify;
  const visible = () => document.visibilityState === "visible";

  /** This device leaves the account: it stops syncing and keeps what it has as a guest cart. */
  async function leave(why: string): Promise<void> {
    stopped = true;
    socket?.close();
    warn(why); // device_retired, device_revoked…: the code says why
    await transact((s) => {
      s.sync = s.account = s.paid = undefined;
    });
  }

  /**
   * One step, always inside `serial`: in one transaction, the shop's cart recorded into the replica,
   * what the account sent (`heard`) taken in, the replica saved (only beside an account, so a round
   * that ends after a sign-out leaves none), and the shop's cart set to the merged one, with the event
   * that reports it. Shown in the transaction it was merged in, never after: a change the shop makes
   * meanwhile then lands on the merged cart, and the next step records just that change. Shown later,
   * such a change was overwritten, or the shop's cart from before the merge read as this device
   * undoing what the others did. Returns what a message needs, or nothing when this device does not sync.
   */
  async function step(heard?: Heard) {
    // The core's getCart first: it drops a cart whose time is up, which must not sync as a live one.
    await getCart();
    const now = await transact((s) => {
      const { aid, account, sync, consent, paid } = s;
      if (!account || !allowed(consent) || stopped) return;
      const { currency = sync?.currency ?? "EUR", lines = [] } = s.cart || {};
      const cart: Cart = { currency, lines };
      let replica: Replica = sync ?? emptySync(cart.currency);
      // The clock goes past every reading seen, so this device's changes are its latest (changedBy).
      const seen = latest(replica);
      if (!clock || compareHlc(seen, clock) > 0) clock = seen;
      // Not pruned here: only this device's unacknowledged changes ever go up, and the account, which
      // prunes, sends the whole cart to replace this replica whenever it dropped entries (feed.ts).
      replica = record(replica, cart, () => (clock = tick(clock as Hlc, aid, Date.now())));
      if (heard) {
        // Everything this device changed up to the reading it sent (`k`, handed back in the order
        // they went: one socket, or one request at a time) is stored, its purchase with it.
        if (heard.k) {
          replica.k = heard.k;
          if (paid === told) s.paid = undefined;
        }
        replica = adopt(replica, heard.d ?? replica, heard.full, changedBy(replica, aid, replica.k ?? ZERO));
        replica.w = heard.s;
        replica.a = heard.account ?? replica.a;
      }
      // Paid, and the account may not know yet (the order went while a hello was on its way): what it
      // held from before then was bought, here as there, so an answer cannot bring it back.
      if (paid) replica = boughtAt(replica, paid, () => (clock = tick(clock as Hlc, aid, Date.now())));
      s.sync = replica;
      let shown: Cart | undefined = view(replica);
      if (json(shown) === json(cart)) shown = undefined;
      else {
        s.cart = { ...shown, updatedAt: Date.now() };
        emit(s, { type: "cart", action: "set", cart: shown });
      }
      return { aid, account, consent, replica, shown, mine: changedBy(replica, aid, replica.k ?? ZERO), k: clock, b: s.paid };
    });
    if (now?.shown) {
      // The core sends the event and tells every tab's onCart listeners; the connect file, where the
      // shop connected its own cart, hands the cart to the shop.
      dispatchEvent(new CustomEvent(Signal.SYNCED, { detail: now.shown }));
    }
    return now;
  }

  /** The socket's first message, and the fallback's body: the token, this device's unacknowledged changes, its watermark. */
  const hello = ({ aid, consent, replica, mine: d, k, account, b }: NonNullable<Awaited<ReturnType<typeof step>>>) => {
    told = b;
    return json({ t: "hello", token: account.token, aid, consent, w: replica.w ?? 0, d, k, b });
  };

  /** The fallback, `POST /v1/sync` with the socket's hello and its answer; it also learns the account's id for the socket. */
  function round(): void {
    if (queued) return;
    queued = serial(async () => {
      queued = 0;
      const now = await step();
      if (!now) return;
      const res = await fetch(`${endpoint}/v1/sync${site}`, { method: "POST", body: hello(now) });
      const heard = (await res.json().catch(() => ({}))) as Heard & { error?: { code: string } };
      const code = heard.error?.code ?? "";
      // Retired by a newer device or revoked: the cart stays here as a guest cart.
      if (/retired|revoked/.test(code)) return leave(code);
      if (!res.ok) return warn("sync:", res.status, code);
      await step(heard);
      // Only the first time: once a socket failed, it is retried on its own backoff, not on every poll
      // (nor again and again, should an answer come without the account's id).
      if (!tries++) connect();
    });
  }

  /** Sends what this device changed since the account last acknowledged it; each push carries all of it. */
  const push = () =>
    serial(async () => {
      // Never HTTP while a socket is open or opening: the device hears the account's states in order.
      if (!socket) return void round(); // queued after this job: awaiting it here would wait on itself
      const now = await step();
      if (!live) return; // the hello's answer sends what is left
      // Lines changed here (a currency alone goes with the next line change). A purchase needs no
      // word: a live socket gave this device every account line, and emptying the cart removed them.
      if (Object.keys(now?.mine.lines ?? {}).length) socket?.send(json({ t: "push", d: now?.mine, k: now?.k }));
    });

  /** Opens the tab's socket (once the account's id is known) and says hello with the token. */
  const connect = () =>
    serial(async () => {
      const a = (await step())?.replica.a;
      if (socket) return;
      if (!a) return void round();
      const ws = new WebSocket(`${endpoint.replace(/^http/, "ws")}/v1/sync/ws${site}&account=${a}`);
      socket = ws;
      ws.onopen = () =>
        serial(async () => {
          const now = await step();
          now ? ws.send(hello(now)) : ws.close();
        });
      ws.onmessage = ({ data: text }) =>
        text !== "pong" &&
        serial(async () => {
          const heard = JSON.parse(text) as Heard;
          if (ws !== socket || !(await step(heard))) return;
          // The hello's answer: from now on changes go over the socket.
          if (heard.k && !live) {
            live = true;
            tries = 0;
            push();
          }
        });
      ws.onclose = ({ code, reason }) => {
        if (ws !== socket) return;
        socket = undefined;
        live = false;
        if (stopped) return;
        // The socket is down: the fallback's pace from now, not at the socket's next beat.
        clearTimeout(timer);
        timer = setTimeout(pace, FAST);
        // Retired by a sixth device (4409), revoked (4410), signed out elsewhere (4411) or the account
        // erased (4412): as over HTTP, the cart stays here as a guest cart.
        if (code > 4408 && code < 4413) return void leave(reason);
        if (code > 4399) warn("sync:", reason);
        // Another account's id (the shopper changed): the fallback's next round, which runs while the
        // socket waits, learns this account's id, and the socket takes it. Jittered backoff, 1 s doubling to a minute: a collector restarting is not stampeded.
        setTimeout(connect, Math.min(60_000, 1000 * 2 ** tries++) * (0.5 + Math.random()));
      };
    });

  // Not the promise: the core awaits its listeners, and a step waits on setCart.
  onCart(() => {
    push();
  });
  // Back in view: a socket now, if it was down (a pending retry finds it open and does nothing).
  document.addEventListener("visibilitychange", () => visible() && connect());
  // Told inside the core's sign-out, which drops the replica with the account in the same transaction.
  addEventListener(Signal.SIGNED_OUT, (e) => {
    const { token, aid } = (e as CustomEvent<Account & { aid: string }>).detail;
    stopped = true;
    socket?.close();
    fetch(`${endpoint}/v1/sync/signout${site}`, { method: "POST", body: json({ token, aid, cart: emptySync("EUR") }) }).catch(warn);
  });
  // With a socket, a beat every 15 s; without, a fallback round every second.
  const pace = (): void => {
    if (stopped) return;
    socket ? live && (++beats % 3 || socket.send("ping")) : visible() && round();
    timer = setTimeout(pace, socket ? POLL : FAST);
  };
  let timer = setTimeout(pace, FAST);
  connect();
}
