import { afterEach, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { signShopperToken } from "../../server/token";
import { closeBrowsers, freshBrowser, savedState, shownCart } from "./browser";
import { ORIGIN } from "./env";

afterEach(closeBrowsers);

/** A separate browser profile: another device. */
async function deviceBrowser() {
  const { context, page } = await freshBrowser();
  page.on("console", (m) => process.env.DEBUG_SYNC && console.log(`[page ${m.type()}] ${m.text()}`));
  page.on("response", (r) => process.env.DEBUG_SYNC && r.url().includes("sync") && console.log(`[net] ${r.status()} ${r.url()}`));
  await page.goto(`${ORIGIN}/demo/`);
  return { context, page };
}

/** What the shop's backend does when its user signs in: sign a token, hand it to the script. */
async function signIn(page: import("playwright-core").Page, userId: string) {
  const token = await signShopperToken({ site: DEMO_SITE.key, userId, secret: DEMO_SITE.secret });
  await page.evaluate(
    ([u, t]) => (window as unknown as { cartback: (...a: unknown[]) => unknown }).cartback("identify", { userId: u, token: t }),
    [userId, token],
  );
}

const call = (page: import("playwright-core").Page, ...args: unknown[]) =>
  page.evaluate((a) => (window as unknown as { cartback: (...x: unknown[]) => Promise<unknown> }).cartback(...a), args);

it("two profiles signed in as one user share one cart, converge after offline edits, and another user sees none of it", async () => {
  const user = `user-${Date.now()}`;
  const laptop = await deviceBrowser();
  const phone = await deviceBrowser();

  // A guest cart merges into the account on sign-in.
  await laptop.page.click('[data-add="green-tea-100g"]');
  await expect.poll(() => shownCart(laptop.page)).toEqual({ "green-tea-100g": 1 });
  await signIn(laptop.page, user);
  await signIn(phone.page, user);
  await expect.poll(() => shownCart(phone.page), { timeout: 10_000 }).toEqual({ "green-tea-100g": 1 });

  // A line added on one shows on the other.
  await phone.page.click('[data-add="mug-blue"]');
  await expect.poll(() => shownCart(laptop.page), { timeout: 10_000 }).toEqual({ "green-tea-100g": 1, "mug-blue": 1 });

  // Both offline, both edit, both back: the same merged cart on each.
  await laptop.context.setOffline(true);
  await phone.context.setOffline(true);
  await laptop.page.click('[data-add="kettle"]');
  await call(phone.page, "updateLine", "green-tea-100g", { quantity: 3 });
  await call(phone.page, "removeLine", "mug-blue");
  await expect.poll(() => shownCart(phone.page)).toEqual({ "green-tea-100g": 3 });
  await laptop.page.waitForTimeout(1500);
  await laptop.context.setOffline(false);
  await phone.context.setOffline(false);
  const merged = { "green-tea-100g": 3, kettle: 1 };
  await expect.poll(() => shownCart(laptop.page), { timeout: 15_000 }).toEqual(merged);
  await expect.poll(() => shownCart(phone.page), { timeout: 15_000 }).toEqual(merged);

  // The merchant revokes the phone: it leaves the account, keeps its cart as a guest cart, and
  // hears of no more changes.
  const { aid: phoneAid } = await savedState(phone.page);
  const revoke = await fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/users/${user}/devices/${phoneAid}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${DEMO_SITE.secret}` },
  });
  expect(revoke.status).toBe(200);
  await expect.poll(async () => (await savedState(phone.page)).account, { timeout: 10_000 }).toBeUndefined();
  await laptop.page.click('[data-add="oolong-50g"]');
  await expect.poll(() => shownCart(laptop.page)).toEqual({ ...merged, "oolong-50g": 1 });
  await phone.page.waitForTimeout(2000);
  expect(await shownCart(phone.page)).toEqual(merged);

  // Someone else, signed in as another user, sees nothing of it.
  const stranger = await deviceBrowser();
  await signIn(stranger.page, `${user}-other`);
  await stranger.page.waitForTimeout(2500);
  expect(await shownCart(stranger.page)).toEqual({});
}, 120_000);
