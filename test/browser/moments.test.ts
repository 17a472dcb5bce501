import type { Page, Request } from "playwright-core";
import { afterEach, expect, it } from "vitest";
import type { Batch, MomentEvent } from "../../protocol/types";
import { closeBrowsers, freshBrowser, shownCart } from "./browser";
import { ORIGIN } from "./env";

afterEach(closeBrowsers);

/** A fresh browser whose every request body to the collector is kept, exactly as it left. */
async function watchedBrowser() {
  const { context, page } = await freshBrowser();
  const bodies: string[] = [];
  const scripts: string[] = [];
  context.on("request", (r: Request) => {
    if (r.url().includes("/v1/events")) bodies.push(r.postData() ?? "");
    if (r.url().endsWith(".js")) scripts.push(new URL(r.url()).pathname);
  });
  const moments = (): MomentEvent[] => {
    const byId = new Map<string, MomentEvent>();
    for (const body of bodies) for (const e of (JSON.parse(body) as Batch).events) if (e.type === "moment") byId.set(e.id, e);
    return [...byId.values()];
  };
  return { context, page, bodies, scripts, moments };
}

const flush = async (page: Page) => {
  await page.evaluate(() => (window as unknown as { cartback: (c: string) => Promise<void> }).cartback("flush"));
  await page.clock.runFor(2000);
};

/** The tab really goes to the background where the browser allows it; headless may not. */
async function hideTab(page: Page): Promise<void> {
  const other = await page.context().newPage();
  await other.bringToFront();
  const hidden = await page.evaluate(() => document.visibilityState === "hidden");
  if (!hidden) {
    await page.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
      Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
    });
  }
  await other.close();
}

it("on a page that is not a checkout, no detector loads and no moment is sent", async () => {
  const { page, scripts, moments } = await watchedBrowser();
  await page.clock.install();
  await page.goto(`${ORIGIN}/demo/`);
  await page.click('[data-add="kettle"]');
  await expect.poll(() => shownCart(page)).toEqual({ kettle: 1 });
  await page.mouse.move(300, 200);
  await page.mouse.move(300, -20);
  await hideTab(page);
  await page.clock.runFor(120_000);
  await flush(page);
  expect(scripts).not.toContain("/cartback-checkout.js");
  expect(moments()).toEqual([]);
});

it("on the checkout page each detector fires, and nothing typed leaves the browser but the consented email", async () => {
  const { page, scripts, moments, bodies } = await watchedBrowser();
  await page.clock.install();
  await page.goto(`${ORIGIN}/demo/`);
  await page.click('[data-add="green-tea-100g"]');
  await expect.poll(() => shownCart(page)).toEqual({ "green-tea-100g": 1 });
  await page.goto(`${ORIGIN}/demo/checkout.html`);
  await expect.poll(() => scripts.includes("/cartback-checkout.js")).toBe(true);
  await expect.poll(() => page.evaluate(() => document.querySelector("#cart [data-line]") !== null)).toBe(true);
  await page.waitForTimeout(300); // the detectors script runs

  await page.click('[data-cartback-question="faq"]'); // a last-minute question
  await page.click("#to-payment"); // empty email: the browser's validation fires `invalid`
  await page.fill("#postcode", "PC-ZZ9"); // a field error marker appears on change
  await page.locator("#postcode").blur();
  await page.selectOption("#shipping", "490"); // the total rises by €4.90
  await page.fill("#email", "ana@example.com");
  await page.locator("#email").blur();
  await page.click("#to-payment"); // step: payment
  await page.click("#back"); // back to details
  await page.click("#to-payment");
  await page.fill("#coupon", "BADCODE123");
  await page.click("#apply-coupon"); // coupon refused
  await page.fill("#card", "4000 0000 0000 0002");
  await page.click("#pay"); // declined
  await expect.poll(() => page.locator("#declined").isVisible()).toBe(true);
  await page.mouse.move(400, 300);
  await page.mouse.move(400, -20); // exit intent
  await hideTab(page); // tab hidden
  await page.evaluate(async () => {
    // An uncaught error in the shop's own script (a timer would be caught by the page's fake clock).
    const broken = document.createElement("script");
    broken.textContent = 'throw new Error("the shop\'s checkout script broke")';
    document.head.append(broken);
    await fetch("/v1/no-such-route"); // a failed request (404)
  });
  await page.clock.runFor(31_000); // idle on the payment step (threshold 30 s on the demo)
  await flush(page);
  // Writes to IndexedDB, and resource-timing entries, take real time while the page's clock is
  // driven: step the clock until every expected moment has left the browser (or time runs out,
  // and the assertions below say which is missing).
  const expected: [string, string?][] = [
    ["question", "faq"],
    ["field_error", "email"],
    ["field_error", "postcode"],
    ["extra_cost"],
    ["step", "details"],
    ["step", "payment"],
    ["step_back", "details"],
    ["coupon_failed", "invalid_code"],
    ["payment_failed", "card_declined"],
    ["exit_intent"],
    ["tab_hidden"],
    ["idle"],
    ["checkout_error", "script"],
    ["checkout_error", "http_404"],
  ];
  const seen = (kind: string, code?: string) => moments().some((m) => m.kind === kind && (code === undefined || m.code === code));
  await expect
    .poll(
      async () => {
        await page.clock.runFor(1000);
        return expected.filter(([kind, code]) => !seen(kind, code));
      },
      { timeout: 15_000 },
    )
    .toEqual([]);
  const got = moments();
  expect(seen("question", "faq")).toBe(true);
  expect(seen("field_error", "email")).toBe(true);
  expect(seen("field_error", "postcode")).toBe(true);
  expect(got.find((m) => m.kind === "extra_cost")?.value).toBe(490);
  expect(seen("step", "details") && seen("step", "payment")).toBe(true);
  expect(seen("step_back", "details")).toBe(true);
  expect(seen("coupon_failed", "invalid_code")).toBe(true);
  expect(seen("payment_failed", "card_declined")).toBe(true);
  expect(seen("exit_intent")).toBe(true);
  expect(seen("tab_hidden")).toBe(true);
  expect(got.find((m) => m.kind === "idle")).toMatchObject({ code: "payment", value: 30_000 });
  expect(seen("checkout_error", "script")).toBe(true);
  expect(seen("checkout_error", "http_404")).toBe(true);
  // Time spent on the step left: the first step reports 0, later ones what the clock says.
  expect(got.find((m) => m.kind === "step" && m.code === "details")?.value).toBe(0);
  expect(got.find((m) => m.kind === "step" && m.code === "payment")?.value).toBeGreaterThanOrEqual(0);

  // Privacy: field names and kinds of events only. The email goes because this shop has consent.
  const sent = bodies.join("\n");
  for (const typed of ["4000 0000 0000 0002", "4000000000000002", "BADCODE123", "PC-ZZ9"]) expect(sent).not.toContain(typed);
  expect(sent).toContain('"type":"identify","email":"ana@example.com"');
});
