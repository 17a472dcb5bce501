import type { BrowserContext, Page, Request, Route } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { eventsAsSent, readLines } from "../../protocol/cart-changes";
import { launch, newProfile, savedState, shownCart } from "./browser";
import { d1, eventually, ORIGIN } from "./env";

// Faults the script must ride out: the collector down, a tab closed mid-send, many tabs at once,
// storage that refuses writes. Each test knows every event id the browser created and checks that
// D1 holds exactly those: none missing, none stored twice (a resend under a new id would show up
// as an extra row; the same id twice is what the collector must absorb).

const EVENTS = "**/v1/events**";
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function profile(): string {
  const p = newProfile();
  cleanups.push(p.remove);
  return p.dir;
}

async function openBrowser(dir: string): Promise<BrowserContext> {
  const context = await launch(dir);
  cleanups.push(() => context.close().catch(() => {}));
  return context;
}

/** A tab on the demo shop, once the script has loaded and rendered the cart; `errors` collects
 * uncaught page errors, `warnings` the script's console warnings. */
async function openTab(context: BrowserContext, page?: Page) {
  const tab = page ?? (await context.newPage());
  const errors: string[] = [];
  const warnings: string[] = [];
  tab.on("pageerror", (e) => errors.push(e.message));
  tab.on("console", (m) => m.text().startsWith("[cartback]") && warnings.push(m.text()));
  await tab.goto(`${ORIGIN}/demo/`);
  await tab.waitForSelector("#cart [data-total]");
  return { page: tab, errors, warnings };
}

const firstTab = async (context: BrowserContext) => openTab(context, context.pages()[0]);

/** The shop's own call through the command queue, as a page script would make it. */
const call = (page: Page, ...args: unknown[]) =>
  page.evaluate((a) => (window as unknown as { cartback: (...x: unknown[]) => Promise<unknown> }).cartback(...a), args);

/** Every batch a context posts to the collector, as the browser sent it. */
function watchSends(context: BrowserContext) {
  const batches: { aid: string; ids: string[] }[] = [];
  context.on("request", (r: Request) => {
    if (r.method() === "POST" && r.url().includes("/v1/events")) batches.push(parseBatch(r));
  });
  return batches;
}

function parseBatch(r: Request): { aid: string; ids: string[] } {
  const body = JSON.parse(r.postData() ?? "{}") as { aid: string; events: { id: string }[] };
  return { aid: body.aid, ids: body.events.map((e) => e.id) };
}

type Stored = { id: string; type: string; data: string; client_at: number; aid: string };
const storedEvents = (aid: string) =>
  d1<Stored>(`SELECT id, aid, type, at, client_at, data FROM events WHERE aid = '${aid}' ORDER BY client_at, id`);

/** Waits until D1 holds exactly `ids` for this shopper (no fewer, no more, no others). */
const storedExactly = (aid: string, ids: string[], timeout = 30_000) =>
  eventually(
    () => {
      const rows = storedEvents(aid);
      expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
      return rows;
    },
    timeout,
    500,
  );

/** The quantities in each stored cart event's snapshot, in the order they were made (changes rebuilt into carts). */
const snapshots = (rows: Stored[]) => {
  const heads = rows.length
    ? d1<{ lines_of: string | null; currency: string; lines: string }>(
        `SELECT lines_of, currency, lines FROM carts WHERE aid = '${rows[0]?.aid}'`,
      )
    : [];
  const sent = eventsAsSent(
    rows.map((r) => ({ id: r.id, type: r.type, clientAt: r.client_at, data: JSON.parse(r.data) })),
    heads.flatMap((h) => (h.lines_of ? [{ label: h.lines_of, cart: { currency: h.currency, lines: readLines(h.lines) } }] : [])),
  );
  return (sent as { cart: { lines: { id: string; quantity: number }[] } }[]).map((e) =>
    Object.fromEntries(e.cart.lines.map((l) => [l.id, l.quantity])),
  );
};

const outboxIds = async (page: Page) => ((await savedState(page)).outbox?.events ?? []).map((e) => e.id);

describe("the collector down for a while", () => {
  it("the shop keeps working, events wait in the outbox through network errors and 503s, then arrive exactly once", async () => {
    const context = await openBrowser(profile());
    const { page, errors, warnings } = await firstTab(context);

    // The collector is unreachable for the first two sends, then answers 503 with Retry-After
    // until we let it through.
    const attempts: number[] = [];
    const answered503: number[] = [];
    await context.route(EVENTS, async (route: Route) => {
      attempts.push(Date.now());
      if (attempts.length <= 2) return route.abort("connectionrefused");
      answered503.push(Date.now());
      await route.fulfill({
        status: 503,
        headers: { "retry-after": "8" },
        contentType: "application/json",
        body: '{"error":{"code":"unavailable","message":"down for maintenance"}}',
      });
    });

    await page.click('[data-add="green-tea-100g"]');
    await page.click('[data-add="kettle"]');
    await expect.poll(() => attempts.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);

    // Still down: the cart API answers and the shop's page follows every change.
    await call(page, "updateLine", "green-tea-100g", { quantity: 3 });
    expect(await call(page, "getCart")).toMatchObject({
      currency: "EUR",
      lines: [
        { id: "green-tea-100g", quantity: 3 },
        { id: "kettle", quantity: 1 },
      ],
    });
    await expect.poll(() => shownCart(page)).toEqual({ "green-tea-100g": 3, kettle: 1 });

    await expect.poll(() => answered503.length, { timeout: 15_000 }).toBe(1);
    await page.click('[data-add="mug-blue"]');
    await expect.poll(() => answered503.length, { timeout: 30_000 }).toBe(2);
    await call(page, "removeLine", "kettle");
    await expect.poll(() => shownCart(page)).toEqual({ "green-tea-100g": 3, "mug-blue": 1 });

    // Nothing reached the collector; all five changes are saved, waiting.
    const { aid, outbox } = await savedState(page);
    const ids = (outbox?.events ?? []).map((e) => e.id);
    expect(ids).toHaveLength(5);
    expect(storedEvents(aid as string)).toEqual([]);

    // After the first 503 the script waited the 8 s the collector asked for, not its own backoff
    // for a third failure (2 to 4 s).
    expect((attempts[3] as number) - (answered503[0] as number)).toBeGreaterThanOrEqual(7_900);

    await context.unroute(EVENTS);
    const rows = await storedExactly(aid as string, ids, 60_000);
    expect(rows.map((r) => r.type)).toEqual(["cart", "cart", "cart", "cart", "cart"]);
    expect(snapshots(rows)).toEqual([
      { "green-tea-100g": 1 },
      { "green-tea-100g": 1, kettle: 1 },
      { "green-tea-100g": 3, kettle: 1 },
      { "green-tea-100g": 3, kettle: 1, "mug-blue": 1 },
      { "green-tea-100g": 3, "mug-blue": 1 },
    ]);
    await expect.poll(() => outboxIds(page), { timeout: 15_000 }).toEqual([]);
    expect(errors).toEqual([]);
    // Retryable failures are not worth a warning; only a refused batch is.
    expect(warnings.filter((w) => w.includes("dropped"))).toEqual([]);
  }, 120_000);
});

describe("a tab closed mid-flush", () => {
  it("what the collector stored but the tab never heard back about is resent by the next page and stored once", async () => {
    const dir = profile();
    const first = await openBrowser(dir);
    const { page, errors } = await firstTab(first);

    // The collector stores every batch, but its answers never reach the tab: the tab dies with
    // its send in flight, so its outbox still holds events the collector already has.
    const held: Route[] = [];
    await first.route(EVENTS, async (route: Route) => {
      await route.fetch();
      held.push(route);
    });

    await page.click('[data-add="green-tea-100g"]');
    await page.click('[data-add="kettle"]');
    await expect.poll(() => shownCart(page)).toEqual({ "green-tea-100g": 1, kettle: 1 });
    await expect.poll(() => held.length, { timeout: 15_000 }).toBe(1);
    // One more change while that send hangs, then the shopper closes the tab at once: only the
    // unload's keep-alive send can carry it before a page of the shop opens again.
    await page.click('[data-add="mug-blue"]');
    await expect.poll(() => shownCart(page)).toEqual({ "green-tea-100g": 1, kettle: 1, "mug-blue": 1 });
    const { aid, outbox } = await savedState(page);
    const ids = (outbox?.events ?? []).map((e) => e.id);
    expect(ids).toHaveLength(3);
    await page.close({ runBeforeUnload: true });
    expect(errors).toEqual([]);

    await storedExactly(aid as string, ids, 15_000);
    for (const route of held) await route.abort().catch(() => {});
    await first.close();

    // The same browser again: its outbox still has all three, sends them again, and the
    // collector keeps one of each.
    const second = await openBrowser(dir);
    const sent = watchSends(second);
    const again = await firstTab(second);
    await expect.poll(() => sent.flatMap((b) => b.ids).sort(), { timeout: 15_000 }).toEqual([...ids].sort());
    expect(sent.every((b) => b.aid === aid)).toBe(true);
    await expect.poll(() => outboxIds(again.page), { timeout: 15_000 }).toEqual([]);
    const rows = await storedExactly(aid as string, ids);
    expect(snapshots(rows)).toEqual([
      { "green-tea-100g": 1 },
      { "green-tea-100g": 1, kettle: 1 },
      { "green-tea-100g": 1, kettle: 1, "mug-blue": 1 },
    ]);
    expect(again.errors).toEqual([]);
  }, 120_000);

  it("a browser closed right after a change loses no event, whether or not its unload send got out", async () => {
    const dir = profile();
    const first = await openBrowser(dir);
    const { page, errors } = await firstTab(first);
    await page.click('[data-add="oolong-50g"]');
    await page.click('[data-add="oolong-50g"]');
    await expect.poll(() => shownCart(page)).toEqual({ "oolong-50g": 2 });
    const { aid, outbox } = await savedState(page);
    const ids = (outbox?.events ?? []).map((e) => e.id);
    expect(ids).toHaveLength(2); // not sent yet: the script waits a second to batch
    await first.close();
    expect(errors).toEqual([]);

    const second = await openBrowser(dir);
    const again = await firstTab(second);
    await expect.poll(() => outboxIds(again.page), { timeout: 15_000 }).toEqual([]);
    await storedExactly(aid as string, ids);
    expect(again.errors).toEqual([]);
  }, 120_000);
});

describe("five tabs of the shop at once", () => {
  it("each changing the cart concurrently: every change lands in the one cart, every event stored exactly once", async () => {
    const context = await openBrowser(profile());
    const tabs = [await firstTab(context)];
    for (let i = 1; i < 5; i++) tabs.push(await openTab(context));
    const sent = watchSends(context);

    // Each tab adds its own line four times, all tabs at the same moment, without waiting.
    await Promise.all(
      tabs.map(({ page }, tab) =>
        page.evaluate((tab) => {
          const cartback = (window as unknown as { cartback: (...x: unknown[]) => Promise<unknown> }).cartback;
          const line = { id: `tab-${tab}`, name: `From tab ${tab}`, price: 100, quantity: 1 };
          return Promise.all([1, 2, 3, 4].map(() => cartback("addLine", line)));
        }, tab),
      ),
    );

    const everyLine = Object.fromEntries(tabs.map((_, tab) => [`tab-${tab}`, 4]));
    for (const { page } of tabs) await expect.poll(() => shownCart(page), { timeout: 15_000 }).toEqual(everyLine);
    await expect.poll(() => outboxIds(tabs[0]?.page as Page), { timeout: 30_000 }).toEqual([]);

    // One shopper: every tab sent under the same id, and the tabs' batches add up to 20 events.
    const { aid } = await savedState(tabs[0]?.page as Page);
    expect(new Set(sent.map((b) => b.aid))).toEqual(new Set([aid]));
    const ids = [...new Set(sent.flatMap((b) => b.ids))];
    expect(ids).toHaveLength(20);
    const rows = await storedExactly(aid as string, ids);
    // Every change saw the one before it, whichever tab made it: the snapshots hold 1, 2, … 20
    // items, each count once. A lost update would repeat a count.
    const counts = snapshots(rows).map((cart) => Object.values(cart).reduce((a, b) => a + b, 0));
    expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const { errors } of tabs) expect(errors).toEqual([]);
  }, 120_000);
});

describe("storage that refuses", () => {
  it("with IndexedDB unavailable the cart lives in memory for the page and every event still reaches the collector once", async () => {
    const context = await openBrowser(profile());
    // Blocked storage, as in some private modes: opening any database throws.
    await context.addInitScript(() => {
      IDBFactory.prototype.open = () => {
        throw new DOMException("The user denied permission to access the database.", "SecurityError");
      };
    });
    const sent = watchSends(context);
    const { page, errors, warnings } = await firstTab(context);

    await page.click('[data-add="green-tea-100g"]');
    await page.click('[data-add="mug-blue"]');
    await call(page, "updateLine", "mug-blue", { quantity: 2 });
    await expect.poll(() => shownCart(page)).toEqual({ "green-tea-100g": 1, "mug-blue": 2 });
    expect(await call(page, "getCart")).toMatchObject({ lines: [{ id: "green-tea-100g" }, { id: "mug-blue", quantity: 2 }] });

    await expect.poll(() => sent.flatMap((b) => b.ids).length, { timeout: 15_000 }).toBe(3);
    const aid = sent[0]?.aid as string;
    const rows = await storedExactly(
      aid,
      sent.flatMap((b) => b.ids),
    );
    expect(snapshots(rows)).toEqual([
      { "green-tea-100g": 1 },
      { "green-tea-100g": 1, "mug-blue": 1 },
      { "green-tea-100g": 1, "mug-blue": 2 },
    ]);
    expect(errors).toEqual([]);
    expect(warnings.filter((w) => w.includes("no IndexedDB"))).toHaveLength(1);

    // As documented: memory is for the page. A reload starts an empty cart and works as well.
    await page.reload();
    await page.waitForSelector("#cart [data-total]");
    expect(await shownCart(page)).toEqual({});
    await page.click('[data-add="kettle"]');
    await expect.poll(() => shownCart(page)).toEqual({ kettle: 1 });
    expect(errors).toEqual([]);
  }, 120_000);

  it("with the quota full mid-session the page carries on from memory with what was saved, and nothing is lost or doubled", async () => {
    const context = await openBrowser(profile());
    // Storage full on demand: once the page sets the flag, every write throws QuotaExceededError.
    await context.addInitScript(() => {
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<typeof put>) {
        if ((window as unknown as { quotaFull?: boolean }).quotaFull)
          throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
        return put.apply(this, args);
      };
    });
    const { page, errors, warnings } = await firstTab(context);
    // The first send hangs until we say, then fails as if the collector were unreachable: the
    // first event is still waiting in the outbox when storage fills. Later sends go through.
    let fail: () => void = () => {};
    const failed = new Promise<void>((resolve) => {
      fail = resolve;
    });
    let sends = 0;
    await context.route(EVENTS, async (route: Route) => {
      if (sends++) return route.continue();
      await failed;
      await route.abort("connectionrefused");
    });

    await page.click('[data-add="green-tea-100g"]');
    await expect.poll(() => shownCart(page)).toEqual({ "green-tea-100g": 1 });
    await expect.poll(() => sends, { timeout: 15_000 }).toBe(1);
    const before = await savedState(page);
    expect(before.outbox?.events).toHaveLength(1);

    await page.evaluate(() => {
      (window as unknown as { quotaFull?: boolean }).quotaFull = true;
    });
    await page.click('[data-add="kettle"]');
    await expect.poll(() => shownCart(page)).toEqual({ "green-tea-100g": 1, kettle: 1 });
    await call(page, "updateLine", "kettle", { quantity: 2 });
    expect(await call(page, "getCart")).toMatchObject({ lines: [{ id: "green-tea-100g" }, { id: "kettle", quantity: 2 }] });

    // From memory, the page sends the waiting event and the two new ones, as the same shopper.
    const sent = watchSends(context);
    fail();
    await expect.poll(() => new Set(sent.flatMap((b) => b.ids)).size, { timeout: 15_000 }).toBe(3);
    expect(new Set(sent.map((b) => b.aid))).toEqual(new Set([before.aid]));
    const ids = [...new Set(sent.flatMap((b) => b.ids))];
    expect(ids).toContain(before.outbox?.events[0]?.id);
    await storedExactly(before.aid as string, ids);

    // IndexedDB still holds what it last saved: the one-line cart and its unconfirmed event.
    const disk = await savedState(page);
    expect(disk.cart?.lines.map((l) => [l.id, l.quantity])).toEqual([["green-tea-100g", 1]]);
    expect(disk.outbox?.events.map((e) => e.id)).toEqual([before.outbox?.events[0]?.id]);
    expect(errors).toEqual([]);
    expect(warnings.filter((w) => w.includes("no IndexedDB"))).toHaveLength(1);

    // Storage has room again on the next page: it shows that saved cart (the in-memory kettle was
    // for that page only) and resends the saved event, which the collector already has.
    const resent = watchSends(context);
    await page.reload();
    await page.waitForSelector("#cart [data-total]");
    expect(await shownCart(page)).toEqual({ "green-tea-100g": 1 });
    await expect.poll(() => resent.flatMap((b) => b.ids), { timeout: 15_000 }).toEqual([before.outbox?.events[0]?.id]);
    await expect.poll(() => outboxIds(page), { timeout: 15_000 }).toEqual([]);
    const rows = await storedExactly(before.aid as string, ids);
    expect(snapshots(rows)).toEqual([{ "green-tea-100g": 1 }, { "green-tea-100g": 1, kettle: 1 }, { "green-tea-100g": 1, kettle: 2 }]);
    expect(errors).toEqual([]);
  }, 120_000);
});
