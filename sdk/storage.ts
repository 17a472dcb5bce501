import { createStore, promisifyRequest, type UseStore } from "idb-keyval";
import type { SyncCart } from "../protocol/merge";
import type { Cart, CartbackEvent } from "../protocol/types";
import { randomId } from "./id";
import { warn } from "./warn";

/** The cart as kept in the browser: the shop's cart plus when it last changed. */
export interface SavedCart extends Cart {
  updatedAt: number;
}

/** Events waiting for the collector, and the retry state shared by every tab. */
export interface Outbox {
  events: CartbackEvent[];
  attempt: number;
  retryAt: number;
}

/** A signed-in shopper: the shop's user id and the token its server signed. */
export interface Account {
  userId: string;
  token: string;
}

/** Everything the script keeps. Read whole and written (what changed) in one transaction, so a cart change
 * and the event that reports it are saved together or not at all. */
export interface State {
  aid: string;
  cart?: SavedCart;
  outbox: Outbox;
  account?: Account;
  /** The shopper's answer to `consent`; undefined until they gave one. */
  consent?: boolean;
  /** This device's replica of the account cart, kept by `cartback-sync.js` (sdk/sync) beside an account. */
  sync?: SyncCart;
  /** The shopper's language from `identify({ locale })`, over the page's. */
  locale?: string;
  /** When this signed-in device last paid, until the account heard of it (sdk/sync): what the
   * account held from before then was bought, even the lines this device never held. */
  paid?: number;
}

const KEYS = ["aid", "cart", "outbox", "account", "consent", "sync", "locale", "paid"] as const;

/** The outbox as stored under "outbox": its retry state and a version that changes whenever its
 * events do. The events themselves are stored one a record, under number keys (which sort before
 * the state's text keys), in the order they were queued: a change adds its event and deletes what
 * was sent, and never rewrites the others. `events` is the format before that (one record held
 * them all), moved to their own records on first read. */
interface StoredBox {
  attempt: number;
  retryAt: number;
  v?: string;
  events?: CartbackEvent[];
}

/** The events of the last transaction this tab committed, by version: while no tab changed them
 * since, a transaction reads only the small records, not every queued event. */
interface Log {
  v?: string;
  /** Each event's key; none yet for an event of the old format. */
  keys: (number | undefined)[];
  events: CartbackEvent[];
}

let store: UseStore | undefined;
let log: Log | undefined;
// Set when IndexedDB is unusable (blocked storage, some private modes): the page keeps working
// from memory and the shop's checkout is never held up by our storage.
let memory: State | undefined;

/** The state as of the last transaction this tab committed; read synchronously on page hide. */
export let known: State | undefined;

const fresh = (): State => ({ aid: randomId(), outbox: { events: [], attempt: 0, retryAt: 0 } });

/**
 * Runs `change` on the saved state inside one readwrite transaction and returns its result.
 * `change` may mutate the state; throwing a string refuses the change and rejects with it.
 * `change` appends events to `outbox.events` or removes them, never reorders or edits one.
 * The one writer of the store: the extra files reach it through the core (sdk/extras.ts).
 */
export async function transact<R>(change: (state: State) => R): Promise<R> {
  if (memory) return commitMemory(change);
  try {
    // Inside the async function, an IndexedDB that throws synchronously on open lands in the catch too.
    store ||= createStore("cartback", "state");
    return await store("readwrite", async (s) => {
      const values = await Promise.all(KEYS.map((k) => promisifyRequest(s.get(k))));
      const box = values[2] as StoredBox | undefined;
      // Another tab changed the events since (or this tab never read them): read them all, in key order.
      const read: Log =
        box?.v && box.v === log?.v
          ? log
          : await Promise.all([s.getAllKeys(EVENTS()), s.getAll(EVENTS())].map(promisifyRequest)).then(([keys, events]) => ({
              v: box?.v,
              // An outbox of the old format: its events come first, without a key, so the write below
              // stores each in its own record.
              keys: [...(box?.events || []).map(() => undefined), ...(keys as number[])],
              events: [...(box?.events || []), ...(events as CartbackEvent[])],
            }));
      // What is saved, over a fresh state's browser id and empty outbox.
      const state = fresh();
      // Written back are only the keys `change` changed: a read, or a change of one key, does
      // not rewrite the replica and the cart (each put costs the tab). A key that went is stored as
      // undefined, which reads back as absent.
      const was = KEYS.map((k, i) => {
        if (values[i] != null) state[k] = values[i] as never;
        return JSON.stringify(values[i]);
      });
      state.outbox = { attempt: box?.attempt || 0, retryAt: box?.retryAt || 0, events: read.events.slice() };
      const result = change(state);
      KEYS.map((k, i) => k !== "outbox" && JSON.stringify(state[k]) !== was[i] && s.put(state[k], k));
      const next = saveEvents(s, read, state.outbox.events);
      const { attempt, retryAt } = state.outbox;
      if (!box || box.events || next.v !== read.v || attempt !== box.attempt || retryAt !== box.retryAt)
        s.put({ attempt, retryAt, v: next.v }, "outbox");
      await promisifyRequest(s.transaction);
      known = state;
      log = next;
      return result;
    });
  } catch (e) {
    if (typeof e === "string") throw e;
    warn("no IndexedDB: cart kept in memory", e);
    memory = known || fresh();
    return commitMemory(change);
  }
}

/** The event records: every number key. A function: a browser without IndexedDB has no IDBKeyRange. */
const EVENTS = (): IDBKeyRange => IDBKeyRange.upperBound(Infinity);

/** Stores the events `events` added to `read` (after its last key) and deletes those it dropped;
 * returns the new log, under a new version if anything changed. */
function saveEvents(s: IDBObjectStore, read: Log, events: CartbackEvent[]): Log {
  const keyOf = new Map(read.events.map((e, i) => [e, read.keys[i]]));
  let last = Math.max(0, ...read.keys.filter((k): k is number => !!k));
  let changed = false;
  const keys = events.map((e) => {
    let key = keyOf.get(e);
    keyOf.delete(e);
    if (key === undefined) {
      key = ++last;
      s.put(e, key);
      changed = true;
    }
    return key;
  });
  for (const key of keyOf.values()) {
    if (key) s.delete(key);
    changed = true;
  }
  return { v: changed || !read.v ? randomId() : read.v, keys, events: events.slice() };
}

function commitMemory<R>(change: (state: State) => R): R {
  // Work on a copy so a refused change leaves memory untouched, like an aborted transaction.
  const state = structuredClone(memory as State);
  const result = change(state);
  memory = known = state;
  return result;
}
