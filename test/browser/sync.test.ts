import { afterEach, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { signShopperToken } from "../../server/token";
import { closeBrowsers, freshBrowser, savedState, shownCart } from "./browser";
import { ORIGIN } from "./env";

afterEach(closeBrowsers);

/** A separate browser profile: another device. `sockets` counts the sync sockets it opened, `posts` its POST /v1/sync. */
async function deviceBrowser() {
  const { context, page } = await freshBrowser();
  const counts = { sockets: 0, posts: 0 };
  page.on("websocket", (ws) => {
    if (ws.url().includes("/v1/sync/ws")) counts.sockets++;
    if (!process.env.DEBUG_SYNC) return;
    console.log(`[ws] open ${ws.url()}`);
    ws.on("framesent", (f) => console.log(`[ws] > ${String(f.payload).slice(0, 200)}`));
    ws.on("framereceived", (f) => console.log(`[ws] < ${String(f.payload).slice(0, 200)}`));
    ws.on("close", () => console.log("[ws] closed"));
    ws.on("socketerror", (e) => console.log(`[ws] error ${e}`));
  });
  page.on("request", (r) => r.method() === "POST" && /\/v1\/sync\?/.test(r.url()) && counts.posts++);
  page.on("console", (m) => process.env.DEBUG_SYNC && console.log(`[page ${m.type()}] ${m.text()}`));
  page.on("response", (r) => process.env.DEBUG_SYNC && r.url().includes("sync") && console.log(`[net] ${r.status()} ${r.url()}`));
  await page.goto(`${ORIGIN}/demo/`);
  return { context, page, counts };
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

  // A line added on one shows on the other, pushed over the socket.
  await phone.page.click('[data-add="mug-blue"]');
  await expect.poll(() => shownCart(laptop.page), { timeout: 10_000 }).toEqual({ "green-tea-100g": 1, "mug-blue": 1 });
  expect(laptop.counts.sockets).toBeGreaterThan(0);
  // Idle and visible: no requests at all (the socket stays open; keep-alives only).
  const posts = laptop.counts.posts + phone.counts.posts;
  await laptop.page.waitForTimeout(3000);
  expect(laptop.counts.posts + phone.counts.posts).toBe(posts);

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

it("five profiles: an edit on one shows on the other four; a sixth retires the least recently seen, told over its socket", async () => {
  const user = `five-${Date.now()}`;
  const devices: Awaited<ReturnType<typeof deviceBrowser>>[] = [];
  for (let i = 0; i < 5; i++) {
    const d = await deviceBrowser();
    await signIn(d.page, user);
    devices.push(d);
    // Sign-ins in order, so the first is the least recently seen.
    await expect.poll(async () => d.counts.sockets, { timeout: 10_000 }).toBeGreaterThan(0);
  }
  await call(devices[2]?.page as import("playwright-core").Page, "addLine", { id: "kettle", name: "Kettle", price: 4500, quantity: 2 });
  for (const d of devices) await expect.poll(() => shownCart(d.page), { timeout: 10_000 }).toEqual({ kettle: 2 });
  // Quantity on one, variant on another, at once: both survive everywhere.
  await Promise.all([
    call(devices[0]?.page as import("playwright-core").Page, "updateLine", "kettle", { quantity: 3 }),
    call(devices[4]?.page as import("playwright-core").Page, "updateLine", "kettle", { variant: "steel" }),
  ]);
  const lineOf = (page: import("playwright-core").Page) =>
    call(page, "getCart").then((c) => (c as { lines: { id: string; quantity: number; variant?: string }[] }).lines);
  for (const d of devices)
    await expect
      .poll(() => lineOf(d.page), { timeout: 10_000 })
      .toEqual([expect.objectContaining({ id: "kettle", quantity: 3, variant: "steel" })]);
  const sixth = await deviceBrowser();
  await signIn(sixth.page, user);
  await expect.poll(() => shownCart(sixth.page), { timeout: 10_000 }).toEqual({ kettle: 3 });
  // The first device hears it on its socket, without a reload: it leaves and keeps its cart.
  await expect
    .poll(async () => (await savedState(devices[0]?.page as import("playwright-core").Page)).account, { timeout: 10_000 })
    .toBeUndefined();
  expect(await shownCart(devices[0]?.page as import("playwright-core").Page)).toEqual({ kettle: 3 });
  for (const d of devices.slice(1)) expect((await savedState(d.page)).account?.userId).toBe(user);
}, 180_000);

it("a socket the server closes mid-edit, and a socket that never opens: nothing lost, nothing doubled", async () => {
  const user = `cut-${Date.now()}`;
  const laptop = await deviceBrowser();
  const phone = await deviceBrowser();
  // Between the phone and the collector: a relay the test can cut, as the collector restarting would.
  const relays: { close: () => Promise<void> }[] = [];
  await phone.page.routeWebSocket(/\/v1\/sync\/ws/, (ws) => {
    ws.connectToServer();
    // What the page sees when the collector restarts: 1012, the other side closed with it.
    relays.push({ close: () => ws.close({ code: 1012, reason: "restarting" }) });
  });
  await signIn(laptop.page, user);
  await signIn(phone.page, user);
  await expect.poll(() => relays.length, { timeout: 10_000 }).toBeGreaterThan(0);
  await laptop.page.click('[data-add="green-tea-100g"]');
  await expect.poll(() => shownCart(phone.page), { timeout: 10_000 }).toEqual({ "green-tea-100g": 1 });
  // Edits on the phone, and the socket cut while they go.
  const edits = [
    call(phone.page, "updateLine", "green-tea-100g", { quantity: 4 }),
    call(phone.page, "addLine", { id: "mug-blue", name: "Mug", price: 1200, quantity: 1 }),
  ];
  await relays.at(-1)?.close();
  await Promise.all(edits);
  await call(laptop.page, "addLine", { id: "kettle", name: "Kettle", price: 4500, quantity: 1 });
  const merged = { "green-tea-100g": 4, "mug-blue": 1, kettle: 1 };
  await expect.poll(() => shownCart(laptop.page), { timeout: 20_000 }).toEqual(merged);
  await expect.poll(() => shownCart(phone.page), { timeout: 20_000 }).toEqual(merged);
  // It reconnected (the fallback may have carried the edits first: the socket comes back after its
  // jittered backoff, 0.5-1.5 s).
  await expect.poll(() => relays.length, { timeout: 10_000 }).toBeGreaterThan(1);

  // A third device whose sockets never open: it falls back to POST /v1/sync and still converges.
  const blocked = await deviceBrowser();
  await blocked.page.routeWebSocket(/\/v1\/sync\/ws/, (ws) => ws.close({ code: 1006, reason: "blocked" }));
  await signIn(blocked.page, user);
  await expect.poll(() => shownCart(blocked.page), { timeout: 20_000 }).toEqual(merged);
  await call(blocked.page, "removeLine", "kettle");
  const after = { "green-tea-100g": 4, "mug-blue": 1 };
  await expect.poll(() => shownCart(laptop.page), { timeout: 20_000 }).toEqual(after);
  await expect.poll(() => shownCart(phone.page), { timeout: 20_000 }).toEqual(after);
  expect(blocked.counts.posts).toBeLessThanOrEqual(4);
}, 180_000);
