import { afterEach, describe, expect, it } from "vitest";
import { launch, newProfile, savedState, shownCart } from "./browser";
import { d1, eventually, ORIGIN } from "./env";

const DAY = 86_400_000;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openShop(profileDir: string, path = "/demo/") {
  const context = await launch(profileDir);
  cleanups.push(() => context.close().catch(() => {}));
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${ORIGIN}${path}`);
  return { context, page, errors };
}

function profile() {
  const p = newProfile();
  cleanups.push(p.remove);
  return p.dir;
}

const storedEvents = (aid: string) => d1<{ id: string; type: string }>(`SELECT id, type FROM events WHERE aid = '${aid}' ORDER BY at`);

describe("the demo shop, through its script tag", () => {
  it("keeps the cart in IndexedDB and reports every change to the collector", async () => {
    const { page, errors } = await openShop(profile());
    await page.click('[data-add="green-tea-100g"]');
    await page.click('[data-add="mug-blue"]');
    await page.click('[data-add="green-tea-100g"]');
    await expect.poll(() => shownCart(page)).toEqual({ "green-tea-100g": 2, "mug-blue": 1 });
    const { aid } = await savedState(page);
    expect(aid).toMatch(/^[\w-]{22}$/);

    const events = await eventually(() => {
      const rows = storedEvents(aid as string);
      expect(rows).toHaveLength(3);
      return rows;
    }, 20_000);
    expect(events.map((e) => e.type)).toEqual(["cart", "cart", "cart"]);
    const [cart] = d1<{ status: string; value: number; item_count: number }>(
      `SELECT status, value, item_count FROM carts WHERE aid = '${aid}'`,
    );
    expect(cart).toEqual({ status: "active", value: 2 * 1250 + 2400, item_count: 3 });
    expect(errors).toEqual([]);
  });
});

describe("a cart that survives", () => {
  it("a browser restart on the same profile, and is gone after its TTL", async () => {
    const dir = profile();
    const first = await openShop(dir);
    await first.page.click('[data-add="oolong-50g"]');
    await first.page.click('[data-add="kettle"]');
    await expect.poll(() => shownCart(first.page)).toEqual({ "oolong-50g": 1, kettle: 1 });
    await first.context.close();

    const second = await openShop(dir);
    await expect.poll(() => shownCart(second.page)).toEqual({ "oolong-50g": 1, kettle: 1 });
    await second.context.close();

    // Seven days and a minute later on the same profile: the script drops the cart on load.
    const third = await launch(dir);
    cleanups.push(() => third.close().catch(() => {}));
    const page = third.pages()[0] ?? (await third.newPage());
    await page.clock.setFixedTime(Date.now() + 7 * DAY + 60_000);
    await page.goto(`${ORIGIN}/demo/`);
    await expect.poll(() => page.locator("#cart").textContent()).toContain("Your cart is empty");
    expect((await savedState(page)).cart).toBeUndefined();
  });

  it("not one day less than its TTL", async () => {
    const dir = profile();
    const first = await openShop(dir);
    await first.page.click('[data-add="oolong-50g"]');
    await expect.poll(() => shownCart(first.page)).toEqual({ "oolong-50g": 1 });
    await first.context.close();

    const second = await launch(dir);
    cleanups.push(() => second.close().catch(() => {}));
    const page = second.pages()[0] ?? (await second.newPage());
    await page.clock.setFixedTime(Date.now() + 6 * DAY);
    await page.goto(`${ORIGIN}/demo/`);
    await expect.poll(() => shownCart(page)).toEqual({ "oolong-50g": 1 });
  });
});

describe("events are never lost", () => {
  it("made while the collector is unreachable, they arrive exactly once when it is back, across a reload", async () => {
    const { context, page } = await openShop(profile());
    let refused = 0;
    await context.route("**/v1/events**", (route) => {
      refused++;
      return route.abort("connectionrefused");
    });
    await page.click('[data-add="green-tea-100g"]');
    await page.click('[data-add="kettle"]');
    await expect.poll(() => refused, { timeout: 10_000 }).toBeGreaterThan(0);
    await page.reload();
    await page.click('[data-add="mug-blue"]');
    await expect.poll(() => shownCart(page)).toEqual({ "green-tea-100g": 1, kettle: 1, "mug-blue": 1 });
    const { aid, outbox } = await savedState(page);
    expect(outbox?.events).toHaveLength(3);
    expect(storedEvents(aid as string)).toEqual([]);

    await context.unroute("**/v1/events**");
    // The script retries on its own backoff; nothing is lost and nothing is stored twice,
    // even though some batches may be sent more than once.
    const events = await eventually(() => {
      const rows = storedEvents(aid as string);
      expect(rows).toHaveLength(3);
      return rows;
    }, 45_000);
    expect(new Set(events.map((e) => e.id))).toEqual(new Set(outbox?.events.map((e) => e.id)));
    await expect.poll(async () => (await savedState(page)).outbox?.events.length, { timeout: 15_000 }).toBe(0);
  });

  it("made just before the page goes away, they are delivered on unload", async () => {
    const { context, page } = await openShop(profile());
    await page.click('[data-add="kettle"]');
    await expect.poll(() => shownCart(page)).toEqual({ kettle: 1 });
    const { aid, outbox } = await savedState(page);
    expect(outbox?.events).toHaveLength(1); // not sent yet: the script waits a second to batch
    // Leave for a page without the script: only the unload send can deliver the event.
    await page.goto("about:blank");
    await eventually(() => expect(storedEvents(aid as string)).toHaveLength(1), 10_000);
    await context.close();
  });
});
