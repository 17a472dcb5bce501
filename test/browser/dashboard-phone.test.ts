// The dashboard on a phone (issue 20, point 3): at 390 px nothing runs off the page. The tables
// (each interrupted order's reason, value and status) and the webhook URLs stay inside their card.
// Real Chromium against `wrangler dev`, on a dashboard with data.
import { mkdirSync } from "node:fs";
import { afterEach, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { launch, newProfile } from "./browser";
import { ORIGIN, root } from "./env";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const auth = { authorization: `Bearer ${DEMO_SITE.secret}`, "content-type": "application/json" };
const id = () => crypto.randomUUID().replaceAll("-", "");

it("at 390 px the dashboard is no wider than the screen, and an order's reason, value and status are on it", async () => {
  // Long words where a phone has no room: the platform webhook URLs, a shopper's email, a big value.
  const patch = await fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/settings`, {
    method: "PATCH",
    headers: auth,
    body: JSON.stringify({ abandonAfterMinutes: 1, holdoutPercent: 0 }),
  });
  expect(patch.status, await patch.clone().text()).toBe(200);
  const email = `maria.fernanda.gonzalez-etxeberria.${Date.now()}@correo-electronico.example.com`;
  const at = Date.now() - 10 * 60_000;
  const res = await fetch(`${ORIGIN}/v1/events?site=${DEMO_SITE.key}`, {
    method: "POST",
    headers: { origin: ORIGIN, "content-type": "text/plain" },
    body: JSON.stringify({
      aid: id(),
      sentAt: Date.now(),
      events: [
        {
          id: id(),
          at,
          type: "cart",
          action: "set",
          cart: { currency: "EUR", lines: [{ id: "k", name: "Kettle", price: 123456789, quantity: 1 }] },
        },
        { id: id(), at, type: "identify", email },
        { id: id(), at: at + 1, type: "moment", kind: "payment_failed", code: "card_declined" },
      ],
    }),
  });
  expect(res.status).toBe(202);
  await expect
    .poll(
      async () => {
        const page = await fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/settings`, { headers: auth });
        return (
          page.status === 200 &&
          (await (await fetch(`${ORIGIN}/v1/stats?site=${DEMO_SITE.key}`, { headers: auth })).json()).abandoned.carts > 0
        );
      },
      { timeout: 20_000 },
    )
    .toBe(true);

  const profile = newProfile();
  const context = await launch(profile.dir);
  cleanups.push(profile.remove, () => context.close().catch(() => {}));
  const page = context.pages()[0] ?? (await context.newPage());
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${ORIGIN}/dashboard`);
  await page.fill("#site", DEMO_SITE.key);
  await page.fill("#secret", DEMO_SITE.secret);
  await page.click("button[type=submit]");
  await expect.poll(() => page.locator("#orders").textContent(), { timeout: 30_000 }).toContain(email);

  mkdirSync(`${root}test-results`, { recursive: true });
  await page.screenshot({ path: `${root}test-results/dashboard-390.png`, fullPage: true });
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
  // The order's row: its reason, value and status inside the screen, not only inside the page.
  const row = page.locator("#orders tr", { hasText: email });
  expect(await row.textContent()).toContain("card declined");
  const cells = await row.locator("td").evaluateAll((tds) => tds.map((td) => td.getBoundingClientRect().toJSON() as DOMRect));
  expect(cells.length).toBeGreaterThanOrEqual(5);
  for (const [i, cell] of cells.entries())
    expect(cell.x >= 0 && cell.right <= innerWidth, `cell ${i} at ${JSON.stringify(cell)}`).toBe(true);
  // The platform webhook URLs wrap inside their card.
  const urls = await page.locator("#platform code").evaluateAll((codes) => codes.map((c) => c.getBoundingClientRect().right));
  expect(urls.length).toBeGreaterThanOrEqual(2);
  for (const right of urls) expect(right).toBeLessThanOrEqual(innerWidth);
}, 120_000);
