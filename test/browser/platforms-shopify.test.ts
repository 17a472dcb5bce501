// A Shopify storefront (test/platforms/shopify.ts, a simulator of the documented AJAX Cart API with
// Dawn's patterns) with `data-platform="shopify"` and nothing else: real Chromium against `wrangler dev`.
// The page's own buttons change Shopify's cart and the collector's copy follows; the checkout's
// Custom Pixel (examples/shopify/pixel.js) reports the email and a declined card as the same
// browser; one email; its link on another profile rebuilds Shopify's own cart there; the order
// webhook, signed as Shopify signs, ends the sequence and is credited once (forged: 401; again: duplicate).
import { createHmac } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { majorText } from "../../protocol/money";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { declinedThenPaid } from "../platforms/pixel-events";
import { PRODUCTS, type ShopifySimulator, startShopify } from "../platforms/shopify";
import { closeBrowsers, freshBrowser, savedState } from "./browser";
import { d1, eventually, lendDemoSite, ORIGIN, oneMailTo, PORT, returnDemoSite, storedCart } from "./env";

afterEach(closeBrowsers);

let shop: ShopifySimulator;
beforeAll(async () => {
  shop = await startShopify({ port: PORT + 100, collector: ORIGIN, site: DEMO_SITE.key });
  await lendDemoSite(shop.origin);
});

// The other browser tests expect the demo shop's origins and links.
afterAll(async () => {
  await returnDemoSite();
  await shop?.close();
});

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
    expect(stored?.lines[0]?.data).toMatchObject({ "p:Engraving": "For Ana", product: String(PRODUCTS[0]?.productId) });
    // A property private by Shopify's convention (`_gift`) is not Cartback's to keep.
    expect(stored?.lines[0]?.data).not.toHaveProperty("p:_gift");
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

  // One email; its link on another profile rebuilds Shopify's own cart there, with its public properties.
  const { link } = await oneMailTo(email);
  const phone = await freshBrowser();
  await phone.page.goto(link);
  await phone.page.waitForURL(`${shop.origin}/cart`, { timeout: 30_000 });
  const rebuilt = await shopifyCartOf(phone.page);
  expect(rebuilt.token).not.toBe(platform.token);
  const publicOnes = (p?: Record<string, string>) => p && Object.fromEntries(Object.entries(p).filter(([name]) => !name.startsWith("_")));
  expect(rebuilt.lines.map((l) => [l.product.id, l.quantity, l.properties])).toEqual(
    platform.lines.map((l) => [l.product.id, l.quantity, publicOnes(l.properties)]),
  );
  await expect.poll(() => phone.page.locator("#cart-drawer li").count()).toBe(2);

  // The order, as Shopify's `orders/paid` webhook reports it (signed with the site's platform
  // secret, as Shopify signs): the person's sequence is over and the order is credited to it once.
  const total = platform.lines.reduce((sum, l) => sum + l.product.price * l.quantity, 0);
  const orderId = String(Date.now());
  const order = JSON.stringify({
    id: Number(orderId),
    admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
    email: email.toUpperCase(), // the platform's spelling of the address is not ours
    currency: "CAD",
    total_price: majorText(total, "CAD"),
    financial_status: "paid",
    cart_token: platform.token,
    checkout_token: null,
    processed_at: new Date().toISOString(),
    line_items: [],
  });
  const deliver = (secret: string, id = `wh-${orderId}`) =>
    fetch(`${ORIGIN}/v1/hooks/shopify?site=${DEMO_SITE.key}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-shopify-topic": "orders/paid",
        "x-shopify-webhook-id": id,
        "x-shopify-hmac-sha256": createHmac("sha256", secret).update(order).digest("base64"),
      },
      body: order,
    });
  const forged = await deliver("another shop's secret");
  expect(forged.status).toBe(401);
  expect(d1(`SELECT order_id FROM orders WHERE order_id = '${orderId}'`)).toEqual([]);
  const paid = await deliver(DEMO_SITE.platformSecret);
  expect(paid.status, await paid.clone().text()).toBe(200);
  expect(await paid.json()).toMatchObject({ duplicate: false, orderId, followedUp: true });
  const again = await deliver(DEMO_SITE.platformSecret);
  expect(await again.json()).toMatchObject({ duplicate: true, orderId });
  expect(d1(`SELECT count(*) AS n FROM orders WHERE order_id = '${orderId}'`)[0]?.n).toBe(1);
  await eventually(() => {
    const [sequence] = d1<{ status: string; recovered_order_id: string; recovered_value: number }>(
      `SELECT status, recovered_order_id, recovered_value FROM sequences WHERE email = '${email}'`,
    );
    expect(sequence?.status).not.toBe("active");
    expect(sequence?.recovered_order_id).toBe(orderId);
    expect(sequence?.recovered_value).toBe(total);
  }, 20_000);
}, 300_000);
