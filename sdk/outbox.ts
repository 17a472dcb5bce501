import { MAX_BATCH_EVENTS, MAX_BODY_BYTES, MAX_EVENT_BYTES } from "../protocol/limits";
import type { CartbackEvent } from "../protocol/types";
import { randomId } from "./id";
import { known, type Outbox, type State, transact } from "./storage";
import { need, warn } from "./warn";

/** Wait after a change before sending, so a burst of clicks leaves as one request. */
export const FLUSH_DELAY = 1000;
export const MAX_OUTBOX_EVENTS = 500;
export const MAX_OUTBOX_BYTES = 524_288; // 512 KiB
const BASE_BACKOFF = 1000;
const MAX_BACKOFF = 300_000; // 5 minutes
/** A Retry-After is honoured, up to an hour. */
const MAX_RETRY_AFTER = 3_600_000;

export const byteSize = (text: string): number => new Blob([text]).size;

// An event's size, measured once: stored events are never edited (sdk/storage.ts), and a tab
// keeps the same objects across its transactions, so a change does not measure the whole outbox.
const sizes = new WeakMap<CartbackEvent, number>();
const sizeOf = (event: CartbackEvent): number => {
  const size = sizes.get(event) ?? byteSize(JSON.stringify(event));
  sizes.set(event, size);
  return size;
};

/**
 * Delay before retry number `attempt` (0-based): exponential with "equal jitter", so tabs of
 * many shoppers that failed together do not come back together; never below the server's
 * Retry-After.
 */
export const backoff = (attempt: number, retryAfter = 0, random = Math.random): number =>
  Math.round(Math.max(Math.min(retryAfter, MAX_RETRY_AFTER), Math.min(MAX_BACKOFF, BASE_BACKOFF * 2 ** attempt) * (0.5 + random() / 2)));

/** Milliseconds the response asks us to wait: Retry-After in seconds or as an HTTP date. */
export function retryAfter(res: Response): number {
  const value = res.headers.get("retry-after") as string;
  // Seconds, else a date; a missing or unreadable header is NaN, which `|| 0` makes 0.
  return Math.max(+value * 1000 || Date.parse(value) - Date.now(), 0) || 0;
}

/** Adds an event, then trims the outbox to its caps: superseded cart snapshots go first (the
 * newest one still says what the cart is), then the oldest events. */
export function enqueue(box: Outbox, event: CartbackEvent): void {
  need(sizeOf(event) <= MAX_EVENT_BYTES, `event: over ${MAX_EVENT_BYTES} bytes`);
  const events = box.events;
  events.push(event);
  let dropped = 0;
  // The outbox's JSON: its events, a comma between each two, and the brackets.
  while (events.length > MAX_OUTBOX_EVENTS || events.reduce((n, e) => n + sizeOf(e) + 1, 1) > MAX_OUTBOX_BYTES) {
    const superseded = events.findIndex((e, i) => e.type === "cart" && events.some((l, j) => j > i && l.type === "cart"));
    events.splice(Math.max(superseded, 0), 1);
    dropped++;
  }
  if (dropped) warn("outbox full, dropped", dropped);
}

/** An event as a caller makes it: the outbox gives it its id and time. */
export type NewEvent = CartbackEvent extends infer E ? (E extends CartbackEvent ? Omit<E, "id" | "at"> : never) : never;

/**
 * Records `event` in the saved outbox, unless the shopper said no (`consent(false)`) or Global
 * Privacy Control is on (`gpc`, when the site honours it): the one rule for what is recorded, for
 * the core's calls and for the platform adapters' `ref` events alike. The recorder is made once per
 * page (GPC does not change while it is open); call it inside `transact`.
 *
 * @example
 * const emit = emitter(gpcOn());
 * await transact((s) => emit(s, { type: "ref", platform: "shopify", ref: "c1-7a2abe82" }));
 */
export const emitter =
  (gpc: unknown) =>
  (s: State, event: NewEvent): void => {
    if (!gpc && s.consent !== false) enqueue(s.outbox, { id: randomId(), at: Date.now(), ...event } as CartbackEvent);
  };

/** The longest run of events, from the oldest, that fits one request. */
export function pack(events: CartbackEvent[], budget = MAX_BODY_BYTES): CartbackEvent[] {
  let bytes = 192; // the envelope: {"aid":…,"sentAt":…,"events":[…],"consent":…,"locale":…,"timeZone":…}
  const batch: CartbackEvent[] = [];
  for (const event of events) {
    bytes += sizeOf(event) + 1;
    if (bytes > budget || batch.length === MAX_BATCH_EVENTS) break;
    batch.push(event);
  }
  return batch;
}

/**
 * Sends the saved outbox to `url` and keeps it in step: batches in order, one tab at a time,
 * retries with backoff, and a last keep-alive send when the page is hidden or closed.
 * Delivery is at least once; the collector stores each event id once. Nothing goes while
 * `may` says no (consent not given): events wait in the outbox.
 */
export function createSender(
  url: string,
  may: (state: State) => unknown = () => 1,
  locale: (state: State) => string = () => "",
  signal?: AbortSignal,
) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let hiding = false;

  const schedule = (ms: number): void => {
    clearTimeout(timer);
    timer = setTimeout(flush, ms);
  };

  async function send(state: State, events: CartbackEvent[], keepalive?: boolean): Promise<void> {
    let retry: number | undefined;
    try {
      const body = {
        aid: state.aid,
        sentAt: Date.now(),
        events,
        consent: state.consent,
        // Hints the collector reads if it can (a page's odd lang="" must not cost the batch).
        locale: locale(state).slice(0, 64),
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      };
      // A string body goes as text/plain: a "simple" request, so no CORS preflight round trip.
      const res = await fetch(url, { method: "POST", body: JSON.stringify(body), keepalive });
      if (res.status === 408 || res.status === 429 || res.status > 499) retry = retryAfter(res);
      else if (!res.ok) warn("dropped, collector said", res.status, await res.text());
    } catch {
      retry = 0; // offline, collector unreachable, or the page went away mid-request
    }
    const sent = new Set(events.map((e) => e.id));
    await transact(({ outbox }) => {
      if (retry === undefined) {
        outbox.events = outbox.events.filter((e) => !sent.has(e.id));
        outbox.attempt = outbox.retryAt = 0;
      } else {
        outbox.retryAt = Date.now() + backoff(outbox.attempt++, retry);
      }
    });
  }

  async function drain(): Promise<void> {
    for (;;) {
      const state = await transact((s) => s);
      const { outbox } = state;
      if (!may(state)) return;
      const wait = outbox.retryAt - Date.now();
      if (wait > 0) return schedule(wait);
      const batch = pack(outbox.events);
      if (!batch.length) return;
      await send(state, batch);
    }
  }

  /**
   * Sends everything now, unless another tab already is or the collector asked us to wait. With
   * `wait` (the shop's `flush`, awaited before it leaves the page), after the tab sending now: it
   * resolves once this tab's events went, not on finding the outbox busy.
   */
  function flush(wait?: unknown): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const locks = navigator.locks;
    // Web Locks: one tab drains the shared outbox; a tab that finds it busy looks again later,
    // in case the busy one had already read the outbox before this tab's event landed.
    const run = locks
      ? locks.request("cartback-flush", { ifAvailable: !wait }, (lock) => (lock ? drain() : schedule(FLUSH_DELAY)))
      : drain();
    return run.then(() => undefined, warn);
  }

  // Reading IndexedDB is asynchronous and a closing page may not live to see the answer, so
  // the last send uses what this tab last saw. Events stay saved until the collector confirms
  // them: if this send dies with the page, the next page sends them again.
  function sendOnHide(): void {
    if (hiding || !known || !may(known) || known.outbox.retryAt > Date.now()) return;
    hiding = true;
    const batch = pack(known.outbox.events);
    if (batch.length) send(known, batch, true).catch(warn);
  }

  const on = (type: string, listener: () => void, target: EventTarget = window): void =>
    target.addEventListener(type, listener, { signal });
  on("pagehide", sendOnHide);
  on("pageshow", () => {
    hiding = false;
  });
  on("online", () => flush());
  on(
    "visibilitychange",
    () => {
      if (document.visibilityState === "hidden") return sendOnHide();
      hiding = false;
      flush();
    },
    document,
  );
  schedule(FLUSH_DELAY);

  return {
    flush,
    /** After a change: send within FLUSH_DELAY, without postponing a send already planned. */
    soon: (): void => {
      if (!timer) schedule(FLUSH_DELAY);
    },
  };
}
