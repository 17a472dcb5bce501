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

it("a merchant signs in, reads the figures, changes a setting, previews a template (screenshot saved)", async () => {
  // Figures to read: two shoppers whose carts went quiet ten minutes ago, through the real ingest path.
  const auth = { authorization: `Bearer ${DEMO_SITE.secret}`, "content-type": "application/json" };
  const patch = await fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/settings`, {
    method: "PATCH",
    headers: auth,
    body: JSON.stringify({ shopName: "Tea & Kettle", abandonAfterMinutes: 1, holdoutPercent: 0 }),
  });
  expect(patch.status).toBe(200);
  const before = (await (await fetch(`${ORIGIN}/v1/stats?site=${DEMO_SITE.key}`, { headers: auth })).json()).abandoned.carts as number;
  const id = () => crypto.randomUUID().replaceAll("-", "");
  for (const [i, price] of [2500, 6900].entries()) {
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
            cart: { currency: "EUR", lines: [{ id: `p${i}`, name: `Product ${i}`, price, quantity: 1 }] },
          },
          { id: id(), at, type: "identify", email: `dash-${Date.now()}-${i}@example.com` },
        ],
      }),
    });
    expect(res.status).toBe(202);
  }
  await expect
    .poll(async () => (await (await fetch(`${ORIGIN}/v1/stats?site=${DEMO_SITE.key}`, { headers: auth })).json()).abandoned.carts, {
      timeout: 20_000,
    })
    .toBe(before + 2);

  const profile = newProfile();
  const context = await launch(profile.dir);
  cleanups.push(profile.remove, () => context.close().catch(() => {}));
  const page = context.pages()[0] ?? (await context.newPage());
  await page.setViewportSize({ width: 1200, height: 900 });

  await page.goto(`${ORIGIN}/dashboard`);
  await page.fill("#site", DEMO_SITE.key);
  await page.fill("#secret", "sk_wrong");
  await page.click("button[type=submit]");
  await expect.poll(() => page.locator(".errors").textContent()).toContain("do not match");
  await page.fill("#site", DEMO_SITE.key);
  await page.fill("#secret", DEMO_SITE.secret);
  await page.click("button[type=submit]");
  await expect.poll(() => page.locator("[data-figure=abandoned]").count()).toBe(1);
  expect(Number(await page.locator("[data-figure=abandoned]").textContent())).toBe(before + 2);
  expect(await page.locator("#orders").textContent()).toContain("dash-");
  expect(await page.locator("#funnel").textContent()).toContain("cart");

  // Change a setting: the threshold, and the reminder's subject.
  await page.fill("#abandonAfterMinutes", "45");
  await page.locator("summary", { hasText: "reminder" }).click();
  await page.fill('input[name="reminder.subject"]', "{{name}}, your tea is waiting");
  await page.click("text=Save settings");
  await expect.poll(() => page.locator("[role=status]").first().textContent()).toContain("Settings saved.");
  expect(await page.inputValue("#abandonAfterMinutes")).toBe("45");
  const stored = await (
    await fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/settings`, { headers: { authorization: `Bearer ${DEMO_SITE.secret}` } })
  ).json();
  expect(stored.settings).toMatchObject({ abandonAfterMinutes: 45, templates: { reminder: { subject: "{{name}}, your tea is waiting" } } });

  // Preview the reminder: rendered from a real captured cart (or the sample), with the new subject.
  await page.selectOption('select[name="reason"]', "reminder");
  await page.click("text=Preview >> nth=-1");
  const frame = page.frameLocator('iframe[title="Email preview"]');
  await expect.poll(() => frame.locator("title").textContent()).toBe("Ana, your tea is waiting");
  await page.locator("#preview").scrollIntoViewIfNeeded();

  mkdirSync(`${root}test-results`, { recursive: true });
  await page.screenshot({ path: `${root}test-results/dashboard.png`, fullPage: true });
});
