import { afterEach, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { closeBrowsers, freshBrowser, savedState, shownCart, toCheckout } from "./browser";
import { d1, eventually, ORIGIN } from "./env";

afterEach(closeBrowsers);

interface OutboxMail {
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
}

const outbox = async (): Promise<OutboxMail[]> => (await fetch(`${ORIGIN}/dev/outbox.json`)).json() as Promise<OutboxMail[]>;

it("a declined payment, then one email in the outbox, whose link restores the cart on another device and later says 'already ordered'", async () => {
  // The merchant sets a short threshold (1 minute) and where restored carts land.
  const settings = await fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/settings`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${DEMO_SITE.secret}`, "content-type": "application/json" },
    body: JSON.stringify({ abandonAfterMinutes: 1, restoreUrl: `${ORIGIN}/demo/`, holdoutPercent: 0 }),
  });
  expect(settings.status).toBe(200);

  // Device 1: fill a cart, give an email, fail the payment, leave.
  const email = `ana.${Date.now()}@example.com`;
  const laptop = await freshBrowser();
  await laptop.page.goto(`${ORIGIN}/demo/`);
  await laptop.page.click('[data-add="green-tea-100g"]');
  await laptop.page.click('[data-add="kettle"]');
  await expect.poll(() => shownCart(laptop.page)).toEqual({ "green-tea-100g": 1, kettle: 1 });
  await toCheckout(laptop.page);
  await laptop.page.fill("#email", email);
  await laptop.page.fill("#name", "Ana Lima");
  await laptop.page.click("#to-payment");
  await laptop.page.fill("#card", "4000 0000 0000 0002");
  await laptop.page.click("#pay");
  await expect.poll(() => laptop.page.locator("#declined").isVisible()).toBe(true);
  const { aid } = await savedState(laptop.page);
  await laptop.page.evaluate(() => (window as unknown as { cartback: (c: string) => Promise<void> }).cartback("flush"));
  await eventually(
    () => expect(d1(`SELECT id FROM events WHERE aid = '${aid}' AND data LIKE '%"payment_failed"%'`)).toHaveLength(1),
    20_000,
  );
  await laptop.context.close();

  // About a minute later: exactly one email, about the payment.
  const mail = await eventually(
    async () => {
      const mine = (await outbox()).filter((m) => m.to === email);
      expect(mine).toHaveLength(1);
      return mine[0] as OutboxMail;
    },
    150_000,
    2000,
  );
  expect(mail.subject).toBe("Ana, your payment didn't go through");
  expect(mail.text).toContain("Green tea (100 g tin): 1 × €12.50");
  expect(mail.headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
  const link = /href="(http:\/\/127\.0\.0\.1:\d+\/r\/[\w-]+)"/.exec(mail.html)?.[1] as string;
  expect(link).toBeTruthy();

  // Device 2, a fresh profile: one click restores the cart.
  const phone = await freshBrowser();
  await phone.page.goto(link);
  await phone.page.waitForURL(`${ORIGIN}/demo/**`);
  await expect.poll(() => shownCart(phone.page)).toEqual({ "green-tea-100g": 1, kettle: 1 });
  await expect.poll(() => phone.page.locator("#notice").textContent()).toContain("Welcome back");
  expect(phone.page.url()).not.toContain("cartback_restore"); // the token leaves the address bar
  // The click is a person's first input on the restored page (a scanner that runs scripts makes none).
  await phone.page.mouse.move(60, 60);
  await phone.page.mouse.move(140, 100);
  await eventually(() => expect(d1(`SELECT clicked_at FROM messages WHERE email = '${email}'`)[0]?.clicked_at).toBeGreaterThan(0), 20_000);

  // The shopper buys on the phone; the link now says so instead of restoring.
  await toCheckout(phone.page);
  await phone.page.fill("#email", email);
  await phone.page.click("#to-payment");
  await phone.page.fill("#card", "4242 4242 4242 4242");
  await phone.page.click("#pay");
  await expect.poll(() => phone.page.locator("#notice").textContent()).toContain("Thank you");
  await phone.page.evaluate(() => (window as unknown as { cartback: (c: string) => Promise<void> }).cartback("flush"));
  await eventually(
    () =>
      expect(
        d1(`SELECT status FROM carts WHERE status = 'purchased' AND aid IN (SELECT aid FROM shoppers WHERE email = '${email}')`).length,
      ).toBeGreaterThan(0),
    20_000,
  );

  const later = await freshBrowser();
  await later.page.goto(link);
  await expect.poll(() => later.page.locator("h1").textContent()).toBe("You already ordered this");
  expect((await outbox()).filter((m) => m.to === email)).toHaveLength(1);
}, 240_000);
