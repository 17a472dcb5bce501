// A hand-built shop that keeps its own cart in localStorage, in its own shape, wired up with
// `connect` only (examples/hand-built/): real Chromium against `wrangler dev`. Its product images
// come from a CDN host that is not one of the site's origins (served here by the test's router).
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";
import { closeBrowsers, freshBrowser, savedState } from "./browser";
import { d1, eventually, ORIGIN, oneMailTo, storedCart } from "./env";

afterEach(closeBrowsers);

const CDN = "https://images.papeleria-luna.example";
const SHOP = `${ORIGIN}/hand-built/`;
// A 1×1 PNG: what the CDN serves for every product photo.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");

beforeAll(async () => {
  const res = await fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/settings`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${DEMO_SITE.secret}`, "content-type": "application/json" },
    body: JSON.stringify({
      abandonAfterMinutes: 1,
      holdoutPercent: 0,
      maxSequencesPerDay: 10,
      restoreUrl: SHOP,
      restoreUrls: { payment_failed: `${SHOP}#checkout` },
      imageHosts: ["images.papeleria-luna.example"],
    }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
});

// The other browser tests expect the demo shop's links to land on the demo shop.
afterAll(async () => {
  await fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/settings`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${DEMO_SITE.secret}`, "content-type": "application/json" },
    body: JSON.stringify({ restoreUrl: `${ORIGIN}/demo/`, restoreUrls: {} }),
  });
});

async function shop(): Promise<{ context: BrowserContext; page: Page }> {
  const browser = await freshBrowser();
  await browser.context.route(`${CDN}/**`, (route) => route.fulfill({ status: 200, contentType: "image/png", body: PNG }));
  await browser.page.goto(SHOP);
  return browser;
}

/** The shop's own cart, as it keeps it. */
const shopCart = (page: Page) =>
  page.evaluate(
    () =>
      JSON.parse(localStorage.getItem("luna.cart") || "[]") as {
        sku: string;
        cantidad: number;
        color: string;
        productoId: string;
        foto?: string;
      }[],
  );

it("a hand-built shop with its own localStorage cart: the collector follows, the email shows the CDN image, the link rebuilds the shop's own cart on another device and lands on its checkout", async () => {
  // The shop's own buttons change its own cart; the collector's copy follows, fields and all.
  const laptop = await shop();
  await laptop.page.click('[data-add="p-cuaderno:azul"]');
  await laptop.page.click('[data-add="p-cuaderno:azul"]');
  await laptop.page.click('[data-add="p-pluma:negro"]');
  await laptop.page.click('[data-add="p-tinta:azul"]');
  await laptop.page.click('[data-sku="p-tinta-azul"] button'); // removed again
  const { aid } = await savedState(laptop.page);
  await laptop.page.evaluate(() => (window as unknown as { cartback: (c: string) => Promise<void> }).cartback("changed"));
  await eventually(
    () =>
      expect(storedCart(aid as string)).toEqual({
        currency: "MXN",
        lines: [
          {
            id: "p-cuaderno-azul",
            name: "Cuaderno punteado A5",
            price: 18900,
            quantity: 2,
            image: `${CDN}/cuaderno.jpg`,
            data: { color: "azul", productoId: "p-cuaderno" },
          },
          {
            id: "p-pluma-negro",
            name: "Pluma fuente",
            price: 64500,
            quantity: 1,
            image: `${CDN}/pluma.jpg`,
            data: { color: "negro", productoId: "p-pluma" },
          },
        ],
      }),
    20_000,
  );

  // Checkout in the shop's modal: the email it types, a declined card, and the shopper leaves.
  const email = `lucia.${Date.now()}@example.com`;
  await laptop.page.click("#open-checkout");
  await laptop.page.fill("#email", email);
  await laptop.page.fill("#card", "4000 0000 0000 0002");
  await laptop.page.click("#pay");
  await expect.poll(() => laptop.page.locator("#declined").isVisible()).toBe(true);
  await laptop.page.evaluate(() => (window as unknown as { cartback: (c: string) => Promise<void> }).cartback("flush"));
  await eventually(() => expect(d1(`SELECT email FROM shoppers WHERE aid = '${aid}'`)[0]?.email).toBe(email), 20_000);
  // The shop never calls cartback("checkout"): its checkout moments (data-checkout) make this page
  // visit one checkout, for the funnel, however many moments fired.
  await eventually(() => expect(d1(`SELECT count(*) AS n FROM events WHERE aid = '${aid}' AND type = 'checkout'`)[0]?.n).toBe(1), 20_000);
  await eventually(async () => {
    const stats = await fetch(`${ORIGIN}/v1/stats?site=${DEMO_SITE.key}`, { headers: { authorization: `Bearer ${DEMO_SITE.secret}` } });
    const { funnel } = (await stats.json()) as { funnel: { stage: string; shoppers: number }[] };
    expect(funnel.find((f) => f.stage === "checkout")?.shoppers).toBeGreaterThanOrEqual(1);
  }, 20_000);
  await laptop.context.close();

  // One email, about the payment, with the product photos from the CDN.
  const { html, link } = await oneMailTo(email);
  expect(html).toContain(`src="${CDN}/cuaderno.jpg"`);

  // Another device: the link rebuilds the shop's own cart, with the shop's own fields, and lands
  // on the checkout ("try again").
  const phone = await shop();
  await phone.page.goto(link);
  await phone.page.waitForURL(`${SHOP}**`);
  expect(new URL(phone.page.url()).hash).toBe("#checkout");
  await expect.poll(() => phone.page.locator("#checkout").evaluate((d) => (d as HTMLDialogElement).open)).toBe(true);
  // The shop's own lines, with its own fields (the line `data`: productoId, color) as it wrote them.
  await expect
    .poll(async () =>
      (await shopCart(phone.page)).map(({ sku, cantidad, foto, productoId, color }) => ({ sku, cantidad, foto, productoId, color })),
    )
    .toEqual([
      { sku: "p-cuaderno-azul", cantidad: 2, foto: `${CDN}/cuaderno.jpg`, productoId: "p-cuaderno", color: "azul" },
      { sku: "p-pluma-negro", cantidad: 1, foto: `${CDN}/pluma.jpg`, productoId: "p-pluma", color: "negro" },
    ]);
  await expect.poll(() => phone.page.locator("#cart li").count()).toBe(2);
  // The shop's next add-to-cart keeps what came back.
  await phone.page.mouse.move(30, 30);
  await phone.page.click("#close");
  await phone.page.click('[data-add="p-tinta:azul"]');
  expect((await shopCart(phone.page)).map((i) => [i.sku, i.cantidad])).toEqual([
    ["p-cuaderno-azul", 2],
    ["p-pluma-negro", 1],
    ["p-tinta-azul", 1],
  ]);
  // …and the collector's copy of this device follows the shop's cart.
  const phoneAid = (await savedState(phone.page)).aid as string;
  await eventually(
    () => expect(storedCart(phoneAid)?.lines.map((l) => l.id)).toEqual(["p-cuaderno-azul", "p-pluma-negro", "p-tinta-azul"]),
    20_000,
  );
}, 240_000);
