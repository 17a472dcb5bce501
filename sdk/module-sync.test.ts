// The ES module's `sync` option starts the cross-device cart when the script tag would load
// `cartback-sync.js`: on a page whose shopper is signed in, or on `identify` with a token; once a
// page; never for a guest. The tag's own loading is tested in tag.test.ts.
import { expect, it, vi } from "vitest";

const options = { site: "pk_test", endpoint: "https://collector.test", currency: "EUR" };

it("a guest's page never starts it, nor does identify without a token", async () => {
  const { createCartback } = await import("./index");
  const sync = vi.fn();
  const cartback = createCartback({ ...options, sync });
  await cartback.identify({ email: "ana@example.com" });
  await cartback.addLine({ id: "tea", name: "Green tea", price: 1250, quantity: 1 });
  expect(sync).not.toHaveBeenCalled();
});

it("identify with a token starts it once, with the client, after the account is saved", async () => {
  const { createCartback } = await import("./index");
  const { transact } = await import("./storage");
  const accounts: unknown[] = [];
  const sync = vi.fn((_options, client: { getCart: () => Promise<unknown> }, read: typeof transact) => {
    // Its first read, as the sync's first step makes it: after the client's getCart.
    client.getCart().then(() => read((s) => accounts.push(s.account)));
  });
  const cartback = createCartback({ ...options, sync });
  await cartback.identify({ userId: "u-1", token: "v1.payload.signature" });
  await cartback.identify({ userId: "u-1", token: "v1.payload.signature" });
  expect(sync).toHaveBeenCalledTimes(1);
  expect(sync.mock.calls[0]?.[0]).toMatchObject(options);
  await vi.waitFor(() => expect(accounts).toEqual([{ userId: "u-1", token: "v1.payload.signature" }]));
});

it("a page whose shopper signed in before starts it as it loads", async () => {
  const { transact } = await import("./storage");
  await transact((s) => {
    s.account = { userId: "u-1", token: "v1.payload.signature" };
  });
  const { createCartback } = await import("./index");
  const sync = vi.fn();
  createCartback({ ...options, sync });
  await vi.waitFor(() => expect(sync).toHaveBeenCalledTimes(1));
});
