import { base64url, sha256 } from "../../protocol/crypto";
import type { CartbackEvent, Platform } from "../../protocol/types";
import { browsersWithRefs, latestBrowserOf, linkOrder, recordPlatformOrder } from "../db/platforms";
import { storeNow } from "../ingest/store";
import { reportOrder } from "../recovery/orders";
import type { Site } from "../sites/sites";
import type { PlatformAction } from "./action";

/** What carrying out an action did: the receipt's outcome, and how many persons were told. */
export interface Applied {
  outcome: "paid" | "payment_failed" | "waiting" | "ignored" | "test";
  orderId: string;
  told: number;
}

/** An event id fixed by the delivery, so a redelivered failure is one moment, not two. */
async function momentId(site: number, platform: Platform, delivery: string): Promise<string> {
  return base64url((await sha256(`${platform}:${site}:${delivery}`)).slice(0, 18));
}

/**
 * Carries out a platform webhook's action. Every step is idempotent (an order is stored once by
 * its id and each person's object counts it once; a failure's moment has an id fixed by the
 * delivery), so a delivery acted on twice, or twice at once, changes nothing the second time.
 *
 * - A paid order goes the way the merchant API's orders go (recovery/orders.ts `reportOrder`), to
 *   every person it is about: the order's address, and the address of each browser that reported
 *   one of the order's tokens (they may differ: the shopper typed another one on the storefront).
 *   The most recent such browser is the order's browser: its record then holds the order, so it
 *   ends that cart's intent even if the browser is tied to a person only later. A browser that
 *   reports one of the tokens only after the order came becomes its browser then (ingest).
 * - A declined payment becomes a `payment_failed` moment on the shopper's most recently seen
 *   browser, stored and observed as ingest stores and observes a batch (ingest/store.ts
 *   `storeNow`), so the person's reason logic sees it as it sees the script's. It is stamped no
 *   later than that browser's last activity: the shopper was on the platform's payment page, not
 *   on the shop, and a moment after the exit would neither count for the reason nor must it look
 *   like a return.
 *
 * @example
 * await applyAction(env, site, "shopify", "b54557e4-…", { do: "paid", order, email, refs });
 */
export async function applyAction(env: Env, site: Site, platform: Platform, delivery: string, action: PlatformAction): Promise<Applied> {
  switch (action.do) {
    case "paid": {
      // Stored with its tokens before the browsers are looked up: a browser reporting a token
      // after this point ties itself to the order (ingest), one before it is found here.
      await recordPlatformOrder(env.DB, site.id, platform, action.order, action.refs, Date.now());
      const browsers = await browsersWithRefs(env.DB, site.id, platform, action.refs);
      const aid = browsers[0]?.aid;
      if (aid) await linkOrder(env.DB, site.id, action.order.orderId, aid);
      const emails = [action.email, ...browsers.map((b) => b.email)].filter((e): e is string => Boolean(e));
      const told = await reportOrder(env, site.id, { ...action.order, aid }, emails);
      return { outcome: "paid", orderId: action.order.orderId, told };
    }
    case "payment_failed": {
      const browser = action.email ? await latestBrowserOf(env.DB, site.id, action.email) : null;
      if (!browser) return { outcome: "payment_failed", orderId: action.orderId, told: 0 };
      const moment: CartbackEvent = {
        id: await momentId(site.id, platform, delivery),
        at: Math.min(action.at, browser.last_seen),
        type: "moment",
        kind: "payment_failed",
        ...(action.code && { code: action.code }),
      };
      const now = Date.now();
      await storeNow(env, {
        site: site.id,
        aid: browser.aid,
        receivedAt: now,
        skew: 0,
        ttlDays: site.settings.cartTtlDays,
        events: [moment],
      });
      return { outcome: "payment_failed", orderId: action.orderId, told: 1 };
    }
    case "wait":
      return { outcome: "waiting", orderId: action.orderId, told: 0 };
    case "ignore":
      return { outcome: "ignored", orderId: action.orderId, told: 0 };
    case "test":
      // Only the receipt says it came: no order row, so no figure, no stop, no credit.
      return { outcome: "test", orderId: action.orderId, told: 0 };
  }
}
