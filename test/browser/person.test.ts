// The person, not the browser, in real Chromium against `wrangler dev`: two and more profiles of
// one shopper, with real timing. Each scenario uses its own addresses, so they can share a run.
import type { Page } from "playwright-core";
import { afterEach, beforeAll, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { signShopperToken } from "../../server/token";
import { closeBrowsers, freshBrowser, shownCart } from "./browser";
import { d1, eventually, ORIGIN, oneMailTo } from "./env";

afterEach(closeBrowsers);

const THRESHOLD_MS = 60_000;

beforeAll(async () => {
  const res = await fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/settings`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${DEMO_SITE.secret}`, "content-type": "application/json" },
    body: JSON.stringify({
      abandonAfterMinutes: 1,
      holdoutPercent: 0,
      maxSequencesPerDay: 10,
      restoreUrl: `${ORIGIN}/demo/`,
      restoreUrls: {},
    }),
  });
  expect(res.status).toBe(200);
});

const call = (page: Page, ...args: unknown[]) =>
  page.evaluate((a) => (window as unknown as { cartback: (...x: unknown[]) => Promise<unknown> }).cartback(...a), args);

async function device(): Promise<Page> {
  const { page } = await freshBrowser();
  await page.goto(`${ORIGIN}/demo/`);
  return page;
}

const tea = { currency: "EUR", lines: [{ id: "green-tea-100g", name: "Green tea (100 g tin)", price: 1250, quantity: 2 }] };

/** A laptop fills a cart, gives the email, has its card declined and leaves; returns when it left. */
async function declineAndLeave(email: string, who: { userId?: string } = {}): Promise<number> {
  const laptop = await device();
  await call(laptop, "setCart", tea);
  await call(laptop, "identify", { email, name: "Ana", ...(await tokenFor(who.userId)) });
  await call(laptop, "checkout");
  await call(laptop, "moment", "payment_failed", { code: "card_declined" });
  await call(laptop, "flush");
  const left = Date.now();
  await laptop.context().close();
  return left;
}

const tokenFor = async (userId?: string) =>
  userId ? { userId, token: await signShopperToken({ site: DEMO_SITE.key, userId, secret: DEMO_SITE.secret }) } : {};

/** Another device buys: returns when the collector accepted the order (the flush resolved on its 202). */
async function buyOn(page: Page, email: string | undefined, orderId: string, who: { userId?: string } = {}): Promise<number> {
  if (email || who.userId) await call(page, "identify", { ...(email && { email }), ...(await tokenFor(who.userId)) });
  await call(page, "purchase", { orderId, total: 2500 });
  await call(page, "flush");
  return Date.now();
}

const sentTo = (email: string) =>
  d1<{ id: string; status: string; sent_at: number | null; cancel_reason: string | null }>(
    `SELECT id, status, sent_at, cancel_reason FROM messages WHERE email = '${email}' AND kind = 'recovery'`,
  );

it("the laptop declines, the phone buys 15 s later (as a guest, and signed in on both): no email at all", async () => {
  const stamp = Date.now();
  const guest = `guest.${stamp}@example.com`;
  const member = `member.${stamp}@example.com`;
  const [guestLeft, memberLeft] = await Promise.all([declineAndLeave(guest), declineAndLeave(member, { userId: `u-${stamp}` })]);
  await new Promise((r) => setTimeout(r, 15_000));
  const [guestPhone, memberPhone] = await Promise.all([device(), device()]);
  await call(guestPhone, "setCart", tea);
  await call(memberPhone, "setCart", tea);
  await buyOn(guestPhone, guest, `g-${stamp}`);
  // Signed in, the phone's shop says who the account is; the email is the laptop's.
  await buyOn(memberPhone, undefined, `m-${stamp}`, { userId: `u-${stamp}` });
  // Past the laptop's threshold, and long enough for a sequence the stale cart would start.
  const wait = Math.max(guestLeft, memberLeft) + THRESHOLD_MS + 20_000 - Date.now();
  await new Promise((r) => setTimeout(r, wait));
  expect(sentTo(guest)).toEqual([]);
  expect(sentTo(member)).toEqual([]);
  expect(d1(`SELECT id FROM sequences WHERE email IN ('${guest}', '${member}')`)).toEqual([]);
}, 180_000);

it("purchases on another device at due −1 s … +1 s, 10 trials: no email goes out after a purchase was accepted", async () => {
  const stamp = Date.now();
  const offsets = Array.from({ length: 10 }, (_, i) => -1000 + (i * 2000) / 9);
  const trials = await Promise.all(
    offsets.map(async (offset, i) => {
      await new Promise((r) => setTimeout(r, i * 2500)); // staggered: ten browsers at once on two cores
      const email = `race.${i}.${stamp}@example.com`;
      const left = await declineAndLeave(email);
      const phone = await device();
      await call(phone, "setCart", tea);
      // The first step is due a threshold after the laptop's last event.
      await new Promise((r) => setTimeout(r, Math.max(0, left + THRESHOLD_MS + offset - Date.now())));
      const acceptedAt = await buyOn(phone, email, `race-${i}-${stamp}`);
      return { email, offset, acceptedAt };
    }),
  );
  await new Promise((r) => setTimeout(r, 10_000)); // the mail queue has had every chance
  const late = trials.flatMap((t) =>
    sentTo(t.email)
      .filter((m) => m.sent_at !== null && m.sent_at > t.acceptedAt)
      .map((m) => ({ ...t, m })),
  );
  expect(late).toEqual([]);
  // Each trial either sent before the purchase or cancelled the message; at most one each.
  for (const t of trials) expect(sentTo(t.email).length).toBeLessThanOrEqual(1);
}, 240_000);

it("a scanner opens the link: nothing; a person opens it on another profile: click counted, sequence stopped as returned, their order there credited", async () => {
  const email = `linked.${Date.now()}@example.com`;
  await declineAndLeave(email);
  const { link } = await oneMailTo(email);

  // A link scanner with JavaScript: a headless profile that opens the link and waits, no input.
  const scanner = await freshBrowser();
  await scanner.page.goto(link);
  await scanner.page.waitForURL(`${ORIGIN}/demo/**`);
  await expect.poll(() => shownCart(scanner.page)).toEqual({ "green-tea-100g": 2 });
  await new Promise((r) => setTimeout(r, 3000));
  expect(d1(`SELECT clicked_at FROM messages WHERE email = '${email}'`)[0]?.clicked_at).toBeNull();
  expect(d1(`SELECT status FROM sequences WHERE email = '${email}'`)[0]?.status).toBe("active");

  // A person, on a fresh profile: the cart comes back, and they move the mouse.
  const tablet = await freshBrowser();
  await tablet.page.goto(link);
  await tablet.page.waitForURL(`${ORIGIN}/demo/**`);
  await expect.poll(() => shownCart(tablet.page)).toEqual({ "green-tea-100g": 2 });
  await tablet.page.mouse.move(40, 40);
  await tablet.page.mouse.move(120, 90);
  await eventually(() => expect(d1(`SELECT clicked_at FROM messages WHERE email = '${email}'`)[0]?.clicked_at).toBeGreaterThan(0), 20_000);
  await eventually(
    () =>
      expect(d1(`SELECT status, stop_reason FROM sequences WHERE email = '${email}'`)[0]).toEqual({
        status: "stopped",
        stop_reason: "returned",
      }),
    20_000,
  );
  // They buy there without typing the email again: the tablet is theirs now, and the message gets the credit.
  await buyOn(tablet.page, undefined, `tablet-${Date.now()}`);
  await eventually(
    () => expect(d1(`SELECT recovered_order_id FROM sequences WHERE email = '${email}'`)[0]?.recovered_order_id).toMatch(/^tablet-/),
    20_000,
  );
}, 240_000);
