import { afterEach, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { asSpanishShop, closeBrowsers, freshBrowser, savedState, shownCart, toCheckout } from "./browser";
import { d1, eventually, ORIGIN, oneMailTo } from "./env";

afterEach(closeBrowsers);

it("a shopper on a Spanish page, in a browser set to English, gets a Spanish email in the outbox, and its link opens a Spanish page", async () => {
  const settings = await fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/settings`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${DEMO_SITE.secret}`, "content-type": "application/json" },
    body: JSON.stringify({ abandonAfterMinutes: 1, holdoutPercent: 0 }),
  });
  expect(settings.status).toBe(200);
  // The demo site writes at any hour (scripts/setup-local.mjs), so the test does not depend on the clock.
  expect(((await settings.json()) as { settings: { quietHours: unknown } }).settings.quietHours).toBeNull();

  const email = `lucia.${Date.now()}@example.com`;
  const shopper = await freshBrowser();
  await asSpanishShop(shopper.context, ORIGIN);
  await shopper.page.goto(`${ORIGIN}/demo/`);
  expect(await shopper.page.locator("html").getAttribute("lang")).toBe("es");
  await shopper.page.click('[data-add="green-tea-100g"]');
  await expect.poll(() => shownCart(shopper.page)).toEqual({ "green-tea-100g": 1 });
  await toCheckout(shopper.page);
  await shopper.page.fill("#email", email);
  await shopper.page.fill("#name", "Lucía Pérez");
  await shopper.page.click("#to-payment");
  const { aid } = await savedState(shopper.page);
  await shopper.page.evaluate(() => (window as unknown as { cartback: (c: string) => Promise<void> }).cartback("flush"));
  await eventually(() => expect(d1(`SELECT locale FROM shoppers WHERE aid = '${aid}'`)[0]?.locale).toBe("es,en-US,en"), 20_000);
  await shopper.context.close();

  const { html, link } = await oneMailTo(email);
  expect(html).toContain('<html lang="es">');
  expect(html).toMatch(/te has dejado algo en el carrito/i);
  expect(html).toContain("12,50\u00a0€");
  expect(html).toContain("Darte de baja");
  expect(link).toBeTruthy();

  // The link, opened on another device set to English, still speaks the email's language. The
  // restore page posts itself at once, so the browser is stopped on it: scripts off.
  const other = await freshBrowser();
  await other.context.setExtraHTTPHeaders({ "Accept-Language": "en-US" });
  const page = other.page;
  await other.context.route(`${ORIGIN}/r/**`, async (route) => {
    const res = await route.fetch();
    // The page as served, with its self-submitting script removed so it stays on screen.
    await route.fulfill({ response: res, body: (await res.text()).replace(/<script>[^<]*<\/script>/, "") });
  });
  await page.goto(link);
  expect(await page.locator("html").getAttribute("lang")).toBe("es");
  expect(await page.locator("h1").textContent()).toBe("Tu carrito te está esperando");
  expect(await page.locator("button").textContent()).toBe("Abrir mi carrito");
}, 240_000);
