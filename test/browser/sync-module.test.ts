// The cross-device cart from the ES module: a shop that bundles `createCartback({ sync })` (the demo
// at examples/module-shop, built with esbuild from the package's own exports) gets the same cart on
// two devices as a shop with the script tag.
import type { Page } from "playwright-core";
import { afterEach, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { signShopperToken } from "../../server/token";
import { closeBrowsers, freshBrowser, shownCart } from "./browser";
import { ORIGIN } from "./env";

afterEach(closeBrowsers);

/** A separate browser profile (another device) on the ES-module shop; `sockets` counts the sync sockets it opened. */
async function device() {
  const { page } = await freshBrowser();
  const counts = { sockets: 0, tagFiles: 0 };
  page.on("websocket", (ws) => ws.url().includes("/v1/sync/ws") && counts.sockets++);
  // The module carries its sync: the script tag's files are never fetched.
  page.on("request", (r) => /\/cartback(-\w+)?\.js$/.test(new URL(r.url()).pathname) && counts.tagFiles++);
  await page.goto(`${ORIGIN}/module-shop/`);
  await page.waitForFunction(() => "shop" in window);
  return { page, counts };
}

/** The shop's sign-in: its backend signs a token, the page hands it to `identify`. */
async function signIn(page: Page, userId: string) {
  const token = await signShopperToken({ site: DEMO_SITE.key, userId, secret: DEMO_SITE.secret });
  await page.evaluate(([u, t]) => (window as unknown as { shop: { signIn: (u: string, t: string) => Promise<void> } }).shop.signIn(u, t), [
    userId,
    token,
  ] as const);
}

it("two profiles signed in as one user on an ES-module shop share one cart", async () => {
  const user = `module-${Date.now()}`;
  const laptop = await device();
  const phone = await device();

  // A guest cart merges into the account on sign-in.
  await laptop.page.click('[data-add="green-tea-100g"]');
  await expect.poll(() => shownCart(laptop.page)).toEqual({ "green-tea-100g": 1 });
  await signIn(laptop.page, user);
  await signIn(phone.page, user);
  await expect.poll(() => shownCart(phone.page), { timeout: 15_000 }).toEqual({ "green-tea-100g": 1 });

  // Added on the phone, shown on the laptop, and back.
  await phone.page.click('[data-add="kettle"]');
  await expect.poll(() => shownCart(laptop.page), { timeout: 15_000 }).toEqual({ "green-tea-100g": 1, kettle: 1 });
  await laptop.page.click('[data-add="oolong-50g"]');
  await expect.poll(() => shownCart(phone.page), { timeout: 15_000 }).toEqual({ "green-tea-100g": 1, kettle: 1, "oolong-50g": 1 });
  expect(laptop.counts.sockets).toBeGreaterThan(0);
  expect(phone.counts.sockets).toBeGreaterThan(0);
  expect(laptop.counts.tagFiles + phone.counts.tagFiles).toBe(0);

  // A reload on the laptop: signed in already, the sync starts with the page, and another change still arrives.
  await laptop.page.reload();
  await laptop.page.waitForFunction(() => "shop" in window);
  await phone.page.click('[data-add="green-tea-100g"]');
  await expect.poll(() => shownCart(laptop.page), { timeout: 15_000 }).toEqual({ "green-tea-100g": 2, kettle: 1, "oolong-50g": 1 });
}, 120_000);
