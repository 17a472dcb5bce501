import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { BrowserContext, Page, Request } from "playwright-core";
// @ts-expect-error: a plain .mjs script, no types
import { launchProfile } from "../../scripts/chromium.mjs";

/** A browser profile on disk: reuse it to restart "the same browser", make another for another device. */
export function newProfile(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(`${tmpdir()}/cartback-profile-`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Each context's requests not answered yet, with when they went: what a stalled page waits on. */
const pending = new WeakMap<BrowserContext, Map<Request, { at: number; what: string }>>();

export async function launch(profileDir: string): Promise<BrowserContext> {
  const context: BrowserContext = await launchProfile(profileDir);
  // Twice Playwright's 30 s: a CI run on two loaded cores once held a page's load past it. What the
  // page was still waiting for then is printed when the browser closes (below).
  context.setDefaultNavigationTimeout(60_000);
  const open = new Map<Request, { at: number; what: string }>();
  context.on("request", (r) => open.set(r, { at: Date.now(), what: `${r.method()} ${r.url()}` }));
  context.on("requestfinished", (r) => open.delete(r));
  context.on("requestfailed", (r) => open.delete(r));
  // A test that closed the browser itself cut what was in flight (an unload's send): no clue there.
  context.on("close", () => pending.delete(context));
  pending.set(context, open);
  return context;
}

/** Closes a context, first saying which of its requests went unanswered for 5 s or more (a stalled test's clue). */
async function close(context: BrowserContext): Promise<void> {
  const now = Date.now();
  const stuck = [...(pending.get(context)?.values() ?? [])].filter((r) => now - r.at >= 5000);
  if (stuck.length)
    console.warn(`unanswered when the browser closed:\n  ${stuck.map((r) => `${r.what} (sent ${now - r.at} ms before)`).join("\n  ")}`);
  await context.close().catch(() => {});
}

const opened: (() => unknown)[] = [];

/** A new browser on a new profile (another device); `closeBrowsers` closes and removes it. */
export async function freshBrowser(): Promise<{ context: BrowserContext; page: Page }> {
  const profile = newProfile();
  const context = await launch(profile.dir);
  opened.push(profile.remove, () => close(context));
  return { context, page: context.pages()[0] ?? (await context.newPage()) };
}

/** For `afterEach`: closes every browser `freshBrowser` opened, newest first. */
export async function closeBrowsers(): Promise<void> {
  for (const close of opened.splice(0).reverse()) await close();
}

/** What the script keeps in this page's IndexedDB, read the way any page script could. */
export function savedState(page: Page): Promise<{
  aid?: string;
  cart?: { lines: { id: string; quantity: number }[]; updatedAt: number };
  outbox?: { events: { id: string; type: string }[] };
  account?: { userId: string; token: string };
}> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open("cartback");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains("state")) return resolve({});
          const store = db.transaction("state").objectStore("state");
          const out: Record<string, unknown> = {};
          // The outbox's events are records of their own, under number keys (sdk/storage.ts).
          const events = store.getAll(IDBKeyRange.upperBound(Infinity));
          let pending = 5;
          const done = () => {
            if (--pending) return;
            if (out.outbox) out.outbox = { ...(out.outbox as object), events: events.result };
            db.close();
            resolve(out);
          };
          events.onsuccess = done;
          for (const key of ["aid", "cart", "outbox", "account"]) {
            const get = store.get(key);
            get.onsuccess = () => {
              out[key] = get.result;
              done();
            };
          }
        };
      }),
  );
}

/** The quantities shown by the demo shop's cart panel, by line id. */
export async function shownCart(page: Page): Promise<Record<string, number>> {
  const rows = await page
    .locator("#cart [data-line]")
    .evaluateAll((els) => els.map((el) => [(el as HTMLElement).dataset.line, Number((el as HTMLElement).dataset.quantity)]));
  return Object.fromEntries(rows);
}

/**
 * The demo shop, in this profile, as a Spanish shop serves it (`<html lang="es">`), seen by a
 * browser set to English: what the page says must win over what the browser prefers.
 */
export async function asSpanishShop(context: BrowserContext, origin: string): Promise<void> {
  await context.setExtraHTTPHeaders({ "Accept-Language": "en-US,en;q=0.9" });
  await context.route(`${origin}/demo/**`, async (route) => {
    const res = await route.fetch();
    if (!(res.headers()["content-type"] ?? "").includes("text/html")) return route.fulfill({ response: res });
    await route.fulfill({ response: res, body: (await res.text()).replace('<html lang="en">', '<html lang="es">') });
  });
}

/**
 * Goes from the demo shop to its checkout and waits for the checkout's own script (a module, which
 * runs before `load`): a click on "Continue to payment" before it runs does nothing.
 */
export async function toCheckout(page: Page): Promise<void> {
  await Promise.all([page.waitForURL(/\/demo\/checkout/), page.click("#to-checkout")]);
}
