import { expect, it, vi } from "vitest";
import { emptySync, record } from "../../protocol/merge";
import type { Script } from "../extras";

it("tells the connect file (if any) when it saved another device's cart", async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  const { createClient } = await import("../client");
  const { transact } = await import("../storage");
  const api = createClient({ site: "pk_test", endpoint: "https://collector.test", currency: "EUR" });
  // The page's `cartback`, as the core sets it.
  window.cartback = ((name: keyof typeof api, ...args: unknown[]) => (api[name] as (...a: unknown[]) => unknown)(...args)) as never;
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
  const opened: string[] = [];
  vi.stubGlobal(
    "WebSocket",
    class {
      constructor(url: string) {
        opened.push(url);
      }
      send() {}
      close() {}
    },
  );
  const heard = new Promise((resolve) => addEventListener("cartback:sync", (e) => resolve((e as CustomEvent).detail), { once: true }));
  // The file as the core loads it: its data- attributes and the core's transact on its element.
  const script = document.createElement("script") as Script;
  script.src = "https://collector.test/cartback-sync.js";
  script.dataset.site = "pk_test";
  script.transact = transact;
  Object.defineProperty(document, "currentScript", { value: script, configurable: true });
  await import("./entry");
  Object.defineProperty(document, "currentScript", { value: null, configurable: true });
  expect(await heard).toEqual({ currency: "EUR", lines: [line] });
  expect(await api.getCart()).toEqual({ currency: "EUR", lines: [line] });
  // The hello went with the token in the body, never in a URL; the socket's URL has the account's id only.
  expect(posted[0]).toMatchObject({ t: "hello", token: "v1.payload.signature", w: 0 });
  await vi.waitFor(() => expect(opened).toEqual(["wss://collector.test/v1/sync/ws?site=pk_test&account=account-id"]));
  expect(opened[0]).not.toContain("v1.payload");
});

it("with its socket live, an idle tab sends a keep-alive every 45 s and nothing else", async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  const { createClient } = await import("../client");
  const { transact } = await import("../storage");
  const api = createClient({ site: "pk_test", endpoint: "https://collector.test", currency: "EUR" });
  window.cartback = ((name: keyof typeof api, ...args: unknown[]) => (api[name] as (...a: unknown[]) => unknown)(...args)) as never;
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
  let socket: { onopen?: () => void; onmessage?: (e: { data: string }) => void } | undefined;
  vi.stubGlobal(
    "WebSocket",
    class {
      onopen?: () => void;
      onmessage?: (e: { data: string }) => void;
      constructor() {
        socket = this;
      }
      send(text: string) {
        sent.push(text);
      }
      close() {}
    },
  );
  const script = document.createElement("script") as Script;
  script.src = "https://collector.test/cartback-sync.js";
  script.dataset.site = "pk_test";
  script.transact = transact;
  Object.defineProperty(document, "currentScript", { value: script, configurable: true });
  await import("./entry");
  Object.defineProperty(document, "currentScript", { value: null, configurable: true });
  await vi.waitFor(() => expect(socket).toBeDefined());
  socket?.onopen?.();
  await vi.waitFor(() => expect(sent.map((m) => JSON.parse(m).t)).toEqual(["hello"]));
  socket?.onmessage?.({ data: JSON.stringify({ t: "d", s: 0, k: [Date.now(), 0, "x"], account: "account-id" }) });
  // Taken in (the clock reading it carried saved with the replica): the socket is live.
  await vi.waitFor(async () => expect(((await transact((s) => s.sync)) as { k?: string[] } | undefined)?.k?.[2]).toBe("x"));
  const [syncRequests, frames] = [requests.filter((u) => u.includes("/v1/sync")).length, sent.length];
  // Three minutes idle: four keep-alives (one every third 15 s beat), no request, no other frame.
  await vi.advanceTimersByTimeAsync(180_000);
  expect(sent.slice(frames)).toEqual(["ping", "ping", "ping", "ping"]);
  expect(requests.filter((u) => u.includes("/v1/sync")).length).toBe(syncRequests);
});
