import { beforeEach, expect, it, vi } from "vitest";
import type { CartEvent } from "../protocol/types";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.stubGlobal(
    "fetch",
    vi.fn(async () => new Response("{}", { status: 202 })),
  );
});

/** The snippet's stub, then the script tag "loading" with these data- attributes. */
async function loadTag(attributes: Record<string, string>, before: (stub: (...args: unknown[]) => void) => void = () => {}) {
  // The stub exactly as the README snippet writes it.
  // biome-ignore lint/complexity/noArguments: the snippet works in any browser, so it uses `arguments`
  window.cartback =
    window.cartback ||
    (function () {
      (window.cartback.q = window.cartback.q || []).push(arguments as never);
    } as never);
  before(window.cartback as never);
  const script = document.createElement("script");
  script.src = "https://collector.test/cartback.js";
  for (const [k, v] of Object.entries(attributes)) script.setAttribute(`data-${k}`, v);
  Object.defineProperty(document, "currentScript", { value: script, configurable: true });
  await import("./tag");
  Object.defineProperty(document, "currentScript", { value: null, configurable: true });
}

const outbox = async () => (await import("./storage")).transact((s) => s.outbox.events);

it("replays calls queued before the script loaded, in order, then takes calls directly", async () => {
  window.cartback = undefined;
  await loadTag({ site: "pk_test", currency: "EUR" }, (cartback) => {
    cartback("addLine", { id: "a", name: "A", price: 100, quantity: 1 });
    cartback("addLine", { id: "b", name: "B", price: 200, quantity: 1 });
    cartback("updateLine", "a", { quantity: 3 });
    cartback("removeLine", "b");
  });
  const cartback = window.cartback as unknown as (...args: unknown[]) => Promise<unknown>;
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
  window.cartback = undefined;
  await loadTag({ site: "pk_test", currency: "EUR" });
  await window.cartback?.("addLine", { id: "a", name: "A", price: 100, quantity: 1 });
  await window.cartback?.("flush");
  expect(vi.mocked(fetch).mock.calls[0]?.[0]).toBe("https://collector.test/v1/events?site=pk_test");
});

it("never throws into the page: unknown commands and bad calls only warn", async () => {
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  window.cartback = undefined;
  await loadTag({ site: "pk_test" });
  const cartback = window.cartback as unknown as (...args: unknown[]) => unknown;
  expect(() => cartback("fly")).not.toThrow();
  expect(() => cartback("constructor")).not.toThrow();
  expect(() => cartback("addLine", null)).not.toThrow();
  await expect(cartback("updateLine", "missing", {})).resolves.toBeUndefined();
  expect(warn.mock.calls.length).toBeGreaterThanOrEqual(4);
});

it("warns about a missing data-site but still keeps the cart", async () => {
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  window.cartback = undefined;
  await loadTag({ currency: "EUR" });
  expect(String(warn.mock.calls[0])).toContain("data-site");
  await window.cartback?.("addLine", { id: "a", name: "A", price: 100, quantity: 1 });
  expect(await window.cartback?.("getCart")).toMatchObject({ lines: [{ id: "a" }] });
});
