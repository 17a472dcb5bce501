import { DurableObject } from "cloudflare:workers";
import { DAY_MS, MAX_SYNC_ENTRIES } from "../../protocol/limits";
import { boughtAt, emptySync, latest, merge, prune, type SyncCart, tick, view } from "../../protocol/merge";
import type { Cart } from "../../protocol/types";

interface Device {
  firstSeen: number;
  lastSeen: number;
  /** Pushed out by a newer device beyond the limit: told so on its next sync. */
  retiredAt?: number;
  /** Revoked by the merchant (or the shopper, through the shop): reads and writes nothing. */
  revokedAt?: number;
}

interface AccountState {
  cart: SyncCart;
  updatedAt: number;
  devices: Record<string, Device>;
}

export type SyncResult = { status: "ok"; cart: SyncCart } | { status: "retired" } | { status: "revoked" };

/** The device with this id, if the account has one: an id such as "__proto__" must not reach the prototype. */
const deviceOf = (state: AccountState, aid: string): Device | undefined =>
  Object.hasOwn(state.devices, aid) ? state.devices[aid] : undefined;

/**
 * One signed-in shopper's account cart: authoritative, kept 7 days after its last change, shared
 * by at most `maxDevices` devices. Every sync merges the device's replica in (see protocol/merge.ts)
 * and answers the merged cart, one request at a time.
 */
export class Account extends DurableObject<Env> {
  private async load(): Promise<AccountState> {
    return (await this.ctx.storage.get<AccountState>("state")) ?? { cart: emptySync("EUR"), updatedAt: 0, devices: {} };
  }

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
    const now = Date.now();
    const device = deviceOf(state, aid);
    if (device?.revokedAt) return { status: "revoked" };
    if (device?.retiredAt) return { status: "retired" };
    if (state.updatedAt && now - state.updatedAt > ttlDays * DAY_MS)
      Object.assign(state, { cart: emptySync(state.cart.currency), updatedAt: 0 });
    if (device) device.lastSeen = now;
    else {
      const active = Object.entries(state.devices).filter(([, d]) => !d.retiredAt && !d.revokedAt);
      if (active.length >= maxDevices) {
        const [leastRecent] = active.sort((a, b) => a[1].lastSeen - b[1].lastSeen)[0] as [string, Device];
        (state.devices[leastRecent] as Device).retiredAt = now;
      }
      state.devices[aid] = { firstSeen: now, lastSeen: now };
    }
    const merged = prune(merge(state.cart, cart), state.cart, { before: now - ttlDays * DAY_MS, max: MAX_SYNC_ENTRIES });
    if (JSON.stringify(merged) !== JSON.stringify(state.cart)) state.updatedAt = now;
    state.cart = merged;
    await this.ctx.storage.put("state", state);
    return { status: "ok", cart: merged };
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
    if (JSON.stringify(cart) === JSON.stringify(state.cart)) return;
    Object.assign(state, { cart, updatedAt: Date.now() });
    await this.ctx.storage.put("state", state);
  }

  /** Sign-out: the device leaves the account and frees its place. */
  async signOut(aid: string): Promise<void> {
    const state = await this.load();
    delete state.devices[aid];
    await this.ctx.storage.put("state", state);
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

  /** Erasure: the account cart and its devices go. */
  async erase(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  async revoke(aid: string): Promise<boolean> {
    const state = await this.load();
    const device = deviceOf(state, aid);
    if (!device) return false;
    device.revokedAt = Date.now();
    await this.ctx.storage.put("state", state);
    return true;
  }
}

/** The account object of this user on this site. */
export function accountStub(env: Env, site: number, userId: string): DurableObjectStub<Account> {
  const namespace = env.ACCOUNT as unknown as DurableObjectNamespace<Account>;
  return namespace.get(namespace.idFromName(`${site}:${userId}`));
}
