// @vitest-environment node
// Server-side rendering (Next, Nuxt, SvelteKit, Astro) imports the shop's components in Node: every
// entry of the package imports there, and `createCartback` gives a client that does nothing.
import { afterEach, expect, it, vi } from "vitest";

afterEach(() => vi.restoreAllMocks());

it("every entry imports in Node, where there is no window nor document", async () => {
  expect(typeof window).toBe("undefined");
  const entries = await Promise.all([import("./index"), import("./checkout/index"), import("./connect/index"), import("./sync/index")]);
  expect(entries.map((entry) => Object.keys(entry).sort())).toEqual([
    ["createCartback"],
    ["e164", "watchCheckout"],
    ["connect", "refills", "usable"],
    ["sync"],
  ]);
});

it("createCartback in Node returns a client whose methods resolve and do nothing, and says why once", async () => {
  const warned = vi.spyOn(console, "warn").mockImplementation(() => {});
  const { createCartback } = await import("./index");
  const options = { site: "pk_test", endpoint: "https://collector.test" };
  const cartback = createCartback(options);
  const again = createCartback(options);
  await cartback.addLine({ id: "tea", name: "Green tea", price: 1250, quantity: 1 });
  await cartback.identify({ email: "ana@example.com" });
  await again.moment("payment_failed", { code: "card_declined" });
  expect(await cartback.getCart()).toBeUndefined();
  const listener = vi.fn();
  const unsubscribe = cartback.onCart(listener);
  expect(typeof unsubscribe).toBe("function");
  unsubscribe();
  cartback.onRestore(listener);
  expect(listener).not.toHaveBeenCalled();
  // Not a promise (an `await` of the client itself must not hang), nor anything else but its methods.
  expect(await Promise.race([Promise.resolve(cartback).then(() => "resolved"), new Promise((r) => setTimeout(r, 100, "hung"))])).toBe(
    "resolved",
  );
  expect(Symbol.iterator in cartback ? (cartback as never)[Symbol.iterator] : undefined).toBeUndefined();
  expect(warned).toHaveBeenCalledTimes(1);
  expect(String(warned.mock.calls[0])).toMatch(/not in a browser/);
});
