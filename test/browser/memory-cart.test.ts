// A single-page shop whose cart lives only in page memory (examples/memory-cart/), wired up with
// `connect`: a browser restart empties the shop's cart, and Cartback's 7-day copy must fill it
// again (README, Connect your shop). Real Chromium against `wrangler dev`, one profile restarted.
import type { BrowserContext, Page } from "playwright-core";
import { afterEach, expect, it } from "vitest";
import { launch, newProfile, savedState } from "./browser";
import { ORIGIN } from "./env";

const SHOP = `${ORIGIN}/memory-cart/`;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The browser on `dir`, started (again), on the shop. */
async function open(dir: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await launch(dir);
  cleanups.push(() => context.close().catch(() => {}));
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(SHOP);
  return { context, page };
}

/** The lines the shop's own UI shows: `[sku, quantity]`. */
const shown = (page: Page) =>
  page
    .locator("#cart li")
    .evaluateAll((rows) => rows.map((r) => [(r as HTMLElement).dataset.sku, Number((r as HTMLElement).dataset.cantidad)]));

it("a shop whose cart is in page memory shows its lines again after a browser restart, and a bought cart stays gone", async () => {
  const profile = newProfile();
  cleanups.push(profile.remove);
  const first = await open(profile.dir);
  await first.page.click('[data-add="cafe-grano"]');
  await first.page.click('[data-add="cafe-grano"]');
  await first.page.click('[data-add="merken"]');
  await expect
    .poll(async () => (await savedState(first.page)).cart?.lines.map((l) => [l.id, l.quantity]))
    .toEqual([
      ["cafe-grano", 2],
      ["merken", 1],
    ]);
  await first.context.close();

  // The same browser, restarted: the page's memory is gone, the shop's UI shows the lines again.
  const second = await open(profile.dir);
  await expect
    .poll(() => shown(second.page))
    .toEqual([
      ["cafe-grano", 2],
      ["merken", 1],
    ]);
  // ...and stays so (Cartback's copy was not emptied by the shop's empty first read).
  await second.page.waitForTimeout(4500);
  expect((await savedState(second.page)).cart?.lines.map((l) => l.id)).toEqual(["cafe-grano", "merken"]);
  expect(await shown(second.page)).toHaveLength(2);

  // The shopper buys: after another restart the bought cart does not come back.
  await second.page.click("#pay");
  await expect.poll(async () => (await savedState(second.page)).cart).toBeUndefined();
  await second.context.close();
  const third = await open(profile.dir);
  await third.page.waitForTimeout(4500);
  expect(await shown(third.page)).toEqual([]);
  expect(await third.page.locator("#empty").isVisible()).toBe(true);
}, 120_000);
