import type { Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { closeBrowsers, freshBrowser, savedState } from "./browser";
import { d1, eventually, ORIGIN } from "./env";

afterEach(closeBrowsers);

/** A shop page whose tag asks for consent (and, with `gpc`, honours Global Privacy Control). */
async function consentShop(page: Page, attributes: string): Promise<string[]> {
  await page.route(`${ORIGIN}/demo/consent.html`, (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<!doctype html><title>Consent</title>
        <script>window.cartback=window.cartback||function(){(cartback.q=cartback.q||[]).push(arguments)}</script>
        <script async src="/cartback.js" data-site="pk_demo_local" data-currency="EUR" ${attributes}></script>`,
    }),
  );
  // Every request the page makes to the collector's write endpoints, with its body.
  const sent: string[] = [];
  page.on("request", (req) => {
    if (/\/v1\/(events|sync)/.test(req.url())) sent.push(req.postData() ?? "");
  });
  await page.goto(`${ORIGIN}/demo/consent.html`);
  await page.waitForFunction(() => typeof (window as unknown as { cartback: { q?: unknown } }).cartback.q === "undefined");
  return sent;
}

const call = (page: Page, ...args: unknown[]) =>
  page.evaluate((a) => (window as unknown as { cartback: (...x: unknown[]) => Promise<unknown> }).cartback(...a), args);

describe("consent, in Chromium", () => {
  it("with data-consent=required, nothing leaves the browser before consent; after it, everything that waited", async () => {
    const { page } = await freshBrowser();
    const sent = await consentShop(page, 'data-consent="required"');
    await call(page, "addLine", { id: "green-tea-100g", name: "Green tea", price: 1250, quantity: 1 });
    await call(page, "identify", { email: "consent.later@example.com", name: "Ana" });
    await call(page, "flush");
    await page.waitForTimeout(2500); // longer than the outbox's own 1 s flush delay
    expect(sent).toEqual([]);
    const { aid, outbox } = await savedState(page);
    expect(outbox?.events).toHaveLength(2);

    await call(page, "consent", true);
    await call(page, "flush");
    await eventually(() => expect(d1(`SELECT id FROM events WHERE aid = '${aid}'`)).toHaveLength(2), 20_000);
    expect(sent.join()).toContain("consent.later@example.com");
    expect(sent.every((body) => JSON.parse(body).consent === true)).toBe(true);
  });

  it("with data-gpc and Global Privacy Control on, nothing is recorded or sent, and the page works", async () => {
    const { context, page } = await freshBrowser();
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }));
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const sent = await consentShop(page, "data-gpc");
    await call(page, "addLine", { id: "kettle", name: "Kettle", price: 4900, quantity: 1 });
    await call(page, "identify", { email: "gpc.on@example.com" });
    await call(page, "flush");
    await page.waitForTimeout(2500);
    expect(sent).toEqual([]);
    expect(await call(page, "getCart")).toMatchObject({ lines: [{ id: "kettle" }] });
    expect((await savedState(page)).outbox?.events ?? []).toEqual([]);
    expect(d1("SELECT email FROM shoppers WHERE email = 'gpc.on@example.com'")).toEqual([]);
    expect(errors).toEqual([]);
  });
});
