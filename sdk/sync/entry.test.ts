import { afterEach, expect, it, vi } from "vitest";
import { emptySync, record } from "../../protocol/merge";
import type { CartbackEvent } from "../../protocol/types";
import type { Script } from "../extras";

// Each test's sync file stops when it ends (as on a sign-out): its fallback's rounds, every second
// without a socket, must not reach the next test's stubbed fetch.
afterEach(() => {
  dispatchEvent(new CustomEvent("cartback:signout", { detail: { token: "t", aid: "a" } }));
});

/** The core's client, fresh, and the page's `cartback` as the core sets it. */
async function pageClient() {
  const { createClient } = await import("../client");
  const { transact } = await import("../storage");
  const { identifyShopper, signOut } = await import("../identify");
  const { purchase } = await import("../purchase");
  // With the code of its lazy files at hand, as once they loaded.
  const api = createClient({ site: "pk_test", endpoint: "https://collector.test", currency: "EUR" }, async () => ({}), {
    identify: identifyShopper,
    signOut,
    purchase,
  });
  window.cartback = ((name: keyof typeof api, ...args: unknown[]) => (api[name] as (...a: unknown[]) => unknown)(...args)) as never;
  return { api, transact };
}

/** The sync file as the core loads it: its data- attributes, the core's transact and emit on its element. */
async function loadSyncFile(transact: Script["transact"]): Promise<void> {
  const script = document.createElement("script") as Script;
  script.src = "https://collector.test/cartback-sync.js";
  script.dataset.site = "pk_test";
  script.transact = transact;
  script.emit = (await import("../outbox")).emitter(false);
  Object.defineProperty(document, "currentScript", { value: script, configurable: true });
  await import("./entry");
  Object.defineProperty(document, "currentScript", { value: null, configurable: true });
}

/** The WebSocket the sync file opens, as the test drives it: each one made (its URL), the last of
 * them, and every frame sent, to `sent`. None opens until the test calls its `onopen`. */
function fakeSockets(sent: (text: string) => void = () => {}) {
  type Fake = { url: string; onopen?: () => void; onmessage?: (e: { data: string }) => void };
  const made: Fake[] = [];
  vi.stubGlobal(
    "WebSocket",
    class {
      onopen?: () => void;
      onmessage?: (e: { data: string }) => void;
      constructor(readonly url: string) {
        made.push(this);
      }
      send(text: string) {
        sent(text);
      }
      close() {}
    },
  );
  return { opened: () => made.map((m) => m.url), last: () => made.at(-1) };
}

it("tells the connect file (if any) when it saved another device's cart", async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  const { api, transact } = await pageClient();
  await api.identify({ userId: "u-1", token: "v1.payload.signature" });
  // The account's cart, as the collector answers it: a line another device added.
  const line = { id: "tea", name: "Green tea", price: 1250, quantity: 1 };
  const account = record(emptySync("EUR"), { currency: "EUR", lines: [line] }, () => [Date.now(), 0, "other-device"]);
  // The account's answer to the hello sent over HTTP (the fallback): the whole cart, and the account's id.
  const posted: unknown[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => {
      if (!String(url).includes("/v1/sync")) return new Response("{}", { status: 202 });
      posted.push(JSON.parse(String(init?.body)));
      return Response.json({ t: "d", d: account, s: 3, k: [0, 0, ""], full: true, account: "account-id" });
    }),
  );
  // The socket it opens next: no collector here, it never opens (the fallback keeps the cart).
  const sockets = fakeSockets();
  const heard = new Promise((resolve) => addEventListener("cartback:sync", (e) => resolve((e as CustomEvent).detail), { once: true }));
  await loadSyncFile(transact);
  expect(await heard).toEqual({ currency: "EUR", lines: [line] });
  expect(await api.getCart()).toEqual({ currency: "EUR", lines: [line] });
  // The hello went with the token in the body, never in a URL; the socket's URL has the account's id only.
  expect(posted[0]).toMatchObject({ t: "hello", token: "v1.payload.signature", w: 0 });
  await vi.waitFor(() => expect(sockets.opened()).toEqual(["wss://collector.test/v1/sync/ws?site=pk_test&account=account-id"]));
  expect(sockets.opened()[0]).not.toContain("v1.payload");
});

it("with its socket live, an idle tab sends a keep-alive every 45 s and nothing else", async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  const { api, transact } = await pageClient();
  await api.identify({ userId: "u-1", token: "v1.payload.signature" });
  const requests: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) => {
      requests.push(String(url));
      if (!String(url).includes("/v1/sync")) return new Response("{}", { status: 202 });
      return Response.json({ t: "d", d: emptySync("EUR"), s: 0, k: [0, 0, ""], full: true, account: "account-id" });
    }),
  );
  // A socket that opens and hears the hello's answer, as the collector's would.
  const sent: string[] = [];
  const sockets = fakeSockets((text) => sent.push(text));
  await loadSyncFile(transact);
  await vi.waitFor(() => expect(sockets.last()).toBeDefined());
  sockets.last()?.onopen?.();
  await vi.waitFor(() => expect(sent.map((m) => JSON.parse(m).t)).toEqual(["hello"]));
  sockets.last()?.onmessage?.({ data: JSON.stringify({ t: "d", s: 0, k: [Date.now(), 0, "x"], account: "account-id" }) });
  // Taken in (the clock reading it carried saved with the replica): the socket is live.
  await vi.waitFor(async () => expect(((await transact((s) => s.sync)) as { k?: string[] } | undefined)?.k?.[2]).toBe("x"));
  const [syncRequests, frames] = [requests.filter((u) => u.includes("/v1/sync")).length, sent.length];
  // Three minutes idle: four keep-alives (one every third 15 s beat), no request, no other frame.
  await vi.advanceTimersByTimeAsync(180_000);
  expect(sent.slice(frames)).toEqual(["ping", "ping", "ping", "ping"]);
  expect(requests.filter((u) => u.includes("/v1/sync")).length).toBe(syncRequests);
});

// Two actors in one tab: the shop changing its cart, and the account's message being taken in.
// Whenever the shop's change lands, it survives, and so does every other device's change; this
// device sends up only its own. (Before the merge and the shown cart shared one transaction, a shop
// change landing between them was overwritten, or its stale cart undid the others' edits.)
it("a shop change while another device's edits are taken in: nothing lost, nothing undone, only its own change sent", async () => {
  const { IDBFactory } = await import("fake-indexeddb");
  const fc = await import("fast-check");
  const tea = { id: "tea", name: "Green tea", price: 1250, quantity: 1 };
  const mug = { id: "mug", name: "Mug", price: 1200, quantity: 1 };
  const kettle = { id: "kettle", name: "Kettle", price: 4500, quantity: 1 };
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), async (heardAfter, shopAfter) => {
      globalThis.indexedDB = new IDBFactory();
      vi.resetModules();
      const { api, transact } = await pageClient();
      const { changedBy, record: recordCart } = await import("../../protocol/merge");
      await api.identify({ userId: "u-1", token: "v1.payload.signature" });
      // The account: tea, added by another device; later that device made it 4 and added a mug.
      const t0 = Date.now() - 60_000;
      const account = recordCart(emptySync("EUR"), { currency: "EUR", lines: [tea] }, () => [t0, 0, "other"]);
      let n = 0;
      const later = recordCart(account, { currency: "EUR", lines: [{ ...tea, quantity: 4 }, mug] }, () => [t0 + 1000, n++, "other"]);
      const pushed: { d: { lines: Record<string, unknown> } }[] = [];
      const hello = { t: "d", d: account, s: 1, k: [t0, 5, "account"], full: true, account: "account-id" };
      const events: CartbackEvent[] = [];
      vi.stubGlobal(
        "fetch",
        vi.fn(async (url: string, init?: RequestInit) => {
          if (String(url).includes("/v1/sync")) return Response.json(hello);
          events.push(...JSON.parse(String(init?.body)).events);
          return new Response("{}", { status: 202 });
        }),
      );
      const sockets = fakeSockets((text) => text !== "ping" && pushed.push(JSON.parse(text)));
      await loadSyncFile(transact);
      await vi.waitFor(() => expect(sockets.last()).toBeDefined());
      sockets.last()?.onopen?.();
      sockets.last()?.onmessage?.({ data: JSON.stringify(hello) });
      await vi.waitFor(async () => expect(await api.getCart()).toEqual({ currency: "EUR", lines: [tea] }));
      // The other device's edits arrive, and the shop adds a kettle, each after some turns of the event loop.
      const news = { t: "d", d: { ...later, lines: { tea: later.lines.tea, mug: later.lines.mug } }, s: 2 };
      const turns = async (count: number) => {
        for (let i = 0; i < count; i++) await new Promise((r) => setImmediate(r));
      };
      await Promise.all([
        turns(heardAfter).then(() => sockets.last()?.onmessage?.({ data: JSON.stringify(news) })),
        turns(shopAfter).then(() => api.addLine(kettle)),
      ]);
      await vi.waitFor(async () => {
        const cart = await api.getCart();
        expect(Object.fromEntries(cart?.lines.map((l) => [l.id, l.quantity]) ?? [])).toEqual({ tea: 4, mug: 1, kettle: 1 });
      });
      // Only the kettle is this device's change (once its own step ran), and the collector hears of the cart as it is.
      await vi.waitFor(async () => {
        const { sync, aid } = await transact((s) => s);
        expect(Object.keys(changedBy(sync as never, aid, [t0, 5, "account"]).lines)).toEqual(["kettle"]);
      });
      const { outbox } = await transact((s) => s);
      const last = [...events, ...outbox.events].filter((e) => e.type === "cart").at(-1);
      expect(last?.type === "cart" && Object.fromEntries(last.cart.lines.map((l) => [l.id, l.quantity]))).toEqual({
        tea: 4,
        mug: 1,
        kettle: 1,
      });
      for (const p of pushed) expect(Object.keys(p.d.lines)).not.toContain("mug");
      // This run's sync file stops (as on a sign-out), so no later run's socket is its.
      dispatchEvent(new CustomEvent("cartback:signout", { detail: { token: "t", aid: "a" } }));
    }),
    { numRuns: 30 },
  );
}, 60_000);

it("a purchase made before the sync file loaded still goes with its first hello, and only until the account has it", async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  const { api, transact } = await pageClient();
  await api.setCart({ currency: "EUR", lines: [{ id: "tea", name: "Green tea", price: 1250, quantity: 1 }] });
  // Signed in and paid at once: the sync file is still loading (the core only asked for it).
  await api.identify({ userId: "u-1", token: "v1.payload.signature" });
  await api.purchase({ orderId: "o-1", total: 1250 });
  const paidAt = Date.now();
  const posted: { b?: number }[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => {
      if (!String(url).includes("/v1/sync")) return new Response("{}", { status: 202 });
      posted.push(JSON.parse(String(init?.body)));
      return Response.json({ t: "d", d: emptySync("EUR"), s: 1, k: [Date.now(), 0, "x"], full: true });
    }),
  );
  fakeSockets();
  await loadSyncFile(transact);
  await vi.waitFor(() => expect(posted.length).toBeGreaterThan(0));
  expect(posted[0]?.b).toBe(paidAt);
  // Answered: the account dropped what it held from before then; the next hello says it no more.
  await vi.waitFor(async () => expect(await transact((s) => s.paid)).toBeUndefined());
  const before = posted.length;
  await vi.advanceTimersByTimeAsync(15_000);
  await vi.waitFor(() => expect(posted.length).toBeGreaterThan(before));
  expect(posted.at(-1)?.b).toBeUndefined();
});

it("an answer on its way when the shopper paid does not put the bought lines back in the cart", async () => {
  const { api, transact } = await pageClient();
  await api.identify({ userId: "u-1", token: "v1.payload.signature" });
  // The laptop's line in the account, from before the order.
  const kettle = { id: "kettle", name: "Kettle", price: 4500, quantity: 1 };
  const account = record(emptySync("EUR"), { currency: "EUR", lines: [kettle] }, () => [Date.now() - 60_000, 0, "laptop"]);
  let answer: (r: Response) => void = () => {};
  const posted: unknown[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => {
      if (!String(url).includes("/v1/sync")) return new Response("{}", { status: 202 });
      posted.push(JSON.parse(String(init?.body)));
      // The first round's answer waits until the shopper has paid; later ones come at once.
      if (posted.length > 1) return Response.json({ t: "d", d: account, s: 1, k: [Date.now(), 0, "x"], full: true });
      return new Promise<Response>((r) => {
        answer = r;
      });
    }),
  );
  fakeSockets();
  await loadSyncFile(transact);
  await vi.waitFor(() => expect(posted).toHaveLength(1));
  await api.purchase({ orderId: "o-1", total: 4500 });
  answer(Response.json({ t: "d", d: account, s: 1, k: [Date.now(), 0, "x"], full: true, account: "account-id" }));
  await vi.waitFor(async () => expect((await transact((s) => s.sync))?.lines.kettle?.line).toBeUndefined());
  expect((await api.getCart())?.lines ?? []).toEqual([]);
});
