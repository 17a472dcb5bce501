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

/** The outbox as stored under "outbox": its retry state, the key its next event takes, and a
 * version that changes whenever its events do. The events themselves are stored one a record,
 * under number keys (which sort before the state's text keys) in the order they were queued: a
 * change adds its event's record and deletes those sent, and never rewrites the others. `events` is
 * the format before that (one record held them all), moved to their own records on first read. */
interface StoredBox {
  attempt: number;
  retryAt: number;
  v?: string;
  n?: number;
  events?: CartbackEvent[];
}

let db: Promise<IDBDatabase> | undefined;
/** Each stored event's key. */
const keys = new WeakMap<CartbackEvent, number>();
/** The events as of the last transaction this tab committed, and their version: while no tab changed
 * them since, a transaction reads only the small records, not every queued event. */
let log: [v?: string, events?: CartbackEvent[]] = [];
// Set when IndexedDB is unusable (blocked storage, some private modes): the page keeps working
// from memory and the shop's checkout is never held up by our storage.
let memory: State | undefined;

/** The state as of the last transaction this tab committed; read synchronously on page hide. */
export let known: State | undefined;

const fresh = (): State => ({ aid: randomId(), outbox: { events: [], attempt: 0, retryAt: 0 } });

/** A request's result, or its error. */
const request = <T>(r: IDBRequest<T> | IDBTransaction): Promise<T> =>
  new Promise((resolve, reject) => {
    (r as IDBRequest).onsuccess = (r as IDBTransaction).oncomplete = () => resolve((r as IDBRequest<T>).result);
    r.onerror = (r as IDBTransaction).onabort = () => reject(r.error);
  });

/** Every record in `range`: their keys, and their values in the same order. */
const all = (s: IDBObjectStore, range: IDBKeyRange): Promise<[IDBValidKey[], unknown[]]> =>
  Promise.all([s.getAllKeys(range), s.getAll(range)].map(request)) as never;

/** The store, in one readwrite transaction. The connection is opened once a page (the database
 * "cartback", its one store "state"), and again after the browser closed it (Safari does). */
async function begin(): Promise<IDBObjectStore> {
  if (!db) {
    const open = indexedDB.open("cartback");
    open.onupgradeneeded = () => open.result.createObjectStore("state");
    db = request(open).then((d) => {
      d.onclose = () => {
        db = undefined;
      };
      return d;
    });
  }
  return (await db).transaction("state", "readwrite").objectStore("state");
}

/**
 * Runs `change` on the saved state inside one readwrite transaction and returns its result.
 * `change` may mutate the state; throwing a string refuses the change and rejects with it.
 * `change` appends events to `outbox.events` or removes some, never reorders or edits one.
 * The one writer of the store: the extra files reach it through the core (sdk/extras.ts).
 */
export async function transact<R>(change: (state: State) => R): Promise<R> {
  if (memory) return commitMemory(change);
  try {
    // Inside the try, an IndexedDB that throws synchronously on open lands in the catch too.
    const s = await begin();
    const values = await Promise.all(KEYS.map((k) => request(s.get(k))));
    const { attempt = 0, retryAt = 0, v, n = 1, events: before = [] } = (values[2] || {}) as StoredBox;
    let events = v && v === log[0] && log[1];
    if (!events) {
      // Another tab changed them since, or this tab never read them: all of them, in key order.
      const [k, e] = (await all(s, IDBKeyRange.upperBound(Infinity))) as [number[], CartbackEvent[]];
      e.map((event, i) => keys.set(event, k[i] as number));
      // An outbox of the old format: its events come first, and, having no key, get their records below.
      events = [...before, ...e];
    }
    // What is saved, over a fresh state's browser id and empty outbox.
    const state = fresh();
    // Written back are only the keys `change` changed: a read, or a change of one key, does
    // not rewrite the replica and the cart (each put costs the tab). A key that went is stored as
    // undefined, which reads back as absent.
    const was = KEYS.map((k, i) => {
      if (values[i] != null) state[k] = values[i] as never;
      return JSON.stringify(values[i]);
    });
    state.outbox = { attempt, retryAt, events: events.slice() };
    const result = change(state);
    KEYS.map((k, i) => k !== "outbox" && JSON.stringify(state[k]) !== was[i] && s.put(state[k], k));
    const box = state.outbox;
    const kept = new Set(box.events);
    let next = n;
    // Whether the events changed: their records, and a new version.
    let changed = before.length;
    for (const e of events) if (!kept.has(e) && keys.has(e)) changed = +!!s.delete(keys.get(e) as number);
    for (const e of box.events)
      if (!keys.has(e)) {
        keys.set(e, next);
        changed = +!!s.put(e, next++);
      }
    const version = changed || !v ? randomId() : v;
    if (version !== v || box.attempt !== attempt || box.retryAt !== retryAt)
      s.put({ ...box, events: undefined, v: version, n: next }, "outbox");
    await request(s.transaction);
    known = state;
    log = [version, box.events.slice()];
    return result;
  } catch (e) {
    if (typeof e === "string") throw e;
    warn("no IndexedDB: cart kept in memory", e);
    memory = known || fresh();
    return commitMemory(change);
  }
}

function commitMemory<R>(change: (state: State) => R): R {
  // Work on a copy so a refused change leaves memory untouched, like an aborted transaction.
  const state = structuredClone(memory as State);
  const result = change(state);
  memory = known = state;
  return result;
}
