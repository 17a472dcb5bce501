// @vitest-environment node
// The Shopify Custom Pixel as the merchant pastes it (examples/shopify/pixel.js), run in a harness
// that provides the documented pixel API (https://shopify.dev/docs/api/web-pixels-api: analytics,
// browser, init, api.customerPrivacy) and replays a recorded checkout, a declined card included.
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { BatchSchema } from "../../protocol/schema";
import type { Batch } from "../../protocol/types";
// @ts-expect-error: a plain .mjs script, no types
import { buildPixel } from "../../scripts/build.mjs";
import { declinedThenPaid } from "../../test/platforms/pixel-events";
import type { PixelEvent, Privacy } from "./pixel";

const FILE = new URL("../../examples/shopify/pixel.js", import.meta.url);
const source = readFileSync(FILE, "utf8");

/** Runs the pasted pixel with the documented API; returns what it posted and a way to fire events. */
function harness({
  privacy,
  storage = {},
  cookies = {},
}: {
  privacy: Privacy;
  storage?: Record<string, string>;
  cookies?: Record<string, string>;
}) {
  const subscribers = new Map<string, (event: PixelEvent) => Promise<void>>();
  const consent: ((e: { customerPrivacy: Privacy }) => void)[] = [];
  const posts: { url: string; batch: Batch }[] = [];
  const api = {
    analytics: { subscribe: async (name: string, callback: (event: PixelEvent) => Promise<void>) => void subscribers.set(name, callback) },
    browser: {
      localStorage: {
        getItem: async (key: string) => storage[key] ?? null,
        setItem: async (key: string, value: string) => {
          storage[key] = value;
        },
      },
      cookie: { get: async (name: string) => cookies[name] ?? "" },
      sessionStorage: { getItem: async () => null, setItem: async () => {} },
    },
    init: { customerPrivacy: privacy, context: {}, data: {} },
    customerPrivacy: { subscribe: async (_: string, callback: (e: { customerPrivacy: Privacy }) => void) => void consent.push(callback) },
  };
  const fetch = async (url: string, init: { body: string }) => {
    posts.push({ url, batch: JSON.parse(init.body) });
    return new Response(null, { status: 202 });
  };
  const code = source
    .replace(/const CARTBACK_SITE = ".*";/, 'const CARTBACK_SITE = "pk_test_pixel";')
    .replace(/const CARTBACK_ENDPOINT = ".*";/, 'const CARTBACK_ENDPOINT = "https://collector.example";');
  new Function("analytics", "browser", "init", "api", "fetch", code)(api.analytics, api.browser, api.init, api, fetch);
  return {
    posts,
    storage,
    subscribed: [...subscribers.keys()],
    replay: async (events: PixelEvent[]) => {
      for (const event of events) await subscribers.get(event.name)?.(event);
    },
    consentChanged: (next: Privacy) => {
      for (const callback of consent) callback({ customerPrivacy: next });
    },
  };
}

const AID = "k3v9q0s1t2u3v4r5p6o7n8";
const events = (posts: { batch: Batch }[]) =>
  posts.flatMap((p) => p.batch.events.map(({ id: _, at: __, ...e }) => e as Record<string, unknown>));

describe("the Shopify Custom Pixel", () => {
  it("is what the build makes of sdk/platforms/pixel.ts", async () => {
    expect(source).toBe(await buildPixel({ write: false }));
  });

  it("reports a checkout with a declined card, then the order, as the storefront's browser, in batches the collector accepts", async () => {
    const pixel = harness({ privacy: { analyticsProcessingAllowed: true, marketingAllowed: true }, storage: { cartback_aid: AID } });
    expect(pixel.subscribed.sort()).toEqual(
      [
        "alert_displayed",
        "checkout_completed",
        "checkout_contact_info_submitted",
        "checkout_shipping_info_submitted",
        "checkout_started",
        "payment_info_submitted",
      ].sort(),
    );
    await pixel.replay(declinedThenPaid);
    for (const { url, batch } of pixel.posts) {
      expect(url).toBe("https://collector.example/v1/events?site=pk_test_pixel");
      expect(v.safeParse(BatchSchema, batch).issues).toBeUndefined();
      expect(batch.aid).toBe(AID);
      expect(batch.consent).toBe(true);
    }
    expect(events(pixel.posts)).toEqual([
      { type: "checkout" },
      { type: "ref", platform: "shopify", ref: "ec1f2b3a4d5e6f708192a3b4c5d6e7f8" },
      { type: "identify", email: "ana.pixel@example.com" },
      { type: "moment", kind: "extra_cost", code: "shipping", value: 1299 },
      { type: "moment", kind: "step", code: "payment" },
      { type: "moment", kind: "payment_failed", code: "payment_error" },
      { type: "moment", kind: "field_error", code: "input_invalid" },
      { type: "moment", kind: "step", code: "payment" },
      { type: "purchase", orderId: "5678901234567", total: 4349, currency: "CAD" },
      { type: "ref", platform: "shopify", ref: "ec1f2b3a4d5e6f708192a3b4c5d6e7f8" },
    ]);
    // Never the alert's message: it is the checkout's text, perhaps with what the shopper typed.
    expect(JSON.stringify(pixel.posts)).not.toContain("declined.");
  });

  it("reads the browser id from the cookie when localStorage has none, and keeps one it makes", async () => {
    const fromCookie = harness({ privacy: { analyticsProcessingAllowed: true }, cookies: { cartback_aid: AID } });
    await fromCookie.replay(declinedThenPaid.slice(0, 1));
    expect(fromCookie.posts[0]?.batch.aid).toBe(AID);
    const fresh = harness({ privacy: { analyticsProcessingAllowed: true } });
    await fresh.replay(declinedThenPaid.slice(0, 2));
    const made = fresh.posts[0]?.batch.aid;
    expect(made).toMatch(/^[\w-]{16,64}$/);
    expect(fresh.storage.cartback_aid).toBe(made);
    expect(new Set(fresh.posts.map((p) => p.batch.aid))).toEqual(new Set([made]));
  });

  it("sends the email only where marketing is allowed, and nothing at all without analytics consent, until it is given", async () => {
    const noMarketing = harness({ privacy: { analyticsProcessingAllowed: true, marketingAllowed: false }, storage: { cartback_aid: AID } });
    await noMarketing.replay(declinedThenPaid);
    expect(events(noMarketing.posts).filter((e) => e.type === "identify")).toEqual([]);
    expect(events(noMarketing.posts).filter((e) => e.type === "purchase")).toHaveLength(1);

    const none = harness({ privacy: { analyticsProcessingAllowed: false, marketingAllowed: false }, storage: { cartback_aid: AID } });
    await none.replay(declinedThenPaid.slice(0, 5));
    expect(none.posts).toEqual([]);
    none.consentChanged({ analyticsProcessingAllowed: true, marketingAllowed: true });
    await none.replay(declinedThenPaid.slice(5));
    expect(events(none.posts).map((e) => e.type)).toEqual(["moment", "moment", "purchase", "ref"]);
  });
});

describe("the order's id", () => {
  it("is the number the order webhook uses, whether the pixel gives a GID or the number", async () => {
    const { pixelEvents } = await import("./pixel");
    const completed = (id: string): PixelEvent =>
      ({
        name: "checkout_completed",
        data: { checkout: { token: "ab12", currencyCode: "EUR", totalPrice: { amount: 45.5 }, order: { id } } },
      }) as unknown as PixelEvent;
    const allowed = { analyticsProcessingAllowed: true } as Privacy;
    for (const id of ["gid://shopify/OrderIdentity/820982911946154508", "820982911946154508"]) {
      expect(pixelEvents(completed(id), allowed)).toContainEqual({
        type: "purchase",
        orderId: "820982911946154508",
        total: 4550,
        currency: "EUR",
      });
    }
  });
});
