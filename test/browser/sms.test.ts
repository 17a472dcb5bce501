import { afterEach, expect, it } from "vitest";
import { asSpanishShop, closeBrowsers, freshBrowser, shownCart, toCheckout } from "./browser";
import { eventually, ORIGIN, patchDemoSite } from "./env";

afterEach(async () => {
  await closeBrowsers();
  // The demo site's steps back to the default sequence for the other files.
  await patchDemoSite({ steps: [{ afterMinutes: 0 }, { afterMinutes: 1410 }, { afterMinutes: 4290, incentive: true }] });
});

/** An IANA zone where it is early afternoon now: a text keeps the night, and this test runs on the real clock. */
function daytimeZone(): string {
  const offset = ((13 - new Date().getUTCHours() + 36) % 24) - 12;
  return offset >= 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

it("a shopper who ticks the SMS box on a Spanish checkout gets a Spanish text in the dev outbox, with the link and the opt-out words", async () => {
  const settings = await patchDemoSite({ abandonAfterMinutes: 1, holdoutPercent: 0, steps: [{ afterMinutes: 0, channel: "sms" }] });
  expect(settings.status).toBe(200);
  // Chromium takes its zone from TZ, and the script sends the browser's zone with its batches.
  process.env.TZ = daytimeZone();
  const national = `6${String(Date.now() % 1e8).padStart(8, "0")}`;
  const shopper = await freshBrowser();
  await asSpanishShop(shopper.context, ORIGIN);
  await shopper.page.goto(`${ORIGIN}/demo/`);
  await shopper.page.click('[data-add="green-tea-100g"]');
  await expect.poll(() => shownCart(shopper.page)).toEqual({ "green-tea-100g": 1 });
  await toCheckout(shopper.page);
  await shopper.page.fill("#email", `sms.${Date.now()}@example.com`);
  await shopper.page.fill("#name", "Lucía Pérez");
  await shopper.page.fill("#phone", national);
  await shopper.page.check("#sms-consent");
  await shopper.page.click("#to-payment");
  await shopper.page.evaluate(() => (window as unknown as { cartback: (c: string) => Promise<void> }).cartback("flush"));
  await shopper.context.close();

  const to = `+34${national}`;
  const text = await eventually(
    async () => {
      const texts = (await (await fetch(`${ORIGIN}/dev/sms.json`)).json()) as { to: string; body: string }[];
      const mine = texts.filter((t) => t.to === to);
      expect(mine).toHaveLength(1);
      return mine[0] as { body: string };
    },
    150_000,
    2000,
  );
  expect(text.body).toMatch(new RegExp(`${ORIGIN.replace(/[.:/]/g, "\\$&")}/r/[\\w-]{22}`));
  expect(text.body).toContain("Responde STOP para darte de baja.");
  expect(text.body.length).toBeLessThanOrEqual(160);
}, 240_000);
