import { DurableObject } from "cloudflare:workers";
import * as v from "valibot";
import { boughtAt, emptySync, type Hlc, latest, merge, type SyncCart, tick, view } from "../../protocol/merge";
import { SocketMessageSchema } from "../../protocol/schema";
import type { Cart } from "../../protocol/types";
import { apply, emptyFeed, type Feed, missed } from "./feed";
import { checkToken } from "./secrets";
import { Close, type CloseCode, FLOOD, HELLO_WITHIN_MS, MAX_MESSAGE_BYTES, type SocketSite } from "./socket";

interface Device {
  firstSeen: number;
  lastSeen: number;
  /** Pushed out by a newer device beyond the limit: told so on its next sync, or on its socket. */
  retiredAt?: number;
  /** Revoked by the merchant (or the shopper, through the shop): reads and writes nothing. */
  revokedAt?: number;
}

interface AccountState {
  cart: SyncCart;
  updatedAt: number;
  devices: Record<string, Device>;
  /** Numbers the changes, for deltas (feed.ts); state from before sockets has none yet. */
  feed?: Feed;
}

export type SyncResult = { status: "ok"; cart: SyncCart; account: string; s: number } | { status: "retired" } | { status: "revoked" };

/** What the account sends a device: the entries it missed or that changed, the number of the last
 * change (its new watermark), its own clock reading handed back (`k`: its changes up to then are
 * stored), `full` when `d` is the whole cart. */
export type Heard = { t: "d"; d?: SyncCart; s: number; k?: Hlc; full?: boolean; account?: string };

/** What a socket carries across hibernation (`serializeAttachment`): the object keeps nothing in memory. */
interface Attachment {
  site: SocketSite;
  opened: number;
  /** Set by a good `hello`: the socket's device and its user. */
  aid?: string;
  /** Flood control: messages in the current window, and when it began. */
  count: number;
  window: number;
}

/** The device with this id, if the account has one: an id such as "__proto__" must not reach the prototype. */
const deviceOf = (state: AccountState, aid: string): Device | undefined =>
  Object.hasOwn(state.devices, aid) ? state.devices[aid] : undefined;

/** How often a device's lastSeen is written when nothing else changed: it only orders devices for retirement. */
const SEEN_EVERY_MS = 60_000;

const byteLength = (text: string) => (text.length * 3 <= MAX_MESSAGE_BYTES ? text.length : new TextEncoder().encode(text).length);

/**
 * One signed-in shopper's account cart: authoritative, kept 7 days after its last change, shared
 * by at most `maxDevices` devices. Devices sync over a hibernatable WebSocket each (deltas both
 * ways, every change pushed to the account's other sockets) or, where a socket cannot open, over
 * `POST /v1/sync` with the whole replica. Either way the same merge (protocol/merge.ts), and the
 * state is written only when it changed.
 */
export class Account extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Keep-alives are answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  private async load(): Promise<AccountState> {
    return (await this.ctx.storage.get<AccountState>("state")) ?? { cart: emptySync("EUR"), updatedAt: 0, devices: {} };
  }

  /** Sockets with their attachments; `aid` narrows to that device's. */
  private sockets(aid?: string): [WebSocket, Attachment][] {
    return this.ctx
      .getWebSockets()
      .map((ws) => [ws, ws.deserializeAttachment() as Attachment] as [WebSocket, Attachment])
      .filter(([, a]) => a && (aid === undefined ? a.aid !== undefined : a.aid === aid));
  }

  private close(ws: WebSocket, [code, reason]: CloseCode) {
    try {
      ws.close(code, reason);
    } catch {
      // Already closing: nothing to tell.
    }
  }

  private send(ws: WebSocket, message: unknown) {
    try {
      ws.send(JSON.stringify(message));
    } catch {
      // A socket closing meanwhile: it hears the rest when it reconnects, from its watermark.
    }
  }

  /**
   * A device is seen: the first time it takes a place, and a place beyond `maxDevices` retires
   * the least recently seen device (one with a socket open counts as seen after any without);
   * its sockets are told so and closed. Whether the state changed: a device's messages update its
   * lastSeen at most once a minute (`often`), so a message that changes nothing writes nothing.
   */
  private seen(state: AccountState, aid: string, maxDevices: number, now: number, often = false): "retired" | "revoked" | boolean {
    const device = deviceOf(state, aid);
    if (device?.revokedAt) return "revoked";
    if (device?.retiredAt) return "retired";
    if (device) {
      if (often && now - device.lastSeen < SEEN_EVERY_MS) return false;
      device.lastSeen = now;
      return true;
    }
    const active = Object.entries(state.devices).filter(([, d]) => !d.retiredAt && !d.revokedAt);
    if (active.length >= maxDevices) {
      const open = new Set(this.sockets().map(([, a]) => a.aid));
      const rank = ([id, d]: [string, Device]) => [open.has(id) ? 1 : 0, d.lastSeen];
      const [leastRecent] = active.sort((a, b) => {
        const [x, y] = [rank(a), rank(b)] as [number[], number[]];
        return (x[0] as number) - (y[0] as number) || (x[1] as number) - (y[1] as number);
      })[0] as [string, Device];
      (state.devices[leastRecent] as Device).retiredAt = now;
      for (const [ws] of this.sockets(leastRecent)) this.close(ws, Close.RETIRED);
    }
    state.devices[aid] = { firstSeen: now, lastSeen: now };
    return true;
  }

  /**
   * Merges what a device sent into the account, writes the state if anything changed, and pushes
   * the changed entries to every socket of the account but `except` (which gets its own answer).
   */
  private async take(
    state: AccountState,
    sent: SyncCart,
    { ttlDays, dirty, except, bought }: { ttlDays: number; dirty: boolean; except?: WebSocket; bought?: number },
  ) {
    if (bought) {
      // The device paid at `bought`, maybe before it ever held the account's lines: what the
      // account held from before then was bought, so it goes (a line changed since stays).
      const known = merge(state.cart, sent);
      let clock = latest(known);
      sent = merge(
        sent,
        boughtAt(known, bought, () => (clock = tick(clock, "order", Date.now()))),
      );
    }
    const now = Date.now();
    const feed = state.feed ?? emptyFeed();
    const applied = apply(state.cart, feed, sent, { now, ttlDays, updatedAt: state.updatedAt });
    if (applied.delta) {
      Object.assign(state, { cart: applied.cart, feed: applied.feed, updatedAt: now });
      dirty = true;
    }
    if (dirty) await this.ctx.storage.put("state", state);
    if (applied.delta)
      for (const [ws] of this.sockets())
        if (ws !== except)
          this.send(
            ws,
            applied.dropped
              ? { t: "d", d: applied.cart, s: applied.feed.seq, full: true }
              : { t: "d", d: applied.delta, s: applied.feed.seq },
          );
    return applied;
  }

  /** `GET /v1/sync/ws` (worker/sync/route.ts checked the site and Origin): a socket, hibernatable. */
  override async fetch(request: Request): Promise<Response> {
    const site = JSON.parse(request.headers.get("x-cartback-site") ?? "null") as SocketSite | null;
    if (!site) return new Response("no site", { status: 400 });
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    const now = Date.now();
    server.serializeAttachment({ site, opened: now, count: 0, window: now } satisfies Attachment);
    // A socket that never says hello is closed: nobody holds a place in the object for free.
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > now + HELLO_WITHIN_MS) await this.ctx.storage.setAlarm(now + HELLO_WITHIN_MS);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    // The next socket's deadline, not a whole period from now: an alarm that fired a little early,
    // or a socket opened after the first, is closed at its own 10 s, not up to 20 s.
    let next = Infinity;
    for (const ws of this.ctx.getWebSockets()) {
      const a = ws.deserializeAttachment() as Attachment | null;
      if (!a || a.aid) continue;
      const due = a.opened + HELLO_WITHIN_MS;
      if (due <= now) this.close(ws, Close.NO_HELLO);
      else next = Math.min(next, due);
    }
    if (next < Infinity) await this.ctx.storage.setAlarm(next);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const a = ws.deserializeAttachment() as Attachment;
    const now = Date.now();
    // A binary frame, of any size, is not the protocol (JSON text): its own code, not "too large".
    if (typeof message !== "string") return this.close(ws, Close.BINARY);
    if (byteLength(message) > MAX_MESSAGE_BYTES) return this.close(ws, Close.TOO_LARGE);
    if (now - a.window > FLOOD.windowMs) Object.assign(a, { window: now, count: 0 });
    if (++a.count > FLOOD.messages) return this.close(ws, Close.FLOOD);
    ws.serializeAttachment(a);
    let parsed: v.InferOutput<typeof SocketMessageSchema>;
    try {
      const result = v.safeParse(SocketMessageSchema, JSON.parse(message));
      if (!result.success) return this.close(ws, Close.INVALID);
      parsed = result.output;
    } catch {
      return this.close(ws, Close.INVALID);
    }
    if (parsed.t === "push") {
      if (!a.aid) return this.close(ws, Close.INVALID);
      const state = await this.load();
      const device = deviceOf(state, a.aid);
      // Revoked or retired meanwhile on another path: the same answer as at hello.
      if (!device || device.revokedAt) return this.close(ws, Close.REVOKED);
      if (device.retiredAt) return this.close(ws, Close.RETIRED);
      const dirty = this.seen(state, a.aid, a.site.maxDevices, now, true) === true;
      const { delta, dropped, cart, feed } = await this.take(state, parsed.d, {
        ttlDays: a.site.ttlDays,
        dirty,
        except: ws,
        bought: parsed.b,
      });
      const s = (state.feed ?? feed).seq;
      this.send(ws, dropped ? { t: "d", d: cart, s, k: parsed.k, full: true } : { t: "d", ...(delta && { d: delta }), s, k: parsed.k });
      return;
    }
    if (a.aid) return this.close(ws, Close.INVALID); // one hello per socket
    const claims = await checkToken(this.env.DB, a.site, parsed.token);
    if (ws.deserializeAttachment().aid) return this.close(ws, Close.INVALID); // a second hello sent meanwhile
    if (typeof claims === "string") return this.close(ws, claims === "other_site" ? Close.OTHER_SITE : Close.token(claims));
    const namespace = this.env.ACCOUNT as unknown as DurableObjectNamespace<Account>;
    // The socket was routed by the account id in its URL: the token must be this account's user.
    if (!namespace.idFromName(`${a.site.id}:${claims.userId}`).equals(this.ctx.id)) return this.close(ws, Close.OTHER_ACCOUNT);
    if (a.site.requireConsent && parsed.consent !== true) return this.close(ws, Close.CONSENT);
    const answer = await this.hello(parsed, { ...a.site, socket: ws });
    if (answer === "revoked") return this.close(ws, Close.REVOKED);
    if (answer === "retired") return this.close(ws, Close.RETIRED);
    this.send(ws, answer);
  }

  /**
   * A device (re)connects, on its socket or over `POST /v1/sync`: its unacknowledged changes
   * merged in, and what it missed since its watermark (the whole cart when the watermark cannot
   * say, see feed.ts, or when entries it sent were dropped), with its clock reading handed back.
   */
  async hello(
    { aid, w, d: sent, k, b: bought }: { aid: string; w: number; d: SyncCart; k: Hlc; b?: number },
    { maxDevices, ttlDays, socket }: { maxDevices: number; ttlDays: number; socket?: WebSocket },
  ): Promise<Heard | "retired" | "revoked"> {
    const state = await this.load();
    const seen = this.seen(state, aid, maxDevices, Date.now());
    if (seen === "revoked" || seen === "retired") return seen;
    if (socket) {
      const a = socket.deserializeAttachment() as Attachment;
      socket.serializeAttachment({ ...a, aid });
    }
    const applied = await this.take(state, sent, { ttlDays, dirty: seen, except: socket, bought });
    const feed = state.feed ?? applied.feed;
    const { d, full } = applied.dropped ? { d: state.cart, full: true } : missed(state.cart, feed, w);
    return { t: "d", d, s: feed.seq, k, ...(full && { full }), account: this.ctx.id.toString() };
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // The other side closed: finish the handshake (1005 and 1006 cannot be sent back).
    this.close(ws, [code === 1005 || code === 1006 ? 1000 : code, reason] as CloseCode);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.close(ws, [1011, "socket_error"]);
  }

  /** `POST /v1/sync`, the fallback: the device's whole replica in, the merged account cart out. */
  async sync({
    aid,
    cart,
    maxDevices,
    ttlDays,
  }: {
    aid: string;
    cart: SyncCart;
    maxDevices: number;
    ttlDays: number;
  }): Promise<SyncResult> {
    const state = await this.load();
    const seen = this.seen(state, aid, maxDevices, Date.now());
    if (seen === "revoked" || seen === "retired") return { status: seen };
    await this.take(state, cart, { ttlDays, dirty: seen });
    return { status: "ok", cart: state.cart, account: this.ctx.id.toString(), s: state.feed?.seq ?? 0 };
  }

  /**
   * A paid order from one of the account's devices: what the account cart held before it was
   * bought, so it goes from every device (a line added after the order stays). Without this, a
   * device that signed in and paid before its first sync would pull the bought cart back in.
   *
   * @example
   * await accountStub(env, site.id, "user-77").ordered(purchase.at);
   */
  async ordered(at: number): Promise<void> {
    const state = await this.load();
    let clock = latest(state.cart);
    const cart = boughtAt(state.cart, at, () => {
      clock = tick(clock, "order", Date.now());
      return clock;
    });
    await this.take(state, cart, { ttlDays: Number.POSITIVE_INFINITY, dirty: false });
  }

  /** Sign-out: the device leaves the account and frees its place; its sockets are closed. */
  async signOut(aid: string): Promise<void> {
    const state = await this.load();
    delete state.devices[aid];
    await this.ctx.storage.put("state", state);
    for (const [ws] of this.sockets(aid)) this.close(ws, Close.SIGNED_OUT);
  }

  async devices(): Promise<({ aid: string } & Device)[]> {
    const state = await this.load();
    return Object.entries(state.devices)
      .map(([aid, d]) => ({ aid, ...d }))
      .sort((a, b) => b.lastSeen - a.lastSeen);
  }

  /** For a privacy export: the account cart as the shop would see it, and its devices. */
  async export(): Promise<{ cart: Cart; updatedAt: number; devices: ({ aid: string } & Device)[] } | undefined> {
    const state = await this.ctx.storage.get<AccountState>("state");
    return state && { cart: view(state.cart), updatedAt: state.updatedAt, devices: await this.devices() };
  }

  /** Erasure: the account cart and its devices go, and every socket is closed. */
  async erase(): Promise<void> {
    await this.ctx.storage.deleteAll();
    for (const ws of this.ctx.getWebSockets()) this.close(ws, Close.ERASED);
  }

  async revoke(aid: string): Promise<boolean> {
    const state = await this.load();
    const device = deviceOf(state, aid);
    if (!device) return false;
    device.revokedAt = Date.now();
    await this.ctx.storage.put("state", state);
    for (const [ws] of this.sockets(aid)) this.close(ws, Close.REVOKED);
    return true;
  }
}

/** The account object of this user on this site. */
export function accountStub(env: Env, site: number, userId: string): DurableObjectStub<Account> {
  const namespace = env.ACCOUNT as unknown as DurableObjectNamespace<Account>;
  return namespace.get(namespace.idFromName(`${site}:${userId}`));
}
