// A WooCommerce shop (test/platforms/woocommerce.ts, a simulator of the documented Store API with a
// classic theme's jQuery events and the blocks' events) with `data-platform="woocommerce"
// data-capture-email="true"` and nothing else: real Chromium against `wrangler dev`. Its order webhook
// (ping, then processing), signed as WooCommerce signs, ends the sequence and is credited once.
import { createHmac } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { majorText } from "../../protocol/money";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { startWooCommerce, type WooSimulator } from "../platforms/woocommerce";
import { closeBrowsers, freshBrowser, savedState } from "./browser";
import { d1, eventually, lendDemoSite, ORIGIN, oneMailTo, PORT, returnDemoSite, storedCart } from "./env";

afterEach(closeBrowsers);

let shop: WooSimulator;
beforeAll(async () => {
  shop = await startWooCommerce({ port: PORT + 101, collector: ORIGIN, site: DEMO_SITE.key });
  await lendDemoSite(shop.origin);
});

afterAll(async () => {
  await returnDemoSite();
  await shop?.close();
});

const wooCartOf = async (page: Page) => {
  const cookies = await page.context().cookies(page.url());
  const session = cookies.find((c) => c.name === "wp_woocommerce_session_sim")?.value as string;
  return { lines: shop.carts.get(session) ?? [], hash: cookies.find((c) => c.name === "woocommerce_cart_hash")?.value };
};

it("a WooCommerce shop with the tag alone: classic and blocks events move the cart, the billing email identifies, one email, the link rebuilds the Store API cart on another profile", async () => {
  const laptop = await freshBrowser();
  const page = laptop.page;
  await page.goto(`${shop.origin}/`);
  // The classic theme's AJAX add (then jQuery's added_to_cart), twice; the blocks' adds (then wc-blocks_added_to_cart).
  await page.click('[data-classic-add="22"]');
  await expect.poll(() => page.locator("#count").textContent()).toBe("1");
  await page.click('[data-classic-add="22"]');
  await expect.poll(() => page.locator("#count").textContent()).toBe("2");
  await page.click('[data-blocks-add="35"]');
  await expect.poll(() => page.locator("#count").textContent()).toBe("3");
  await page.click('[data-blocks-add="27"]');
  await expect.poll(() => page.locator("#count").textContent()).toBe("4");
  // The blocks' mini cart: the cap removed again (wc-blocks_removed_from_cart).
  await page.reload();
  await page.click("#mini-cart [data-key] >> nth=2 >> button");
  await expect.poll(() => page.locator("#count").textContent()).toBe("3");
  // The classic basket: the beanie's quantity changed (updated_cart_totals).
  await page.goto(`${shop.origin}/cart/`);
  await page.fill(".woocommerce-cart-form [data-key] >> nth=0 >> input", "3");
  await page.click('button[name="update_cart"]');

  const { aid } = await savedState(page);
  await eventually(async () => {
    const platform = await wooCartOf(page);
    expect(platform.lines.map((l) => [l.held.product.handle, l.held.quantity])).toEqual([
      ["beanie", 3],
      ["hoodie", 1],
    ]);
    const stored = storedCart(aid as string);
    expect({ currency: stored?.currency, lines: stored?.lines.map((l) => [l.id, l.quantity, l.price]) }).toEqual({
      currency: "GBP",
      lines: platform.lines.map((l) => [String(l.held.product.id), l.held.quantity, l.held.product.price]),
    });
    expect(stored?.lines[1]?.data).toEqual({ key: platform.lines[1]?.key, "v:Color": "Blue" });
    // The cart hash WooCommerce keeps as the order's cart_hash: the last one recorded is the current one.
    const refs = d1<{ data: string }>(`SELECT data FROM events WHERE aid = '${aid}' AND type = 'ref' ORDER BY at`).map((r) =>
      JSON.parse(r.data),
    );
    expect(refs.at(-1)).toMatchObject({ platform: "woocommerce", ref: platform.hash });
  }, 20_000);

  // The classic checkout's billing email identifies (data-capture-email="true").
  const email = `olive.${Date.now()}@example.com`;
  await page.goto(`${shop.origin}/checkout/`);
  await page.fill("#billing_email", email);
  await page.click("#billing_first_name");
  await page.evaluate(() => (window as unknown as { cartback: (c: string) => Promise<void> }).cartback("flush"));
  await eventually(() => expect(d1(`SELECT email FROM shoppers WHERE aid = '${aid}'`)[0]?.email).toBe(email), 20_000);
  const platform = await wooCartOf(page);
  await laptop.context.close();

  // One email; its link on another profile rebuilds the Store API cart (nonce and all) and lands on the basket.
  const { link } = await oneMailTo(email);
  const phone = await freshBrowser();
  const said: string[] = [];
  phone.page.on("console", (m) => said.push(m.text()));
  await phone.page.goto(link);
  await phone.page.waitForURL(`${shop.origin}/cart/`, { timeout: 30_000 }).catch((e) => {
    throw new Error(`${e}\nconsole: ${said.join("\n")}\nat ${phone.page.url()}`);
  });
  const rebuilt = await wooCartOf(phone.page);
  expect(rebuilt.lines.map((l) => [l.key, l.held.product.id, l.held.quantity])).toEqual(
    platform.lines.map((l) => [l.key, l.held.product.id, l.held.quantity]),
  );
  await expect.poll(() => phone.page.locator(".woocommerce-cart-form [data-key]").count()).toBe(2);

  // WooCommerce's webhook, as WooCommerce sends it: the ping when the merchant saves it, then the
  // order going to processing (signed with the site's platform secret): the sequence is over and
  // the order is credited to it once.
  const hook = (body: string, headers: Record<string, string>) =>
    fetch(`${ORIGIN}/v1/hooks/woocommerce?site=${DEMO_SITE.key}`, { method: "POST", headers, body });
  const ping = await hook("webhook_id=7", { "content-type": "application/x-www-form-urlencoded" });
  expect(ping.status).toBe(200);
  const total = platform.lines.reduce((sum, l) => sum + l.held.product.price * l.held.quantity, 0);
  const orderId = Date.now() % 1_000_000_000;
  const order = JSON.stringify({
    id: orderId,
    status: "processing",
    currency: "GBP",
    total: majorText(total, "GBP"),
    billing: { email },
    cart_hash: platform.hash,
    date_modified_gmt: new Date().toISOString().slice(0, 19),
    date_paid_gmt: new Date().toISOString().slice(0, 19),
  });
  const deliver = (secret: string) =>
    hook(order, {
      "content-type": "application/json",
      "x-wc-webhook-topic": "order.updated",
      "x-wc-webhook-signature": createHmac("sha256", secret).update(order).digest("base64"),
    });
  expect((await deliver("not this site's secret")).status).toBe(401);
  const paid = await deliver(DEMO_SITE.platformSecret);
  expect(paid.status, await paid.clone().text()).toBe(200);
  expect(await paid.json()).toMatchObject({ duplicate: false, followedUp: true });
  expect(await (await deliver(DEMO_SITE.platformSecret)).json()).toMatchObject({ duplicate: true });
  expect(d1(`SELECT count(*) AS n FROM orders WHERE order_id = '${orderId}'`)[0]?.n).toBe(1);
  await eventually(() => {
    const [sequence] = d1<{ status: string; recovered_order_id: string; recovered_value: number }>(
      `SELECT status, recovered_order_id, recovered_value FROM sequences WHERE email = '${email}'`,
    );
    expect(sequence?.status).not.toBe("active");
    expect(sequence?.recovered_order_id).toBe(String(orderId));
    expect(sequence?.recovered_value).toBe(total);
  }, 20_000);
}, 300_000);

it("a WooCommerce shop in a subdirectory, its REST root only in the link element: the cart is recorded, and the classic basket emptied reaches the collector before the tab closes", async () => {
  // WordPress in /shop/, nothing at the origin's /wp-json/, no wpApiSettings, no Link header.
  await shop.close();
  shop = await startWooCommerce({ port: PORT + 101, collector: ORIGIN, site: DEMO_SITE.key, base: "/shop/", publish: ["element"] });
  const laptop = await freshBrowser();
  // The tab closes within connect's 4 s poll: the poll is held off, so only WooCommerce's own events can tell.
  await laptop.context.addInitScript(() => {
    const every = window.setInterval;
    window.setInterval = ((f: TimerHandler, ms?: number, ...a: unknown[]) => (ms === 4000 ? 0 : every(f, ms, ...a))) as typeof every;
  });
  const page = laptop.page;
  const storeApi: string[] = [];
  page.on("request", (r) => r.url().includes("/wc/store/") && storeApi.push(new URL(r.url()).pathname));
  await page.goto(`${shop.origin}/shop/`);
  await page.click('[data-classic-add="22"]');
  await expect.poll(() => page.locator("#count").textContent()).toBe("1");
  const { aid } = await savedState(page);
  await eventually(() => expect(storedCart(aid as string)?.lines.map((l) => [l.id, l.quantity])).toEqual([["22", 1]]), 20_000);
  expect(new Set(storeApi)).toEqual(new Set(["/shop/wp-json/wc/store/v1/cart"]));

  // The basket's remove link on its only line: cart.js's update_wc_div fires wc_cart_emptied and updated_wc_div.
  await page.goto(`${shop.origin}/shop/cart/`);
  await page.click(".woocommerce-cart-form .product-remove > a");
  await expect.poll(() => page.locator(".wc-empty-cart-message").count()).toBe(1);
  expect((await wooCartOf(page)).lines).toEqual([]);
  await expect.poll(async () => (await savedState(page)).cart?.lines.length, { timeout: 5_000 }).toBe(0);
  await page.close({ runBeforeUnload: true });
  await eventually(() => expect(storedCart(aid as string)?.lines).toEqual([]), 20_000);
}, 120_000);
