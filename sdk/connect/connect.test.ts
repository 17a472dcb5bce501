import { IDBFactory } from "fake-indexeddb";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Cart, Line } from "../../protocol/types";
import type { Cartback } from "../index";
import type { Connection, ConnectOptions } from "./index";

// A hand-built shop: its cart in localStorage, in its own shape, with fields Cartback does not know.
interface ShopLine {
  sku: string;
  title: string;
  cents: number;
  qty: number;
  size?: string;
}
const shopTea: ShopLine = { sku: "tea", title: "Green tea", cents: 1250, qty: 1, size: "100 g" };
const shopMug: ShopLine = { sku: "mug", title: "Mug", cents: 2400, qty: 2 };
const tea: Line = { id: "tea", name: "Green tea", price: 1250, quantity: 1 };
const mug: Line = { id: "mug", name: "Mug", price: 2400, quantity: 2 };
const jam: Line = { id: "jam", name: "Jam", price: 600, quantity: 3 };

const shopHas = (...lines: ShopLine[]): void => localStorage.setItem("cart", JSON.stringify(lines));
const shopCart = (): ShopLine[] => JSON.parse(localStorage.getItem("cart") || "[]");
const cartOf = (...lines: Line[]): Cart => ({ currency: "EUR", lines });

let warn: ReturnType<typeof vi.spyOn>;
let connections: Connection[] = [];
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"], now: 1_750_000_000_000 });
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response("{}", { status: 202 })),
  );
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  localStorage.clear();
  history.replaceState(null, "", "/");
});
afterEach(() => {
  for (const connection of connections) connection.stop();
  connections = [];
});

/** A page load: the client (ES module), then the shop's `connect`. */
async function page(options: Partial<ConnectOptions<ShopLine>> = {}, before?: (cb: Cartback) => Promise<unknown>, settle = true) {
  const { createCartback } = await import("../index");
  const { connect } = await import("./index");
  const cb = createCartback({ site: "pk_test", endpoint: "https://collector.test", currency: "EUR" });
  await before?.(cb);
  const setCart = vi.spyOn(cb, "setCart");
  const read = vi.fn(shopCart);
  const restore = vi.fn((cart: Cart) => shopHas(...cart.lines.map((l) => ({ sku: l.id, title: l.name, cents: l.price, qty: l.quantity }))));
  const shop = connect(cb, {
    read,
    line: (l: ShopLine) => ({ id: l.sku, name: l.title, price: l.cents, quantity: l.qty }),
    currency: "EUR",
    restore,
    ...options,
  });
  connections.push(shop);
  // The steps run one after another: `changed` resolves after every step before it.
  if (settle) await shop.changed();
  return { cb, shop, setCart, read, restore };
}

/** The page opened from a recovery link whose cart is `cart` (and the site's restoreMode, if any). */
function link(cart: Cart, restoreMode?: string): void {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) =>
      String(url).includes("/v1/restore?") ? Response.json({ status: "restored", cart, restoreMode }) : new Response("{}", { status: 202 }),
    ),
  );
  history.replaceState(null, "", "/cart?cartback_restore=tok-1");
}
/** Until the recovery link's cart reached the shop. */
const restored = async (cb: Cartback, shop: Connection) => {
  await new Promise((resolve) => cb.onRestore(resolve));
  await shop.changed();
};

describe("reading the shop's cart", () => {
  it("records a change once, and nothing while read() returns an equal cart, whatever calls it", async () => {
    const { cb, shop, setCart, read } = await page();
    expect(setCart).not.toHaveBeenCalled();
    shopHas(shopTea);
    // Every trigger, in a row: the save point, focus, shown and hidden, another tab, the timer.
    const again = async () => {
      await shop.changed();
      dispatchEvent(new Event("focus"));
      document.dispatchEvent(new Event("visibilitychange"));
      dispatchEvent(new StorageEvent("storage", { key: "cart" }));
      vi.advanceTimersByTime(4000);
      await shop.changed();
    };
    await again();
    expect(setCart).toHaveBeenCalledTimes(1);
    expect(await cb.getCart()).toEqual(cartOf(tea));
    await again();
    await again();
    expect(setCart).toHaveBeenCalledTimes(1);
    expect(read.mock.calls.length).toBeGreaterThan(10);
    shopHas(shopTea, shopMug);
    await shop.changed();
    expect(setCart).toHaveBeenCalledTimes(2);
    expect(await cb.getCart()).toEqual(cartOf(tea, mug));
    expect(warn).not.toHaveBeenCalled();
  });

  it("compares the mapped cart, not the shop's: a field Cartback leaves behind or a relative URL is no change", async () => {
    const { cb, shop, setCart } = await page({
      line: (l) => ({ id: l.sku, name: l.title, price: l.cents, quantity: l.qty, url: `/p/${l.sku}` }),
    });
    shopHas(shopTea);
    await shop.changed();
    expect((await cb.getCart())?.lines[0]?.url).toBe(new URL("/p/tea", location.href).href);
    shopHas({ ...shopTea, size: "250 g" }); // the shop's own field: not in the mapped cart
    await shop.changed();
    vi.advanceTimersByTime(8000);
    await shop.changed();
    expect(setCart).toHaveBeenCalledTimes(1);
  });

  it("accepts lines already in Cartback's shape, or { currency, lines }, and leaves out a line mapped to nothing", async () => {
    localStorage.setItem("basket", JSON.stringify({ currency: "GBP", lines: [tea, mug] }));
    const { cb } = await page({ read: () => JSON.parse(localStorage.getItem("basket") || "null"), line: undefined });
    expect(await cb.getCart()).toEqual({ currency: "GBP", lines: [tea, mug] });
    vi.resetModules();
    shopHas(shopTea, shopMug);
    const second = await page({ line: (l) => l.sku !== "mug" && { id: l.sku, name: l.title, price: l.cents, quantity: l.qty } });
    expect(await second.cb.getCart()).toEqual(cartOf(tea));
  });

  it("reads the shop's cart when another tab changes storage", async () => {
    const { cb } = await page();
    shopHas(shopMug); // as another tab of the shop would
    dispatchEvent(new StorageEvent("storage", { key: "cart" }));
    await vi.waitFor(async () => expect(await cb.getCart()).toEqual(cartOf(mug)));
  });

  it("reads it every 4 s while the page is visible, and not while hidden", async () => {
    const { cb, read } = await page();
    const reads = read.mock.calls.length;
    const hidden = vi.spyOn(document, "hidden", "get").mockReturnValue(true);
    await vi.advanceTimersByTimeAsync(12_000);
    expect(read.mock.calls.length).toBe(reads);
    hidden.mockReturnValue(false);
    shopHas(shopTea);
    await vi.advanceTimersByTimeAsync(4000);
    expect(read.mock.calls.length).toBe(reads + 1);
    await vi.waitFor(async () => expect(await cb.getCart()).toEqual(cartOf(tea)));
  });

  it("warns once about a read that throws or a cart that does not map, and breaks nothing", async () => {
    localStorage.setItem("cart", "{not json");
    const { cb, shop, setCart } = await page();
    await shop.changed();
    vi.advanceTimersByTime(8000);
    await shop.changed();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0])).toContain("reading the shop's cart failed");
    shopHas({ ...shopTea, cents: 12.5 }); // a price Cartback refuses
    await shop.changed();
    await shop.changed();
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[1])).toContain("line.price");
    expect(setCart).not.toHaveBeenCalled();
    shopHas(shopTea); // fixed: recorded as usual
    await shop.changed();
    expect(await cb.getCart()).toEqual(cartOf(tea));
  });

  it("refuses a connect without read and restore functions, with a warning", async () => {
    const { connect } = await import("./index");
    const { createCartback } = await import("../index");
    const cb = createCartback({ site: "pk_test", endpoint: "https://collector.test", currency: "EUR" });
    const shop = connect(cb, { read: () => [] } as never);
    await expect(shop.changed()).resolves.toBeUndefined();
    expect(() => connect(cb, undefined as never)).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[0])).toContain("invalid connect");
  });

  it("stops reading after stop()", async () => {
    const { cb, shop, read } = await page();
    shop.stop();
    const reads = read.mock.calls.length;
    shopHas(shopTea);
    dispatchEvent(new Event("focus"));
    vi.advanceTimersByTime(8000);
    await shop.changed();
    expect(read.mock.calls.length).toBe(reads);
    expect(await cb.getCart()).toBeUndefined();
  });
});

describe("on load", () => {
  it("adopts a shop cart Cartback has no copy of", async () => {
    shopHas(shopTea, shopMug);
    const { cb, setCart } = await page();
    expect(setCart).toHaveBeenCalledTimes(1);
    expect(await cb.getCart()).toEqual(cartOf(tea, mug));
  });

  it("records nothing when the shop's cart is Cartback's copy", async () => {
    shopHas(shopTea);
    const { setCart } = await page({}, (cb) => cb.setCart(cartOf(tea)));
    expect(setCart).not.toHaveBeenCalled();
  });

  it("reconciles a copy the shop no longer has: the shop's cart wins", async () => {
    shopHas(shopMug);
    const { cb } = await page({}, (cb) => cb.setCart(cartOf(tea, mug)));
    expect(await cb.getCart()).toEqual(cartOf(mug));
    vi.resetModules();
    localStorage.clear(); // the shop emptied its cart (its server cleared it) while Cartback still had one
    const second = await page({ emptyIsAuthoritative: true });
    expect(await second.cb.getCart()).toEqual(cartOf());
    expect(second.restore).not.toHaveBeenCalled();
  });

  it("keeps a cart a recovery link restored on this page load, and hands it to the shop", async () => {
    shopHas(shopMug); // the shop's stale cart on this device
    link(cartOf(tea, jam));
    const { cb, setCart, restore } = await page({}, (cb) => new Promise((resolve) => cb.onRestore(resolve)));
    expect(restore).toHaveBeenCalledWith(cartOf(tea, jam));
    expect(setCart).not.toHaveBeenCalled(); // the stale cart was never recorded
    expect(await cb.getCart()).toEqual(cartOf(tea, jam));
    expect(shopCart().map((l) => l.sku)).toEqual(["tea", "jam"]);
  });
  it("keeps it too when the link's cart lands while the shop's cart is being read", async () => {
    shopHas(shopMug);
    link(cartOf(tea, jam));
    let slow!: (lines: ShopLine[]) => void;
    const read = vi.fn(shopCart).mockImplementationOnce(() => new Promise((resolve) => (slow = resolve)) as never);
    const { cb, shop, setCart } = await page({ read }, undefined, false);
    await new Promise((resolve) => cb.onRestore(resolve)); // saved here while the first read is under way
    slow(shopCart()); // ... which then returns the shop's stale cart
    await shop.changed();
    expect(setCart).not.toHaveBeenCalled();
    expect(await cb.getCart()).toEqual(cartOf(tea, jam));
    expect(shopCart().map((l) => l.sku)).toEqual(["tea", "jam"]);
  });
});

describe("a recovery link", () => {
  it("replaces the shop's cart by default, and the shop's next add-to-cart keeps the restored lines", async () => {
    shopHas(shopMug);
    link(cartOf(tea, jam));
    const { cb, shop, restore } = await page();
    await restored(cb, shop);
    expect(restore).toHaveBeenCalledTimes(1);
    expect(shopCart().map((l) => l.sku)).toEqual(["tea", "jam"]);
    expect(await cb.getCart()).toEqual(cartOf(tea, jam));
    shopHas(...shopCart(), shopMug); // the shop's own add-to-cart, from what it now holds
    await shop.changed();
    expect(await cb.getCart()).toEqual(cartOf(tea, jam, mug));
  });

  it("merges with the shop's cart when connect says so: the link's lines, then the device's others", async () => {
    shopHas({ ...shopTea, qty: 4 }, shopMug);
    link(cartOf(tea, jam));
    const { cb, shop, restore } = await page({ restoreMode: "merge" });
    await restored(cb, shop);
    // Same id in both: the link's line (so opening the link twice changes nothing).
    expect(restore).toHaveBeenCalledWith(cartOf(tea, jam, mug));
    expect(await cb.getCart()).toEqual(cartOf(tea, jam, mug));
  });

  it("merges when the site says so, unless connect says otherwise", async () => {
    shopHas(shopMug);
    link(cartOf(tea), "merge");
    const { cb, shop } = await page();
    await restored(cb, shop);
    expect(await cb.getCart()).toEqual(cartOf(tea, mug));

    vi.resetModules();
    shopHas(shopMug);
    link(cartOf(tea), "merge");
    const second = await page({ restoreMode: "replace" });
    await restored(second.cb, second.shop);
    expect(await second.cb.getCart()).toEqual(cartOf(tea));
  });

  it("keeps the restored cart when the shop's restore throws, and warns", async () => {
    shopHas(shopMug);
    link(cartOf(tea));
    const { cb, shop, setCart } = await page({
      restore: () => {
        throw new Error("shop bug");
      },
    });
    await restored(cb, shop);
    expect(String(warn.mock.calls.at(-1))).toContain("the shop's restore failed");
    vi.advanceTimersByTime(8000);
    await shop.changed();
    // The shop's stale cart, unchanged, does not overwrite the newer one.
    expect(await cb.getCart()).toEqual(cartOf(tea));
    expect(setCart).not.toHaveBeenCalled(); // only the link's own setCart, made before connect's
  });
});

describe("another device's cart", () => {
  it("reaches the shop's restore when the sync file saves it", async () => {
    shopHas(shopTea);
    const { cb, shop, restore } = await page();
    // What sdk/sync does with the merged cart of a signed-in shopper's devices.
    await cb.setCart(cartOf(tea, jam));
    dispatchEvent(new CustomEvent("cartback:sync", { detail: cartOf(tea, jam) }));
    await shop.changed();
    expect(restore).toHaveBeenCalledWith(cartOf(tea, jam));
    expect(shopCart().map((l) => l.sku)).toEqual(["tea", "jam"]);
    expect(await cb.getCart()).toEqual(cartOf(tea, jam));
  });
});

// A single-page shop whose cart lives only in the page's memory: a browser restart loses it.
describe("a shop whose cart lives in page memory", () => {
  /** A page load of that shop: its cart starts empty, `restore` fills it. */
  async function spa(options: Partial<ConnectOptions<Line>> = {}, settle = true) {
    const { createCartback } = await import("../index");
    const { connect } = await import("./index");
    const cb = createCartback({ site: "pk_test", endpoint: "https://collector.test", currency: "EUR" });
    const memory = { lines: [] as Line[] };
    const setCart = vi.spyOn(cb, "setCart");
    const restore = vi.fn((cart: Cart) => {
      memory.lines = cart.lines.map((l) => ({ ...l }));
    });
    const shop = connect(cb, { read: () => memory.lines, restore, currency: "EUR", ...options });
    connections.push(shop);
    if (settle) await shop.changed();
    return { cb, shop, memory, setCart, restore };
  }
  /** The shop's add-to-cart (in memory), then its save point. */
  const add = async (tab: Awaited<ReturnType<typeof spa>>, l: Line) => {
    tab.memory.lines = [...tab.memory.lines, l];
    await tab.shop.changed();
  };

  it("gets the 7-day copy back on the first read after a restart, through restore, and records no empty cart", async () => {
    const before = await spa();
    await add(before, tea);
    await add(before, mug);
    expect(await before.cb.getCart()).toEqual(cartOf(tea, mug));
    before.shop.stop();
    vi.advanceTimersByTime(6 * 86_400_000); // six days later, the browser restarted
    vi.resetModules();
    const after = await spa();
    expect(after.restore).toHaveBeenCalledExactlyOnceWith(cartOf(tea, mug));
    expect(after.memory.lines).toEqual([tea, mug]);
    expect(after.setCart).not.toHaveBeenCalled();
    expect(await after.cb.getCart()).toEqual(cartOf(tea, mug));
  });

  it("later reads: the shop wins, an empty cart included", async () => {
    const before = await spa();
    await add(before, tea);
    before.shop.stop();
    vi.resetModules();
    const after = await spa();
    expect(after.memory.lines).toEqual([tea]);
    after.memory.lines = []; // the shopper removes it
    await after.shop.changed();
    expect(await after.cb.getCart()).toEqual(cartOf());
    expect(after.restore).toHaveBeenCalledTimes(1);
  });

  it("empties the copy instead when the shop says its empty cart is authoritative", async () => {
    const before = await spa();
    await add(before, tea);
    before.shop.stop();
    vi.resetModules();
    const after = await spa({ emptyIsAuthoritative: true });
    expect(after.restore).not.toHaveBeenCalled();
    expect(after.memory.lines).toEqual([]);
    expect(await after.cb.getCart()).toEqual(cartOf());
  });

  it("puts back nothing from an expired copy", async () => {
    const before = await spa();
    await add(before, tea);
    before.shop.stop();
    vi.advanceTimersByTime(7 * 86_400_000 + 1);
    vi.resetModules();
    const after = await spa();
    expect(after.restore).not.toHaveBeenCalled();
    expect(await after.cb.getCart()).toBeUndefined();
  });

  it("keeps the copy when the shop's restore throws, and does not empty it on later reads", async () => {
    const before = await spa();
    await add(before, tea);
    before.shop.stop();
    vi.resetModules();
    const after = await spa({
      restore: () => {
        throw new Error("shop bug");
      },
    });
    vi.advanceTimersByTime(8000);
    await after.shop.changed();
    expect(String(warn.mock.calls.at(-1))).toContain("the shop's restore failed");
    expect(await after.cb.getCart()).toEqual(cartOf(tea));
  });

  it("a bought cart never comes back: a purchase after the copy went back takes those lines out of the shop", async () => {
    const before = await spa();
    await add(before, tea);
    before.shop.stop();
    vi.resetModules();
    // The thank-you page: the shop reports the order after Cartback refilled its (in-memory) cart.
    const after = await spa();
    expect(after.memory.lines).toEqual([tea]);
    await after.cb.purchase({ orderId: "o-1", total: 1250 });
    await vi.waitFor(() => expect(after.memory.lines).toEqual([]));
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(4000);
      await after.shop.changed();
    }
    expect(await after.cb.getCart()).toBeUndefined();
    expect(after.setCart).not.toHaveBeenCalled();
    // The shopper shops on: the shop wins again.
    await add(after, jam);
    expect(await after.cb.getCart()).toEqual(cartOf(jam));
  });

  it("a purchase in another tab takes the lines out of a tab that only holds the copy, and leaves a tab the shopper changed", async () => {
    const before = await spa();
    await add(before, tea);
    before.shop.stop();
    const { createCartback } = await import("../index");
    const other = createCartback({ site: "pk_test", endpoint: "https://collector.test", currency: "EUR" });
    const tab = await spa(); // a second tab of the restarted browser
    const changed = await spa(); // and a third, where the shopper adds a line
    expect(tab.memory.lines).toEqual([tea]);
    await add(changed, jam);
    // The copy changed in the third tab: the second, which only holds the copy, follows it.
    await vi.waitFor(() => expect(tab.memory.lines).toEqual([tea, jam]));
    await other.purchase({ orderId: "o-2", total: 1850 });
    await vi.waitFor(() => expect(tab.memory.lines).toEqual([]));
    await changed.shop.changed();
    expect(changed.memory.lines).toEqual([tea, jam]); // the shop's own cart: the shop wins there
    expect(await tab.cb.getCart()).toBeUndefined();
  });

  // The rule over random histories of three tabs of a restarted browser: adds, emptied carts,
  // restarts (page memory lost), purchases and thank-you pages in any order, against a model.
  it("nothing lost on a restart, nothing bought comes back, a tab that only holds the copy follows it (property)", async () => {
    type Step = { tab: number } & ({ kind: "add"; line: Line } | { kind: "empty" | "reload" | "buy" | "thanks" });
    const step = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), tab: fc.nat(2), line: fc.constantFrom(tea, mug, jam) }),
      fc.record({ kind: fc.constantFrom("empty" as const, "reload" as const, "buy" as const, "thanks" as const), tab: fc.nat(2) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps: Step[]) => {
        globalThis.indexedDB = new IDBFactory();
        vi.resetModules();
        const tabs = [await spa(), await spa(), await spa()];
        // The model: Cartback's copy, each shop's cart, and the tabs that hold the copy lent.
        let copy: Line[] = [];
        const shops: Line[][] = [[], [], []];
        const following = [false, false, false];
        const recorded = (lines: Line[], from: number): void => {
          copy = lines;
          for (const t of [0, 1, 2].filter((t) => t !== from && following[t])) {
            shops[t] = lines;
            following[t] = lines.length > 0;
          }
        };
        for (const s of steps) {
          const tab = tabs[s.tab] as (typeof tabs)[number];
          if (s.kind === "add" || s.kind === "empty") {
            const lines = s.kind === "add" ? [...tab.memory.lines.filter((l) => l.id !== s.line.id), s.line] : [];
            const same = JSON.stringify(lines) === JSON.stringify(tab.memory.lines);
            tab.memory.lines = lines;
            await tab.shop.changed();
            if (!same) {
              shops[s.tab] = lines;
              following[s.tab] = false;
              recorded(lines, s.tab);
            }
          } else if (s.kind === "buy") {
            await tab.cb.purchase({ orderId: "o-1", total: 1 });
            tab.memory.lines = []; // the shop empties its own cart as it reports the order
            shops[s.tab] = [];
            following[s.tab] = false;
            recorded([], s.tab);
          } else {
            // A restart of this tab: its memory lost. The thank-you page reports the order at once.
            tab.shop.stop();
            tabs[s.tab] = await spa({}, s.kind === "reload");
            if (s.kind === "thanks") await tabs[s.tab]?.cb.purchase({ orderId: "o-2", total: 1 });
            shops[s.tab] = s.kind === "reload" ? copy : [];
            following[s.tab] = s.kind === "reload" && copy.length > 0;
            if (s.kind === "thanks") recorded([], s.tab);
          }
          await vi.waitFor(async () => {
            for (const t of tabs) await t.shop.changed();
            expect((await tabs[0]?.cb.getCart())?.lines ?? []).toEqual(copy);
            expect(tabs.map((t) => t.memory.lines)).toEqual(shops);
          });
        }
      }),
      // 14 s on an idle machine; several times that on two cores shared with browser tests.
      { numRuns: 25 },
    );
  }, 180_000);

  it("a recovery link on the first load wins over the copy", async () => {
    const before = await spa();
    await add(before, mug);
    before.shop.stop();
    vi.resetModules();
    link(cartOf(tea, jam));
    const after = await spa();
    await restored(after.cb, after.shop);
    expect(after.restore).toHaveBeenLastCalledWith(cartOf(tea, jam));
    expect(after.memory.lines).toEqual([tea, jam]);
    expect(await after.cb.getCart()).toEqual(cartOf(tea, jam));
  });
});
