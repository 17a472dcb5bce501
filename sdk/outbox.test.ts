import { beforeEach, describe, expect, it, vi } from "vitest";
import type { CartbackEvent } from "../protocol/types";
import { backoff, byteSize, enqueue, pack, retryAfter } from "./outbox";

const checkout = (i = 0): CartbackEvent => ({ id: `event-${String(i).padStart(12, "0")}`, at: 1_700_000_000_000 + i, type: "checkout" });
const cart = (i: number, name = "Tea"): CartbackEvent => ({
  id: `cart-${String(i).padStart(12, "0")}`,
  at: 1_700_000_000_000 + i,
  type: "cart",
  action: "add",
  cart: { currency: "EUR", lines: [{ id: "tea", name, price: 100, quantity: i + 1 }] },
});

describe("backoff", () => {
  it("doubles per attempt, with jitter between half and all of it", () => {
    expect(backoff(0, 0, () => 0)).toBe(500);
    expect(backoff(0, 0, () => 1)).toBe(1000);
    expect(backoff(3, 0, () => 1)).toBe(8000);
    expect(backoff(3, 0, () => 0)).toBe(4000);
  });

  it("is capped at five minutes", () => {
    expect(backoff(30, 0, () => 1)).toBe(300_000);
  });

  it("never retries sooner than Retry-After, honoured up to an hour", () => {
    expect(backoff(0, 120_000, () => 1)).toBe(120_000);
    expect(backoff(0, 10 * 3_600_000, () => 1)).toBe(3_600_000);
  });
});

describe("retryAfter", () => {
  const res = (value?: string) => new Response(null, { status: 429, headers: value ? { "retry-after": value } : {} });
  it("reads seconds and HTTP dates, and ignores nonsense", () => {
    expect(retryAfter(res("120"))).toBe(120_000);
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    expect(retryAfter(res(inAMinute))).toBeGreaterThan(58_000);
    expect(retryAfter(res())).toBe(0);
    expect(retryAfter(res("soon"))).toBe(0);
    expect(retryAfter(res("-5"))).toBe(0);
  });
});

describe("pack", () => {
  it("takes events oldest first, at most 50 per batch", () => {
    const events = Array.from({ length: 60 }, (_, i) => checkout(i));
    expect(pack(events).map((e) => e.id)).toEqual(events.slice(0, 50).map((e) => e.id));
  });

  it("keeps a batch within the byte budget", () => {
    const events = Array.from({ length: 10 }, (_, i) => cart(i, "x".repeat(150)));
    const batch = pack(events, 1000);
    const body = JSON.stringify({ aid: "a".repeat(22), sentAt: Date.now(), events: batch });
    expect(batch.length).toBeGreaterThan(0);
    expect(batch.length).toBeLessThan(10);
    expect(byteSize(body)).toBeLessThanOrEqual(1000);
  });
});

describe("enqueue", () => {
  beforeEach(() => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
  });

  it("refuses an event larger than 32 KiB", () => {
    const box = { events: [], attempt: 0, retryAt: 0 };
    expect(() => enqueue(box, cart(1, "x".repeat(40_000)))).toThrow("invalid event: over 32768 bytes");
    expect(box.events).toEqual([]);
  });

  it("when full, drops superseded cart snapshots before anything else, with one warning", () => {
    const events: CartbackEvent[] = [checkout(0)];
    for (let i = 1; i < 500; i++) events.push(cart(i));
    const box = { events, attempt: 0, retryAt: 0 };
    enqueue(box, checkout(999));
    expect(box.events).toHaveLength(500);
    expect(box.events[0]?.id).toBe(checkout(0).id); // the oldest, but not a cart snapshot
    expect(box.events.some((e) => e.id === cart(1).id)).toBe(false); // the oldest superseded snapshot
    expect(box.events.at(-1)?.id).toBe(checkout(999).id);
    expect(console.warn).toHaveBeenCalledTimes(1);
  });

  it("drops the oldest event when nothing is superseded", () => {
    const box = { events: Array.from({ length: 500 }, (_, i) => checkout(i)), attempt: 0, retryAt: 0 };
    enqueue(box, checkout(500));
    expect(box.events[0]?.id).toBe(checkout(1).id);
  });
});

describe("the sender", () => {
  const URL = "https://collector.test/v1/events?site=pk_test";
  let fetch: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 1_700_000_000_000 });
    fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    vi.spyOn(console, "warn").mockImplementation(() => {});
  });

  async function setup(events: CartbackEvent[]) {
    const storage = await import("./storage");
    const outbox = await import("./outbox");
    await storage.transact((s) => {
      for (const e of events) outbox.enqueue(s.outbox, e);
    });
    const listening = new AbortController();
    const created = outbox.createSender(URL, undefined, undefined, listening.signal);
    // Its listeners go with the signal, its timer with the fake clock's.
    const sender = { ...created, stop: () => (listening.abort(), vi.clearAllTimers()) };
    const saved = () => storage.transact((s) => s.outbox);
    return { sender, saved, storage };
  }

  const bodies = () => fetch.mock.calls.map(([, init]) => JSON.parse(init.body as string));

  it("sends a batch as a simple text/plain POST and forgets it once accepted", async () => {
    fetch.mockResolvedValue(new Response('{"accepted":2}', { status: 202 }));
    const { sender, saved } = await setup([checkout(1), checkout(2)]);
    await sender.flush();
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(url).toBe(URL);
    expect(init.method).toBe("POST");
    expect(typeof init.body).toBe("string"); // a string body is sent as text/plain: no preflight
    expect(init.headers).toBeUndefined();
    expect(bodies()[0]).toMatchObject({
      aid: expect.stringMatching(/^[\w-]{22}$/),
      sentAt: Date.now(),
      events: [checkout(1), checkout(2)],
    });
    expect((await saved()).events).toEqual([]);
    sender.stop();
  });

  it.each([408, 429, 500, 503])("keeps the events and backs off on %i", async (status) => {
    fetch.mockResolvedValue(new Response("{}", { status }));
    const { sender, saved } = await setup([checkout(1)]);
    await sender.flush();
    const box = await saved();
    expect(box.events).toHaveLength(1);
    expect(box.attempt).toBe(1);
    expect(box.retryAt - Date.now()).toBeGreaterThanOrEqual(500);
    expect(box.retryAt - Date.now()).toBeLessThanOrEqual(1000);
    // Before the retry time, nothing is sent.
    await sender.flush();
    expect(fetch).toHaveBeenCalledTimes(1);
    sender.stop();
  });

  it("keeps the events and backs off when the network fails", async () => {
    fetch.mockRejectedValue(new TypeError("Failed to fetch"));
    const { sender, saved } = await setup([checkout(1)]);
    await sender.flush();
    expect((await saved()).events).toHaveLength(1);
    expect((await saved()).attempt).toBe(1);
    sender.stop();
  });

  it("honours Retry-After", async () => {
    fetch.mockResolvedValue(new Response("{}", { status: 429, headers: { "retry-after": "120" } }));
    const { sender, saved } = await setup([checkout(1)]);
    await sender.flush();
    expect((await saved()).retryAt).toBeGreaterThanOrEqual(Date.now() + 120_000);
    sender.stop();
  });

  it("backs off exponentially, then sends once the time comes and resets", async () => {
    fetch.mockResolvedValue(new Response("{}", { status: 503 }));
    const { sender, saved } = await setup([checkout(1)]);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      await sender.flush();
      const { retryAt } = await saved();
      waits.push(retryAt - Date.now());
      vi.setSystemTime(retryAt);
    }
    expect(waits.map((w, i) => w >= 500 * 2 ** i && w <= 1000 * 2 ** i)).toEqual([true, true, true, true]);
    fetch.mockResolvedValue(new Response("{}", { status: 202 }));
    await sender.flush();
    expect(await saved()).toEqual({ events: [], attempt: 0, retryAt: 0 });
    expect(fetch).toHaveBeenCalledTimes(5);
    // Every attempt carried the same event id: the collector stores it once.
    expect(new Set(bodies().map((b) => b.events[0].id)).size).toBe(1);
    sender.stop();
  });

  it("drops a batch the collector refuses (other 4xx) with one console warning", async () => {
    fetch.mockResolvedValue(new Response('{"error":{"code":"invalid_batch"}}', { status: 422 }));
    const { sender, saved } = await setup([checkout(1), checkout(2)]);
    await sender.flush();
    expect((await saved()).events).toEqual([]);
    expect(console.warn).toHaveBeenCalledTimes(1);
    expect(String((console.warn as unknown as { mock: { calls: unknown[][] } }).mock.calls[0])).toContain("422");
    sender.stop();
  });

  it("sends a large outbox in several batches, in order", async () => {
    fetch.mockImplementation(async () => new Response("{}", { status: 202 }));
    const { sender, saved } = await setup(Array.from({ length: 120 }, (_, i) => checkout(i)));
    await sender.flush();
    expect(bodies().map((b) => b.events.length)).toEqual([50, 50, 20]);
    expect(bodies().flatMap((b) => b.events.map((e: CartbackEvent) => e.at))).toEqual(
      Array.from({ length: 120 }, (_, i) => checkout(i).at),
    );
    expect((await saved()).events).toEqual([]);
    sender.stop();
  });

  it("on page hide, sends what it knows at once with keepalive, and only once", async () => {
    let resolve: (r: Response) => void = () => {};
    fetch.mockReturnValue(new Promise<Response>((r) => (resolve = r)));
    const { sender, storage } = await setup([checkout(1)]);
    expect(storage.known?.outbox.events).toHaveLength(1);
    window.dispatchEvent(new Event("pagehide"));
    window.dispatchEvent(new Event("pagehide"));
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch.mock.calls[0]?.[1]).toMatchObject({ keepalive: true });
    resolve(new Response("{}", { status: 202 }));
    sender.stop();
  });

  it("lets only one tab send at a time", async () => {
    fetch.mockResolvedValue(new Response("{}", { status: 202 }));
    const held: string[] = [];
    const locks = {
      request: vi.fn(async (name: string, _options: unknown, callback: (lock: unknown) => unknown) => {
        if (held.includes(name)) return callback(null);
        held.push(name);
        try {
          return await callback({ name });
        } finally {
          held.splice(held.indexOf(name), 1);
        }
      }),
    };
    vi.stubGlobal("navigator", { ...navigator, locks });
    const { sender } = await setup([checkout(1)]);
    held.push("cartback-flush"); // another tab holds the lock
    await sender.flush();
    expect(fetch).not.toHaveBeenCalled();
    held.length = 0;
    await sender.flush();
    expect(fetch).toHaveBeenCalledTimes(1);
    sender.stop();
  });

  it("the shop's flush, while another tab sends, resolves only once its events went", async () => {
    fetch.mockResolvedValue(new Response("{}", { status: 202 }));
    // Web Locks as the browser grants them: one holder, the others queued unless `ifAvailable`.
    let release: () => void = () => {};
    let busy: Promise<void> | undefined = new Promise<void>((r) => {
      release = () => {
        busy = undefined;
        r();
      };
    });
    const locks = {
      request: vi.fn(async (_name: string, options: { ifAvailable?: boolean }, callback: (lock: unknown) => unknown) => {
        if (busy && options.ifAvailable) return callback(null);
        while (busy) await busy;
        return callback({});
      }),
    };
    vi.stubGlobal("navigator", { ...navigator, locks });
    const { sender } = await setup([checkout(1)]);
    let done = false;
    const flushed = sender.flush(true).then(() => (done = true));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    expect(fetch).not.toHaveBeenCalled();
    release(); // the other tab's send ended
    await flushed;
    expect(fetch).toHaveBeenCalledTimes(1);
    sender.stop();
  });
});
