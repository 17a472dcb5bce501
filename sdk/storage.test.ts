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
  expect(puts).toEqual(["outbox"]);
  await transact((s) => {
    s.cart = undefined;
  });
  expect(puts).toEqual(["outbox", "cart"]);
  vi.restoreAllMocks();
  // A key that went reads back as absent, the others as they were.
  const store = createStore("cartback", "state");
  expect(await get("cart", store)).toBeUndefined();
  expect(await transact((s) => [s.cart, s.sync?.currency, s.outbox.events.length])).toEqual([undefined, "EUR", 1]);
});
