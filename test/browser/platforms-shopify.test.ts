// A Shopify storefront (test/platforms/shopify.ts, a simulator of the documented AJAX Cart API with
// Dawn's patterns) with `data-platform="shopify"` and nothing else: real Chromium against `wrangler dev`.
// The page's own buttons change Shopify's cart and the collector's copy follows; the checkout's
// Custom Pixel (examples/shopify/pixel.js) reports the email and a declined card as the same
// browser; one email; its link on another profile rebuilds Shopify's own cart there.
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { declinedThenPaid } from "../platforms/pixel-events";
import { PRODUCTS, type ShopifySimulator, startShopify } from "../platforms/shopify";
import { closeBrowsers, freshBrowser, savedState } from "./browser";
import { d1, eventually, ORIGIN, oneMailTo, PORT } from "./env";

afterEach(closeBrowsers);

let shop: ShopifySimulator;
const settings = (body: unknown) =>
  fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/settings`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${DEMO_SITE.secret}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  shop = await startShopify({ port: PORT + 100, collector: ORIGIN, site: DEMO_SITE.key });
  const res = await settings({
    origins: [ORIGIN, `http://localhost:${PORT}`, shop.origin],
    abandonAfterMinutes: 1,
    holdoutPercent: 0,
    maxSequencesPerDay: 10,
    restoreUrl: `${shop.origin}/`,
    restoreUrls: {},
  });
  expect(res.status, await res.clone().text()).toBe(200);
});

// The other browser tests expect the demo shop's origins and links.
afterAll(async () => {
  await settings({ origins: [ORIGIN, `http://localhost:${PORT}`], restoreUrl: `${ORIGIN}/demo/` });
  await shop?.close();
});

const storedCart = (aid: string) => {
  const [row] = d1<{ currency: string; lines: string }>(`SELECT currency, lines FROM carts WHERE aid = '${aid}'`);
  return row && { currency: row.currency, lines: JSON.parse(row.lines) as Record<string, unknown>[] };
};

/** The simulator's cart of the browser on `page` (its `cart` cookie). */
const shopifyCartOf = async (page: Page) => {
  const token = (await page.context().cookies(shop.origin)).find((c) => c.name === "cart")?.value as string;
  return { token, lines: shop.carts.get(token) ?? [] };
};

/** What the collector must hold for a Shopify cart: one line per item, as Shopify prices it. */
const expected = (lines: Awaited<ReturnType<typeof shopifyCartOf>>["lines"]) => ({
  currency: "CAD",
  ids: lines.map((l) => [String(l.product.id), l.quantity, l.product.price]),
});

it("a Shopify storefront with the tag alone: cart follows the theme's own requests, the pixel's email and declined card, one email, the link rebuilds Shopify's cart on another profile", async () => {
  const laptop = await freshBrowser();
  const page = laptop.page;
  await page.goto(`${shop.origin}/`);
  // Dawn's product form (FormData fetch to /cart/add, then its cart-update event), twice, with line properties.
  await page.click('[data-product="health-potion"] button');
  await expect.poll(() => page.locator("#cart-count").textContent()).toBe("1");
  await page.click('[data-product="health-potion"] button');
  await expect.poll(() => page.locator("#cart-count").textContent()).toBe("2");
  // A plain form post: Shopify answers with a redirect to /cart, a new page.
  await page.click("form.plain button");
  await page.waitForURL(`${shop.origin}/cart`);
  await expect.poll(() => page.locator("#cart-drawer li").count()).toBe(2);
  // The drawer's "+" (fetch to /cart/change) and "remove" (XMLHttpRequest to /cart/change.js).
  await page.click("#cart-drawer li:nth-child(1) button.plus");
  await expect.poll(() => page.locator("#cart-drawer li:nth-child(1)").getAttribute("data-quantity")).toBe("3");
  await page.click("#cart-drawer li:nth-child(2) button.remove");
  await expect.poll(() => page.locator("#cart-drawer li").count()).toBe(1);
  await page.goto(`${shop.origin}/`);
  await page.click('[data-product="mana-potion"] button');
  await expect.poll(() => page.locator("#cart-count").textContent()).toBe("4");
  expect(shop.requests).toEqual(expect.arrayContaining(["POST /cart/add", "POST /cart/change", "POST /cart/change.js"]));

  const { aid } = await savedState(page);
  const platform = await shopifyCartOf(page);
  expect(platform.lines.map((l) => [l.product.handle, l.quantity])).toEqual([
    ["health-potion", 3],
    ["mana-potion", 1],
  ]);
  // The collector's copy is Shopify's cart: ids, quantities, prices, currency; and the line data.
  await eventually(() => {
    const stored = storedCart(aid as string);
    expect({ currency: stored?.currency, ids: stored?.lines.map((l) => [l.id, l.quantity, l.price]) }).toEqual(expected(platform.lines));
    expect(stored?.lines[0]?.data).toMatchObject({ "p:Engraving": "For Ana", "p:_gift": "yes", product: String(PRODUCTS[0]?.productId) });
  }, 20_000);
  // The cart token, without its ?key= part, for the order webhook.
  await eventually(() => {
    const refs = d1<{ data: string }>(`SELECT data FROM events WHERE aid = '${aid}' AND type = 'ref'`).map((r) => JSON.parse(r.data).ref);
    expect(refs).toEqual([platform.token]);
  }, 20_000);
  // The browser id where the pixel reads it.
  expect(await page.evaluate(() => localStorage.getItem("cartback_aid"))).toBe(aid);
  expect((await laptop.context.cookies(shop.origin)).find((c) => c.name === "cartback_aid")?.value).toBe(aid);

  // Checkout: no theme script runs there; the Custom Pixel reports the email and the declined card.
  const email = `ana.${Date.now()}@example.com`;
  await page.goto(`${shop.origin}/checkouts/cn/${platform.token}`);
  const recorded = JSON.parse(
    JSON.stringify(declinedThenPaid.slice(0, 6))
      .replaceAll("ana.pixel@example.com", email)
      .replaceAll("ec1f2b3a4d5e6f708192a3b4c5d6e7f8", platform.token),
  );
  await page.evaluate(
    (events) => (window as unknown as { checkoutEvents: (e: unknown) => Promise<void> }).checkoutEvents(events),
    recorded,
  );
  await eventually(() => expect(d1(`SELECT email FROM shoppers WHERE aid = '${aid}'`)[0]?.email).toBe(email), 20_000);
  await eventually(
    () =>
      expect(d1(`SELECT count(*) AS n FROM events WHERE aid = '${aid}' AND type = 'moment' AND data LIKE '%payment_failed%'`)[0]?.n).toBe(
        1,
      ),
    20_000,
  );
  await laptop.context.close();

  // LEAD: the order-webhook half goes here once the webhook routes are merged: sign an
  // `orders/paid` for `platform.token` as Shopify signs it and expect the sequence stopped and the
  // revenue counted (on another shopper: this one's email is needed below).

  // One email; its link on another profile rebuilds Shopify's own cart there, properties and all.
  const { link } = await oneMailTo(email);
  const phone = await freshBrowser();
  await phone.page.goto(link);
  await phone.page.waitForURL(`${shop.origin}/cart`, { timeout: 30_000 });
  const rebuilt = await shopifyCartOf(phone.page);
  expect(rebuilt.token).not.toBe(platform.token);
  expect(rebuilt.lines.map((l) => [l.product.id, l.quantity, l.properties])).toEqual(
    platform.lines.map((l) => [l.product.id, l.quantity, l.properties]),
  );
  await expect.poll(() => phone.page.locator("#cart-drawer li").count()).toBe(2);
}, 300_000);
