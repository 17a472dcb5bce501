import { createStore, get } from "idb-keyval";
import { expect, it, vi } from "vitest";

// transact writes back only the keys its change changed: a read writes nothing, and a change of
// one key leaves the others (the replica, the outbox) as they were stored.
const load = () => import("./storage");

/** Every put on the state store, by key, from now on. */
function watchPuts() {
  const keys: unknown[] = [];
  const put = IDBObjectStore.prototype.put;
  vi.spyOn(IDBObjectStore.prototype, "put").mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    keys.push(key);
    return put.call(this, value, key);
  });
  return keys;
}

it("a read writes nothing; a change writes the keys it changed, and only those", async () => {
  const { transact } = await load();
  // The first transaction stores the fresh browser id and outbox.
  const first = watchPuts();
  const { aid } = await transact((s) => s);
  expect(first.sort()).toEqual(["aid", "outbox"]);
  vi.restoreAllMocks();

  await transact((s) => {
    s.cart = { currency: "EUR", lines: [{ id: "tea", name: "Tea", price: 450, quantity: 1 }], updatedAt: 1 };
    s.sync = { currency: "EUR", currencyAt: [0, 0, ""], lines: {} };
  });
  const puts = watchPuts();
  expect((await transact((s) => s)).aid).toBe(aid);
  expect(puts).toEqual([]);
  await transact((s) => {
    s.outbox.events.push({ type: "checkout", id: "e1", at: 2 } as never); // mutated in place: still a change
  });
  expect(puts).toEqual([1, "outbox"]); // the new event in its own record, and the outbox's version
  await transact((s) => {
    s.cart = undefined;
  });
  expect(puts).toEqual([1, "outbox", "cart"]);
  vi.restoreAllMocks();
  // A key that went reads back as absent, the others as they were.
  const store = createStore("cartback", "state");
  expect(await get("cart", store)).toBeUndefined();
  expect(await transact((s) => [s.cart, s.sync?.currency, s.outbox.events.length])).toEqual([undefined, "EUR", 1]);
});

// The outbox's events are stored one a record (number keys), so a change adds one record instead of
// rewriting the whole outbox; what follows holds the rules that shape must keep.

const event = (id: string) => ({ type: "checkout", id, at: 1 }) as never;

/** A tab: its own copy of the storage module (its own cache of the events), on the shared IndexedDB. */
async function tab() {
  vi.resetModules();
  return import("./storage");
}

it("with 300 events queued, a change stores its event and the outbox's version, and rewrites none of the others", async () => {
  const { transact } = await load();
  await transact((s) => {
    for (let i = 0; i < 300; i++) s.outbox.events.push(event(`e${i}`));
  });
  const puts = watchPuts();
  await transact((s) => {
    s.outbox.events.push(event("new"));
    s.cart = { currency: "EUR", lines: [], updatedAt: 1 };
  });
  expect(puts.sort()).toEqual([301, "cart", "outbox"]);
  expect((await transact((s) => s.outbox.events.map((e) => e.id))).at(-1)).toBe("new");
});

it("an outbox saved by the previous version (every event in one record) is moved to one record per event on first read, and sent", async () => {
  const { createStore, set, get, entries } = await import("idb-keyval");
  const store = createStore("cartback", "state");
  const old = [event("old-1"), event("old-2"), event("old-3")];
  await set("aid", "aid-from-before-the-upgrade", store);
  await set("outbox", { events: old, attempt: 2, retryAt: 0 }, store);
  const fetch = vi.fn(async (_url: string, _init: RequestInit) => new Response("{}", { status: 202 }));
  vi.stubGlobal("fetch", fetch);
  const { transact } = await load();
  const { createSender } = await import("./outbox");
  // A change right after the upgrade: its event goes after the old ones.
  await transact((s) => s.outbox.events.push(event("after")));
  expect(await get("outbox", store)).toEqual({ attempt: 2, retryAt: 0, v: expect.any(String), n: 5 });
  expect((await entries(store)).filter(([k]) => typeof k === "number").map(([, e]) => (e as { id: string }).id)).toEqual([
    "old-1",
    "old-2",
    "old-3",
    "after",
  ]);
  const listening = new AbortController();
  await createSender("https://collector.test/v1/events", undefined, undefined, listening.signal).flush();
  listening.abort();
  const body = JSON.parse(String(fetch.mock.calls[0]?.[1].body));
  expect(body.aid).toBe("aid-from-before-the-upgrade");
  expect(body.events.map((e: { id: string }) => e.id)).toEqual(["old-1", "old-2", "old-3", "after"]);
  expect(await transact((s) => s.outbox)).toEqual({ events: [], attempt: 0, retryAt: 0 });
});

// Two tabs (each with its own cache of the events) append and send at random moments, the way the
// sender does it: read a batch in one transaction, forget it in another once the collector took it;
// a tab may reload (its cache gone); the browser may hold an outbox of the previous format. However
// their transactions interleave, no event is lost or doubled, each tab's events stay in the order it
// made them, and every tab reads the same outbox.
it("two tabs appending and sending: nothing lost, nothing doubled, order kept, one outbox", async () => {
  const { IDBFactory } = await import("fake-indexeddb");
  const fc = await import("fast-check");
  const op = fc.record({
    tab: fc.integer({ min: 0, max: 1 }),
    kind: fc.constantFrom("append", "append", "send", "retry", "reload"),
    n: fc.integer({ min: 1, max: 4 }),
    together: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.array(op, { maxLength: 25 }), async (oldCount, ops) => {
      globalThis.indexedDB = new IDBFactory();
      if (oldCount) {
        const { createStore, set } = await import("idb-keyval");
        const old = Array.from({ length: oldCount }, (_, i) => event(`old-${i}`));
        await set("outbox", { events: old, attempt: 0, retryAt: 0 }, createStore("cartback", "state"));
      }
      const tabs = [await tab(), await tab()];
      const made: string[][] = [Array.from({ length: oldCount }, (_, i) => `old-${i}`), []];
      const delivered: string[] = [];
      let serial = 0;
      const run = async ({ tab: t, kind, n }: { tab: number; kind: string; n: number }) => {
        const storage = tabs[t] as Awaited<ReturnType<typeof tab>>;
        if (kind === "append") {
          const ids = Array.from({ length: n }, () => `t${t}-${serial++}`);
          (made[t] as string[]).push(...ids);
          await storage.transact((s) => {
            for (const id of ids) s.outbox.events.push(event(id));
          });
        } else if (kind === "send") {
          const batch = await storage.transact((s) => s.outbox.events.slice(0, n).map((e) => e.id));
          await new Promise((r) => setImmediate(r));
          delivered.push(...batch);
          const sent = new Set(batch);
          await storage.transact((s) => {
            s.outbox.events = s.outbox.events.filter((e) => !sent.has(e.id));
          });
        } else if (kind === "retry") await storage.transact((s) => s.outbox.attempt++);
        else tabs[t] = await tab();
      };
      // Consecutive ops marked `together` start at once; their transactions interleave as IndexedDB orders them.
      for (let i = 0; i < ops.length; ) {
        const group = [ops[i++]];
        while (i < ops.length && ops[i]?.together) group.push(ops[i++]);
        await Promise.all(group.map((o) => run(o as { tab: number; kind: string; n: number })));
      }
      const views = await Promise.all([...tabs, await tab()].map((s) => s.transact((x) => x.outbox.events.map((e) => e.id))));
      expect(views[0]).toEqual(views[1]);
      expect(views[0]).toEqual(views[2]);
      const left = views[0] as string[];
      expect(new Set(left).size).toBe(left.length);
      // Every event made is delivered (possibly twice: two tabs may send the same batch, which the
      // collector stores once, by id) or still waiting, never both, never neither.
      for (const id of made.flat()) expect(left.includes(id) !== delivered.includes(id), id).toBe(true);
      for (const mine of made) {
        const order = left.filter((id) => mine.includes(id));
        expect(order).toEqual(mine.filter((id) => order.includes(id)));
      }
    }),
    { numRuns: 60 },
  );
}, 60_000);
