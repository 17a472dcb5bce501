import { beforeEach, describe, expect, it, vi } from "vitest";
import { DAY_MS } from "../protocol/limits";
import type { CartbackEvent, CartEvent } from "../protocol/types";
import type { Cartback, CartbackOptions } from "./index";

const tea = { id: "tea", name: "Green tea", price: 1250, quantity: 1 };
const mug = { id: "mug", name: "Mug", price: 2400, quantity: 2, variant: "Blue" };

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 1_750_000_000_000 });
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response("{}", { status: 202 })),
  );
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
});

/** A client as a page load makes it; call again (after vi.resetModules) for a "reload". */
async function load(options: Partial<CartbackOptions> = {}): Promise<Cartback & { outbox: () => Promise<CartbackEvent[]> }> {
  const { createCartback } = await import("./index");
  const { transact } = await import("./storage");
  const client = createCartback({ site: "pk_test", endpoint: "https://collector.test", currency: "EUR", ...options });
  return Object.assign(client, { outbox: () => transact((s) => s.outbox.events) });
}

describe("the cart API", () => {
  it("adds, updates, removes and clears lines, reporting each change with the whole cart", async () => {
    const cb = await load();
    await cb.addLine(tea);
    await cb.addLine(mug);
    await cb.addLine({ ...tea, quantity: 2 }); // same id: adds to the quantity, keeps its place
    await cb.updateLine("mug", { quantity: 5 });
    expect(await cb.getCart()).toEqual({
      currency: "EUR",
      lines: [
        { ...tea, quantity: 3 },
        { ...mug, quantity: 5 },
      ],
    });
    await cb.removeLine("tea");
    await cb.updateLine("mug", { quantity: 0 }); // zero removes
    expect((await cb.getCart())?.lines).toEqual([]);
    await cb.setCart({ currency: "GBP", lines: [tea] });
    await cb.clear();
    const events = (await cb.outbox()) as CartEvent[];
    expect(events.map((e) => e.action)).toEqual(["add", "add", "add", "update", "remove", "update", "set", "clear"]);
    expect(events[3]?.cart.lines).toEqual([
      { ...tea, quantity: 3 },
      { ...mug, quantity: 5 },
    ]);
    expect(events.every((e) => /^[\w-]{22}$/.test(e.id) && e.at === Date.now())).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(warn).not.toHaveBeenCalled();
  });

  it("resolves relative product and image URLs against the page", async () => {
    const cb = await load();
    await cb.addLine({ ...tea, url: "/products/tea", image: "img/tea.png" });
    const line = (await cb.getCart())?.lines[0];
    expect(line?.url).toBe(new URL("/products/tea", location.href).href);
    expect(line?.image).toBe(new URL("img/tea.png", location.href).href);
  });

  it("keeps a line's data, keys sorted, through a change of quantity", async () => {
    const cb = await load();
    await cb.addLine({ ...tea, data: { size: "M", color: "azul", productId: "p-7", inStock: true } });
    await cb.updateLine(tea.id, { quantity: 3 });
    const line = (await cb.getCart())?.lines[0];
    expect(line?.quantity).toBe(3);
    expect(JSON.stringify(line?.data)).toBe('{"color":"azul","inStock":true,"productId":"p-7","size":"M"}');
  });

  it("keeps only the known fields of a line", async () => {
    const cb = await load();
    await cb.addLine({ ...tea, secretMargin: 42 } as typeof tea);
    expect((await cb.getCart())?.lines[0]).toEqual(tea);
  });

  const invalid: [string, (cb: Cartback) => Promise<void>][] = [
    ["a price with decimals", (cb) => cb.addLine({ ...tea, price: 12.5 })],
    ["a negative quantity", (cb) => cb.addLine({ ...tea, quantity: -1 })],
    ["a line without a name", (cb) => cb.addLine({ ...tea, name: "" })],
    ["a javascript: URL", (cb) => cb.addLine({ ...tea, url: "javascript:alert(1)" })],
    ["no line at all", (cb) => cb.addLine(undefined as never)],
    ["an update of a line not in the cart", (cb) => cb.updateLine("nope", { quantity: 2 })],
    ["a removal of a line not in the cart", (cb) => cb.removeLine("nope")],
    ["a cart with a bad currency", (cb) => cb.setCart({ currency: "euro", lines: [] })],
    ["a cart whose lines share an id", (cb) => cb.setCart({ currency: "EUR", lines: [tea, tea] })],
    [
      "a cart of 101 lines",
      (cb) => cb.setCart({ currency: "EUR", lines: Array.from({ length: 101 }, (_, i) => ({ ...tea, id: `t${i}` })) }),
    ],
    ["an identify without anything", (cb) => cb.identify({})],
    ["an identify with a bad email", (cb) => cb.identify({ email: "ana@" })],
    ["an identify with exclude not a yes or no", (cb) => cb.identify({ email: "ana@example.com", exclude: "yes" as never })],
    ["a purchase without an order id", (cb) => cb.purchase({ orderId: "", total: 100 })],
    ["a purchase with a fractional total", (cb) => cb.purchase({ orderId: "o1", total: 1.5 })],
    ["line data nested", (cb) => cb.addLine({ ...tea, data: { size: { eu: 42 } } as never })],
    [
      "line data with 17 keys",
      (cb) => cb.addLine({ ...tea, data: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i])) }),
    ],
    ["line data over 1 KB", (cb) => cb.addLine({ ...tea, data: { note: "é".repeat(520) } })],
    ["line data with a lone surrogate", (cb) => cb.addLine({ ...tea, data: { size: "M\ud800" } })],
    ["line data with a __proto__ key", (cb) => cb.addLine({ ...tea, data: JSON.parse('{"__proto__":"x"}') })],
    ["line data in an update", (cb) => cb.updateLine("mug", { data: { weight: Number.NaN } })],
  ];

  for (const [what, call] of invalid) {
    it(`warns once and changes nothing on ${what}`, async () => {
      const cb = await load();
      await cb.addLine(mug);
      const before = [await cb.getCart(), await cb.outbox()];
      await expect(call(cb)).resolves.toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[1])).toMatch(/^invalid /);
      expect([await cb.getCart(), await cb.outbox()]).toEqual(before);
    });
  }

  it("needs a currency before the first line (data-currency or setCart)", async () => {
    const cb = await load({ currency: undefined });
    await cb.addLine(tea);
    expect(String(warn.mock.calls[0]?.[1])).toContain("currency");
    expect(await cb.getCart()).toBeUndefined();
    await cb.setCart({ currency: "EUR", lines: [] });
    await cb.addLine(tea);
    expect((await cb.getCart())?.lines).toHaveLength(1);
  });

  it("runs calls in the order they were made, even without awaiting", async () => {
    const cb = await load();
    cb.addLine(tea);
    cb.updateLine("tea", { quantity: 4 });
    cb.addLine(mug);
    cb.removeLine("mug");
    expect(await cb.getCart()).toEqual({ currency: "EUR", lines: [{ ...tea, quantity: 4 }] });
  });

  it("tells onCart listeners now and after each change, and survives a listener that throws", async () => {
    const cb = await load();
    const seen: unknown[] = [];
    cb.onCart(() => {
      throw new Error("shop bug");
    });
    const stop = cb.onCart((cart) => seen.push(cart?.lines.length ?? "none"));
    await cb.addLine(tea);
    await cb.addLine(mug);
    await cb.getCart();
    stop();
    await cb.clear();
    await cb.getCart();
    expect(seen).toEqual(["none", 1, 2]);
  });
});

describe("identify, checkout and purchase", () => {
  it("passes the shop's word about the shopper: exclude and customer (docs/audience.md)", async () => {
    const cb = await load();
    await cb.identify({ email: "ana@example.com", customer: true });
    await cb.identify({ exclude: false });
    expect((await cb.outbox()).map(({ id, at, ...rest }) => rest)).toEqual([
      { type: "identify", email: "ana@example.com", customer: true },
      { type: "identify", exclude: false },
    ]);
  });

  it("records who the shopper is and that checkout started", async () => {
    const cb = await load();
    await cb.identify({ email: "ana@example.com", name: "Ana" });
    await cb.checkout();
    expect((await cb.outbox()).map(({ id, at, ...rest }) => rest)).toEqual([
      { type: "identify", email: "ana@example.com", name: "Ana" },
      { type: "checkout" },
    ]);
  });

  it("counts a page where checkout moments fire as a checkout: one checkout event per page visit, none for a refused moment", async () => {
    const cb = await load();
    await cb.moment("not_a_kind" as never);
    expect(await cb.outbox()).toEqual([]);
    await cb.moment("step", { code: "payment" });
    await cb.moment("payment_failed", { code: "card_declined" });
    await cb.moment("idle", { code: "payment", value: 60_000 });
    vi.resetModules(); // the next page of the visit's checkout, or the same page reloaded
    const next = await load();
    await next.moment("payment_failed", { code: "card_declined" });
    expect((await next.outbox()).map((e) => (e.type === "moment" ? e.kind : e.type))).toEqual([
      "checkout",
      "step",
      "payment_failed",
      "idle",
      "checkout",
      "payment_failed",
    ]);
  });

  it("records one checkout event a page load when the page's checkout() and its moments both say so, in either order; the page's own calls each record one", async () => {
    const kinds = async (cb: Awaited<ReturnType<typeof load>>) => (await cb.outbox()).map((e) => (e.type === "moment" ? e.kind : e.type));
    // A GA4 shop: begin_checkout (the page's checkout), then its checkout steps as moments.
    const cb = await load();
    await cb.checkout();
    await cb.moment("step", { code: "shipping" });
    await cb.moment("step", { code: "payment" });
    expect(await kinds(cb)).toEqual(["checkout", "step", "step"]);
    await cb.checkout(); // the page's own call again: recorded, as always
    expect(await kinds(cb)).toEqual(["checkout", "step", "step", "checkout"]);
    // The next page load, where a moment comes first: the page's checkout() then records none.
    vi.resetModules();
    const next = await load();
    await next.moment("step", { code: "payment" });
    await next.checkout();
    await next.moment("payment_failed", { code: "card_declined" });
    await next.checkout();
    expect((await kinds(next)).slice(4)).toEqual(["checkout", "step", "payment_failed"]);
  });

  it("reports a purchase with what was bought, then empties the cart", async () => {
    const cb = await load();
    await cb.addLine(mug);
    await cb.purchase({ orderId: "order-7", total: 4800 });
    const purchase = (await cb.outbox()).at(-1);
    expect(purchase).toMatchObject({ type: "purchase", orderId: "order-7", total: 4800, currency: "EUR", cart: { lines: [mug] } });
    expect(await cb.getCart()).toBeUndefined();
  });
});

describe("signing in and out", () => {
  it("keeps a signed-in account on this device only, and sign-out leaves no account cart", async () => {
    const cb = await load();
    const { transact } = await import("./storage");
    await cb.addLine(tea);
    await cb.identify({ userId: "u-1", email: "ana@example.com", token: "v1.payload.signature" });
    expect(await transact((s) => s.account)).toEqual({ userId: "u-1", token: "v1.payload.signature" });
    // The token never travels in an event.
    expect(JSON.stringify(await cb.outbox())).not.toContain("v1.payload.signature");
    const told: unknown[] = [];
    addEventListener("cartback:signout", (e) => told.push((e as CustomEvent).detail));
    await cb.signOut();
    expect(await transact((s) => s.account)).toBeUndefined();
    expect(await cb.getCart()).toBeUndefined();
    expect(told).toEqual([expect.objectContaining({ userId: "u-1", token: "v1.payload.signature" })]);
  });

  it("sign-out drops this device's replica of the account cart with the account, in one transaction", async () => {
    const cb = await load();
    const { transact } = await import("./storage");
    const { emptySync } = await import("../protocol/merge");
    await cb.identify({ userId: "u-1", token: "v1.payload.signature" });
    await transact((s) => {
      s.sync = emptySync("EUR");
    });
    await cb.signOut();
    expect(await transact(({ account, sync }) => ({ account, sync }))).toEqual({ account: undefined, sync: undefined });
  });

  it("refuses a token without a user id", async () => {
    const cb = await load();
    await cb.identify({ email: "ana@example.com", token: "v1.x.y" });
    expect(String(warn.mock.calls[0]?.[1])).toContain("identify token");
  });
});

describe("persistence", () => {
  it("keeps the cart, the shopper id and unsent events across a reload", async () => {
    const first = await load();
    await first.addLine(tea);
    const { transact } = await import("./storage");
    const aid = await transact((s) => s.aid);
    vi.resetModules();
    const second = await load();
    expect(await second.getCart()).toEqual({ currency: "EUR", lines: [tea] });
    expect(await (await import("./storage")).transact((s) => s.aid)).toBe(aid);
    expect(await second.outbox()).toHaveLength(1);
  });

  it("drops the cart 7 days after its last change, not before", async () => {
    const cb = await load();
    await cb.addLine(tea);
    vi.setSystemTime(Date.now() + 7 * DAY_MS);
    expect(await cb.getCart()).toEqual({ currency: "EUR", lines: [tea] });
    await cb.addLine(mug); // a change restarts the clock
    vi.setSystemTime(Date.now() + 7 * DAY_MS - 1);
    expect((await cb.getCart())?.lines).toHaveLength(2);
    vi.setSystemTime(Date.now() + 2);
    vi.resetModules();
    const reloaded = await load();
    expect(await reloaded.getCart()).toBeUndefined();
    const { transact } = await import("./storage");
    expect(await transact((s) => s.cart)).toBeUndefined(); // gone from IndexedDB, not just hidden
  });

  it("takes the TTL as a setting", async () => {
    const cb = await load({ ttlDays: 1 });
    await cb.addLine(tea);
    vi.setSystemTime(Date.now() + DAY_MS + 1);
    expect(await cb.getCart()).toBeUndefined();
  });

  it("keeps working from memory when IndexedDB is unusable", async () => {
    vi.stubGlobal("indexedDB", {
      open() {
        throw new DOMException("blocked", "SecurityError");
      },
    });
    const cb = await load();
    await cb.addLine(tea);
    await cb.addLine(mug);
    expect((await cb.getCart())?.lines).toHaveLength(2);
    expect(await cb.outbox()).toHaveLength(2);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe("consent", () => {
  const sentBodies = () =>
    (fetch as unknown as ReturnType<typeof vi.fn>).mock.calls
      .filter(([url]) => String(url).includes("/v1/events"))
      .map(([, init]) => String((init as RequestInit).body));

  it("with consent required, nothing leaves the browser until consent(true); then what waited goes", async () => {
    const cb = await load({ consent: true });
    await cb.addLine(tea);
    await cb.identify({ email: "ana@example.com", name: "Ana" });
    await cb.flush();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sentBodies()).toEqual([]);
    expect(await cb.outbox()).toHaveLength(2); // waiting, not lost
    expect((await cb.getCart())?.lines).toEqual([tea]); // the cart itself works as ever

    await cb.consent(true);
    await cb.flush();
    expect(sentBodies()).toHaveLength(1);
    expect(sentBodies()[0]).toContain("ana@example.com");
    expect(JSON.parse(sentBodies()[0] as string).consent).toBe(true); // for a collector that requires it
    expect(await cb.outbox()).toEqual([]);
  });

  it("the answer is kept on this device: after a reload, events go without asking again", async () => {
    const first = await load({ consent: true });
    await first.consent(true);
    vi.resetModules();
    const second = await load({ consent: true });
    await second.addLine(tea);
    await second.flush();
    expect(sentBodies()).toHaveLength(1);
  });

  it("consent(false) drops what waited and records nothing more; the cart still works", async () => {
    const cb = await load({ consent: true });
    await cb.identify({ email: "ana@example.com" });
    await cb.consent(false);
    await cb.addLine(tea);
    await cb.moment("payment_failed");
    await cb.flush();
    expect(await cb.outbox()).toEqual([]);
    expect(sentBodies()).toEqual([]);
    expect((await cb.getCart())?.lines).toEqual([tea]);
  });

  it("honours Global Privacy Control when the site asks for it, and only then", async () => {
    vi.stubGlobal("navigator", Object.assign(Object.create(navigator), { globalPrivacyControl: true }));
    const honouring = await load({ gpc: true });
    await honouring.addLine(tea);
    await honouring.consent(true); // GPC is the stronger signal: a banner's yes does not override it
    await honouring.flush();
    expect(sentBodies()).toEqual([]);
    expect(await honouring.outbox()).toEqual([]);

    vi.resetModules();
    const ignoring = await load();
    await ignoring.addLine(mug);
    await ignoring.flush();
    expect(sentBodies()).toHaveLength(1);
  });
});

describe("a recovery link", () => {
  it("restores the cart it carries, tells onRestore (even a late listener), and drops the token from the address", async () => {
    const cart = { currency: "EUR", lines: [tea] };
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) =>
        String(url).includes("/v1/restore?site=pk_test&token=tok-1")
          ? Response.json({ status: "restored", cart })
          : new Response("{}", { status: 202 }),
      ),
    );
    history.replaceState(null, "", "/cart?x=1&cartback_restore=tok-1");
    const cb = await load();
    const heard = await new Promise((resolve) => cb.onRestore(resolve));
    expect(heard).toEqual({ status: "restored", cart });
    expect(await cb.getCart()).toEqual(cart);
    expect(location.search).toBe("?x=1");
    const late = vi.fn();
    cb.onRestore(late);
    await vi.waitFor(() => expect(late).toHaveBeenCalledWith({ status: "restored", cart }));
    expect(late).toHaveBeenCalledOnce();
  });

  it("says so when the order already went through, and changes nothing", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => Response.json({ status: "purchased" })),
    );
    history.replaceState(null, "", "/?cartback_restore=tok-2");
    const cb = await load();
    expect(await new Promise((resolve) => cb.onRestore(resolve))).toEqual({ status: "purchased" });
    expect(await cb.getCart()).toBeUndefined();
  });
});
