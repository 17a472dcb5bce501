import { beforeEach, describe, expect, it, vi } from "vitest";
import type { CartEvent } from "../protocol/types";
import type { Script } from "./extras";

type Queue = ((...args: unknown[]) => unknown) & { q?: unknown[] };
const page = window as unknown as { cartback?: Queue };
/** The page's `cartback` as it is now (TypeScript cannot see the script tag replace it). */
const cartback = (): Queue => page.cartback as Queue;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response("{}", { status: 202 })),
  );
});

/** The snippet's stub, then the script tag "loading" with these data- attributes. */
async function loadTag(attributes: Record<string, string>, before: (stub: (...args: unknown[]) => void) => void = () => {}) {
  // The stub as the README snippet writes it.
  page.cartback =
    page.cartback ||
    function () {
      const stub = page.cartback as Queue;
      stub.q = stub.q || [];
      // biome-ignore lint/complexity/noArguments: the snippet's stub keeps \`arguments\` as it is
      stub.q.push(arguments);
    };
  before(page.cartback);
  const script = document.createElement("script");
  script.src = "https://collector.test/cartback.js";
  for (const [k, v] of Object.entries(attributes)) script.setAttribute(`data-${k}`, v);
  Object.defineProperty(document, "currentScript", { value: script, configurable: true });
  await import("./tag");
  Object.defineProperty(document, "currentScript", { value: null, configurable: true });
}

const outbox = async () => (await import("./storage")).transact((s) => s.outbox.events);

it("replays calls queued before the script loaded, in order, then takes calls directly", async () => {
  page.cartback = undefined;
  await loadTag({ site: "pk_test", currency: "EUR" }, (cartback) => {
    cartback("addLine", { id: "a", name: "A", price: 100, quantity: 1 });
    cartback("addLine", { id: "b", name: "B", price: 200, quantity: 1 });
    cartback("updateLine", "a", { quantity: 3 });
    cartback("removeLine", "b");
  });
  const cartback = page.cartback as unknown as (...args: unknown[]) => Promise<unknown>;
  await cartback("addLine", { id: "c", name: "C", price: 300, quantity: 1 });
  const cart = await cartback("getCart");
  expect(cart).toEqual({
    currency: "EUR",
    lines: [
      { id: "a", name: "A", price: 100, quantity: 3 },
      { id: "c", name: "C", price: 300, quantity: 1 },
    ],
  });
  expect(((await outbox()) as CartEvent[]).map((e) => e.action)).toEqual(["add", "add", "update", "remove", "add"]);
});

it("sends to the script's own origin unless data-endpoint says otherwise", async () => {
  page.cartback = undefined;
  await loadTag({ site: "pk_test", currency: "EUR" });
  await cartback()("addLine", { id: "a", name: "A", price: 100, quantity: 1 });
  await cartback()("flush");
  expect(vi.mocked(fetch).mock.calls[0]?.[0]).toBe("https://collector.test/v1/events?site=pk_test");
});

it("never throws into the page: unknown commands and bad calls only warn", async () => {
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  page.cartback = undefined;
  await loadTag({ site: "pk_test" });
  const cartback = page.cartback as unknown as (...args: unknown[]) => unknown;
  expect(() => cartback("fly")).not.toThrow();
  expect(() => cartback("constructor")).not.toThrow();
  expect(() => cartback("addLine", null)).not.toThrow();
  await expect(cartback("updateLine", "missing", {})).resolves.toBeUndefined();
  expect(warn.mock.calls.length).toBeGreaterThanOrEqual(4);
});

it("warns about a missing data-site but still keeps the cart", async () => {
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  page.cartback = undefined;
  await loadTag({ currency: "EUR" });
  expect(String(warn.mock.calls[0])).toContain("data-site");
  await cartback()("addLine", { id: "a", name: "A", price: 100, quantity: 1 });
  expect(await cartback()("getCart")).toMatchObject({ lines: [{ id: "a" }] });
});

it("loads the sync file for a signed-in shopper, with the tag's data- attributes and the core's transact", async () => {
  // Kept out of the document: happy-dom does not load scripts.
  const append = vi.spyOn(document.head, "append").mockImplementation(() => {});
  page.cartback = undefined;
  await loadTag({ site: "pk_test", currency: "EUR" });
  const identified = cartback()("identify", { userId: "u-1", token: "v1.payload.signature" });
  // What `identify` does comes in its own file (sdk/identify), which the core loads on this first call.
  const appended = () => append.mock.calls.some(([node]) => (node as HTMLScriptElement).src.endsWith("/cartback-identify.js"));
  for (let i = 0; i < 200 && !appended(); i++) await new Promise((r) => setImmediate(r));
  await loadExtra(append, "identify", () => import("./identify/entry"));
  await identified;
  const sync = append.mock.calls.map(([node]) => node as HTMLScriptElement).find((s) => s.src.endsWith("/cartback-sync.js"));
  expect(sync?.src).toBe("https://collector.test/cartback-sync.js");
  expect(sync?.dataset.site).toBe("pk_test");
  // The one writer of the saved state: the sync file reads and writes it through the core's transact.
  const { transact } = await import("./storage");
  expect((sync as unknown as { transact: unknown }).transact).toBe(transact);
});

/** An extra file the core appended, "loaded" (happy-dom runs no scripts). */
async function loadExtra(append: { mock: { calls: unknown[][] } }, name: string, entry: () => Promise<unknown>): Promise<Script> {
  const file = append.mock.calls.map(([node]) => node as Script).find((s) => s.src.endsWith(`/cartback-${name}.js`));
  Object.defineProperty(document, "currentScript", { value: file, configurable: true });
  await entry();
  Object.defineProperty(document, "currentScript", { value: null, configurable: true });
  return file as Script;
}

describe("moment", () => {
  it("a shop's own moment loads the checkout file, which records it (and those held before it loaded) in order; connect's calls stay for connect", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const append = vi.spyOn(document.head, "append").mockImplementation(() => {});
    page.cartback = undefined;
    await loadTag({ site: "pk_test", currency: "EUR" }, (cartback) => cartback("moment", "question", { code: "returns" }));
    cartback()("moment", "payment_failed", { code: "card_declined" });
    cartback()("moment", "not_a_kind");
    cartback()("changed"); // connect's, not the checkout file's
    expect(await outbox()).toEqual([]);
    const file = await loadExtra(append, "checkout", () => import("./checkout/entry"));
    expect(file.src).toBe("https://collector.test/cartback-checkout.js");
    // Taken, except connect's call, which waits for its own file.
    expect([...file.held]).toEqual([["changed"]]);
    // The page's first moment counts it as a checkout (once a page visit).
    await vi.waitFor(async () => expect(await outbox()).toHaveLength(3));
    cartback()("moment", "coupon_failed", { code: "EXPIRED" }); // once loaded, as it comes
    await vi.waitFor(async () => expect(await outbox()).toHaveLength(4));
    expect((await outbox()).map((e) => (e.type === "moment" ? [e.kind, e.code] : e.type))).toEqual([
      "checkout",
      ["question", "returns"],
      ["payment_failed", "card_declined"],
      ["coupon_failed", "EXPIRED"],
    ]);
    expect(warn.mock.calls.map(String)).toContainEqual(expect.stringContaining("invalid moment kind"));
    // Sent within a second, as one request.
    await vi.advanceTimersByTimeAsync(1100);
    await vi.waitFor(() => expect(fetch).toHaveBeenCalled());
    const bodies = vi.mocked(fetch).mock.calls.map(([, init]) => JSON.parse(String(init?.body)));
    // (At least once: happy-dom has no Web Locks, so two drains may send the same ids; the collector keeps one.)
    const sent = new Map(bodies.flatMap((b) => b.events.map((e: { id: string; type: string }) => [e.id, e.type])));
    expect([...sent.values()]).toEqual(["checkout", "moment", "moment", "moment"]);
    expect(bodies.at(-1).timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
});

describe("checkout", () => {
  const appended = (append: { mock: { calls: unknown[][] } }) =>
    append.mock.calls.map(([node]) => node as Script).find((s) => s.src.endsWith("/cartback-checkout.js"));
  const until = async (ok: () => unknown) => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setImmediate(r));
  };

  it("the page's checkout() and its moments record one checkout event a page load (a GA4 shop's begin_checkout, then its steps)", async () => {
    const append = vi.spyOn(document.head, "append").mockImplementation(() => {});
    page.cartback = undefined;
    await loadTag({ site: "pk_test", currency: "EUR" });
    const checkedOut = cartback()("checkout");
    await until(() => appended(append));
    await loadExtra(append, "checkout", () => import("./checkout/entry"));
    await checkedOut;
    await cartback()("moment", "step", { code: "shipping" });
    await cartback()("moment", "step", { code: "payment" });
    const kinds = async () => (await outbox()).map((e) => (e.type === "moment" ? e.code : e.type));
    await vi.waitFor(async () => expect(await kinds()).toContain("payment"));
    expect(await kinds()).toEqual(["checkout", "shipping", "payment"]);
  });

  it("a checkout file that cannot load refuses the page's checkout() with a warning; the call does not wait forever", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const append = vi.spyOn(document.head, "append").mockImplementation(() => {});
    page.cartback = undefined;
    await loadTag({ site: "pk_test", currency: "EUR" });
    const checkedOut = cartback()("checkout");
    await until(() => appended(append));
    appended(append)?.onerror?.(new Event("error"));
    await expect(checkedOut).resolves.toBeUndefined();
    expect(warn.mock.calls.map(String)).toContainEqual(expect.stringContaining("needs cartback-checkout.js"));
    expect(await outbox()).toEqual([]);
  });
});

describe("calls whose code is in a lazy file", () => {
  const appended = (append: { mock: { calls: unknown[][] } }, name: string) =>
    append.mock.calls.map(([node]) => node as Script).find((s) => s.src.endsWith(`/cartback-${name}.js`));
  const until = async (ok: () => unknown) => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setImmediate(r));
  };

  it("a line with data loads the checks of line data (cartback-data.js) and is saved once they are here, in call order; bad data still refused", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const append = vi.spyOn(document.head, "append").mockImplementation(() => {});
    page.cartback = undefined;
    await loadTag({ site: "pk_test", currency: "EUR" });
    await cartback()("addLine", { id: "a", name: "A", price: 100, quantity: 1 });
    expect(appended(append, "data")).toBeUndefined(); // no data, no file
    const added = cartback()("addLine", { id: "b", name: "B", price: 200, quantity: 1, data: { size: "M", color: "blue" } });
    const after = cartback()("updateLine", "a", { quantity: 2 });
    await until(() => appended(append, "data"));
    await loadExtra(append, "data", () => import("./data/entry"));
    await added;
    await after;
    expect(await cartback()("getCart")).toEqual({
      currency: "EUR",
      lines: [
        { id: "a", name: "A", price: 100, quantity: 2 },
        { id: "b", name: "B", price: 200, quantity: 1, data: { color: "blue", size: "M" } },
      ],
    });
    await cartback()("updateLine", "b", { data: { size: { eu: 42 } } });
    expect(warn.mock.calls.map(String)).toContainEqual(expect.stringContaining("invalid line.data"));
    expect(((await outbox()) as CartEvent[]).map((e) => e.action)).toEqual(["add", "add", "update"]);
  });

  it("a lazy file that cannot load refuses its call with a warning, and the calls after it go on", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const append = vi.spyOn(document.head, "append").mockImplementation(() => {});
    page.cartback = undefined;
    await loadTag({ site: "pk_test", currency: "EUR" });
    const added = cartback()("addLine", { id: "b", name: "B", price: 200, quantity: 1, data: { size: "M" } });
    const bought = cartback()("purchase", { orderId: "o-1", total: 200 });
    const after = cartback()("addLine", { id: "a", name: "A", price: 100, quantity: 1 });
    await until(() => appended(append, "data"));
    appended(append, "data")?.onerror?.(new Event("error"));
    await until(() => appended(append, "purchase"));
    appended(append, "purchase")?.onerror?.(new Event("error"));
    await Promise.all([added, bought, after]);
    expect(warn.mock.calls.map(String)).toEqual(
      expect.arrayContaining([expect.stringContaining("needs cartback-data.js"), expect.stringContaining("needs cartback-purchase.js")]),
    );
    expect(await cartback()("getCart")).toEqual({ currency: "EUR", lines: [{ id: "a", name: "A", price: 100, quantity: 1 }] });
  });

  it("a page opened from a recovery link: the restore file tells the page's onRestore listeners, those made before it loaded and a late one", async () => {
    const append = vi.spyOn(document.head, "append").mockImplementation(() => {});
    const cart = { currency: "EUR", lines: [{ id: "a", name: "A", price: 100, quantity: 1 }] };
    vi.mocked(fetch).mockImplementation(async (url) =>
      String(url).includes("/v1/restore") ? Response.json({ status: "restored", cart }) : new Response("{}", { status: 202 }),
    );
    history.replaceState(null, "", "/?cartback_restore=tok");
    page.cartback = undefined;
    const early = new Promise((resolve) => loadTag({ site: "pk_test", currency: "EUR" }, (cartback) => cartback("onRestore", resolve)));
    await until(() => appended(append, "restore"));
    await loadExtra(append, "restore", () => import("./restore/entry"));
    expect(await early).toEqual({ status: "restored", cart });
    expect(await new Promise((resolve) => cartback()("onRestore", resolve))).toEqual({ status: "restored", cart });
    expect(await cartback()("getCart")).toEqual(cart);
    expect(location.search).toBe("");
  });

  it("purchase loads cartback-purchase.js, then reports the order with the cart's lines and empties the cart", async () => {
    const append = vi.spyOn(document.head, "append").mockImplementation(() => {});
    page.cartback = undefined;
    await loadTag({ site: "pk_test", currency: "EUR" });
    await cartback()("addLine", { id: "a", name: "A", price: 100, quantity: 2 });
    const bought = cartback()("purchase", { orderId: "o-1", total: 200 });
    await until(() => appended(append, "purchase"));
    await loadExtra(append, "purchase", () => import("./purchase/entry"));
    await bought;
    expect(await cartback()("getCart")).toBeUndefined();
    expect((await outbox()).at(-1)).toMatchObject({
      type: "purchase",
      orderId: "o-1",
      total: 200,
      currency: "EUR",
      cart: { lines: [{ id: "a" }] },
    });
  });
});

// The connect file, once loaded, stays for the page (here: for the rest of this file), so the test
// that loads a working one comes last.
describe("connect", () => {
  type ShopLine = { sku: string; title: string; cents: number; qty: number };
  const shopLine = (l: ShopLine) => ({ id: l.sku, name: l.title, price: l.cents, quantity: l.qty });
  const shopHas = (...lines: ShopLine[]) => localStorage.setItem("cart", JSON.stringify(lines));
  const tea = { sku: "tea", title: "Green tea", cents: 1250, qty: 1 };
  const mug = { sku: "mug", title: "Mug", cents: 2400, qty: 2 };

  const loadConnect = (append: { mock: { calls: unknown[][] } }) => loadExtra(append, "connect", () => import("./connect/entry"));

  it("loads no connect file for changed alone, and a bad connect only warns", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const append = vi.spyOn(document.head, "append").mockImplementation(() => {});
    page.cartback = undefined;
    await loadTag({ site: "pk_test", currency: "EUR" });
    expect(() => cartback()("changed")).not.toThrow();
    expect(append).not.toHaveBeenCalled();
    cartback()("connect", { read: "cart" });
    await loadConnect(append);
    expect(warn.mock.calls.map(String)).toContainEqual(expect.stringContaining("invalid connect"));
  });

  it("keeps connect and changed until the connect file loads, which takes them, then hears changed as it comes", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const append = vi.spyOn(document.head, "append").mockImplementation(() => {});
    localStorage.clear();
    shopHas(tea);
    const read = vi.fn(() => JSON.parse(localStorage.getItem("cart") || "[]"));
    page.cartback = undefined;
    await loadTag({ site: "pk_test", currency: "EUR" }, (cartback) => {
      cartback("connect", { read, line: shopLine, restore: () => {} });
      cartback("changed");
    });
    cartback()("changed"); // after the core, before the connect file
    expect(read).not.toHaveBeenCalled();
    const file = await loadConnect(append);
    expect(file.src).toBe("https://collector.test/cartback-connect.js");
    expect(file.held).toHaveLength(0);
    // The shop's cart adopted, in the tag's data-currency.
    await vi.waitFor(async () => expect(await cartback()("getCart")).toEqual({ currency: "EUR", lines: [shopLine(tea)] }));
    shopHas(tea, mug);
    cartback()("changed");
    await vi.waitFor(async () => expect(await cartback()("getCart")).toEqual({ currency: "EUR", lines: [shopLine(tea), shopLine(mug)] }));
    expect(warn).not.toHaveBeenCalled();
    expect(((await outbox()) as CartEvent[]).map((e) => e.action)).toEqual(["set", "set"]);
  });
});
