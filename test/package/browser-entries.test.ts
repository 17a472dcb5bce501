// @vitest-environment happy-dom
// The browser entries as installed from the tarball (global-setup.ts), each loaded from the file its
// `exports` names, in happy-dom with fake-indexeddb: the client records a cart, the checkout
// detectors start, `connect` takes the shop's cart, and `sync` from its own bundle starts the
// cross-device cart of the client from another bundle.
import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { afterAll, expect, inject, it, vi } from "vitest";

const installed = `${inject("scratch")}/node_modules/cartback`;
const { exports } = JSON.parse(readFileSync(`${installed}/package.json`, "utf8"));
/** An entry as the installed package's `exports` maps it. */
const entry = (name: string) => import(`${installed}/${exports[name].import}`);

const { createCartback } = (await entry(".")) as typeof import("../../sdk/index");
const { watchCheckout } = (await entry("./checkout")) as typeof import("../../sdk/checkout/index");
const { connect } = (await entry("./connect")) as typeof import("../../sdk/connect/index");
const { sync } = (await entry("./sync")) as typeof import("../../sdk/sync/index");
const options = { site: "pk_test", endpoint: "https://collector.test", currency: "EUR" };
const tea = { id: "tea", name: "Green tea", price: 1250, quantity: 1 };

vi.stubGlobal(
  "fetch",
  vi.fn(async () => new Response("{}", { status: 202 })),
);
// The sync started below stops, as on a sign-out: its fallback rounds must not outlive the file.
afterAll(() => dispatchEvent(new CustomEvent("cartback:signout", { detail: { token: "t", aid: "a" } })));

it("records a cart", async () => {
  const cartback = createCartback(options);
  await cartback.addLine(tea);
  expect(await cartback.getCart()).toEqual({ currency: "EUR", lines: [tea] });
});

it("starts the checkout detectors, and stops them", () => {
  document.body.innerHTML = '<form><input name="email" type="email"></form>';
  const stop = watchCheckout(vi.fn(), vi.fn());
  expect(stop).toBeTypeOf("function");
  stop();
});

it("takes the shop's own cart with connect", async () => {
  const cartback = createCartback(options);
  const connection = connect(cartback, { read: () => [{ ...tea, quantity: 2 }], restore: vi.fn(), currency: "EUR" });
  await connection.changed();
  expect(await cartback.getCart()).toEqual({ currency: "EUR", lines: [{ ...tea, quantity: 2 }] });
  connection.stop();
});

it("syncs a signed-in shopper's cart: sync's bundle says hello with the token the client's bundle saved", async () => {
  const sent: { url: string; body: { t?: string; token?: string } }[] = [];
  vi.mocked(fetch).mockImplementation(async (url, init) => {
    sent.push({ url: String(url), body: JSON.parse(String(init?.body ?? "{}")) });
    return new Response("{}", { status: 202 });
  });
  const cartback = createCartback({ ...options, sync });
  await cartback.identify({ userId: "u-1", token: "v1.payload.signature" });
  await vi.waitFor(
    () => expect(sent.find((s) => s.url.includes("/v1/sync?"))?.body).toMatchObject({ t: "hello", token: "v1.payload.signature" }),
    {
      timeout: 5000,
    },
  );
});
