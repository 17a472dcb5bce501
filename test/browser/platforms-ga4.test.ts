// A shop known only by the GA4 ecommerce events its own code pushes (test/platforms/ga4.ts), with
// `data-platform="auto"` (which finds its dataLayer and loads the GA4 adapter): real Chromium against `wrangler dev`. Its cart follows the events (gtag's
// and the data layer's), its own `identify` works beside the adapter, one email, the link brings
// the cart to another profile through the shop's own `onRestore`, and its purchase ends the cart.
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { startGa4 } from "../platforms/ga4";
import { closeBrowsers, freshBrowser, savedState } from "./browser";
import { d1, eventually, lendDemoSite, ORIGIN, oneMailTo, PORT, returnDemoSite, storedCart } from "./env";

afterEach(closeBrowsers);

let shop: { origin: string; close: () => Promise<void> };
beforeAll(async () => {
  shop = await startGa4({ port: PORT + 102, collector: ORIGIN, site: DEMO_SITE.key });
  await lendDemoSite(shop.origin);
});

afterAll(async () => {
  await returnDemoSite();
  await shop?.close();
});

/** The stored cart's lines as [id, quantity, price]. */
const storedLines = (aid: string) => {
  const cart = storedCart(aid);
  return cart && { currency: cart.currency, lines: cart.lines.map((l) => [l.id, l.quantity, l.price]) };
};

it("a shop with GA4 events only: the events move the cart, the shop's own identify works beside the adapter, one email, the link restores through the shop's onRestore, its purchase ends the cart", async () => {
  const laptop = await freshBrowser();
  const page = laptop.page;
  await page.goto(`${shop.origin}/`);
  await page.click("#add-tee");
  await page.click("#add-tee");
  await page.click("#add-grey");
  await page.click("#remove-grey");
  await page.click("#add-grey");
  await page.click("#view-cart");
  const { aid } = await savedState(page);
  await eventually(() => {
    expect(storedLines(aid as string)).toEqual({
      currency: "EUR",
      lines: [
        ["SKU_12345:green", 2, 1050],
        ["SKU_12346", 1, 2199],
      ],
    });
  }, 20_000);

  const email = `greta.${Date.now()}@example.com`;
  await page.evaluate((e) => (window as unknown as { checkout: (e: string) => void }).checkout(e), email);
  await eventually(() => expect(d1(`SELECT email FROM shoppers WHERE aid = '${aid}'`)[0]?.email).toBe(email), 20_000);
  await eventually(() => {
    const kinds = d1<{ type: string; data: string }>(
      `SELECT type, data FROM events WHERE aid = '${aid}' AND type IN ('checkout', 'moment') ORDER BY at`,
    ).map((r) => [r.type, JSON.parse(r.data).code]);
    // The adapter's begin_checkout says checkout; its steps' moments on the same page record no
    // second one (one checkout event a page load, sdk/moment.ts).
    expect(kinds).toEqual([
      ["checkout", undefined],
      ["moment", "shipping"],
      ["moment", "payment"],
    ]);
  }, 20_000);
  await laptop.context.close();

  const { link } = await oneMailTo(email);
  const phone = await freshBrowser();
  await phone.page.goto(link);
  await phone.page.waitForURL(`${shop.origin}/**`);
  await expect
    .poll(() =>
      phone.page
        .locator("#cart li")
        .evaluateAll((els) => els.map((el) => [(el as HTMLElement).dataset.id, Number((el as HTMLElement).dataset.quantity)])),
    )
    .toEqual([
      ["SKU_12345", 2],
      ["SKU_12346", 1],
    ]);
  // The shop's thank-you: GA4's purchase, in minor units, and the cart is done.
  await phone.page.click("#purchase");
  const phoneAid = (await savedState(phone.page)).aid as string;
  await phone.page.evaluate(() => (window as unknown as { cartback: (c: string) => Promise<void> }).cartback("flush"));
  await eventually(() => {
    const [purchase] = d1<{ data: string }>(`SELECT data FROM events WHERE aid = '${phoneAid}' AND type = 'purchase'`).map((r) =>
      JSON.parse(r.data),
    );
    expect(purchase).toMatchObject({ total: 2 * 1050 + 2199, currency: "EUR" });
  }, 20_000);
}, 300_000);

it("a shop whose GTM snippet renames its data layer (gtm.js?…&l=shopLayer): the events pushed there move the cart", async () => {
  await shop.close();
  shop = await startGa4({ port: PORT + 102, collector: ORIGIN, site: DEMO_SITE.key, layer: "shopLayer" });
  const laptop = await freshBrowser();
  const page = laptop.page;
  await page.goto(`${shop.origin}/`);
  expect(await page.evaluate(() => "dataLayer" in window)).toBe(false);
  await page.click("#add-tee");
  await page.click("#add-grey");
  await page.click("#add-grey");
  await page.click("#view-cart");
  const { aid } = await savedState(page);
  await eventually(() => {
    expect(storedLines(aid as string)).toEqual({
      currency: "EUR",
      lines: [
        ["SKU_12345:green", 1, 1050],
        ["SKU_12346", 2, 2199],
      ],
    });
  }, 20_000);
}, 120_000);
