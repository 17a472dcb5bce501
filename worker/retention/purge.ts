import { DAY_MS } from "../../protocol/limits";
import { forgetDroppedImages } from "../db/images";
import { forgetReceipts, purgeSite } from "../db/retention";
import { allSites } from "../sites/sites";

/** A host that dropped no image for this long is no longer listed on the dashboard. */
export const IMAGE_DROPS_DAYS = 30;

/** A platform webhook delivery is remembered this long (its redeliveries are answered without acting). */
export const RECEIPTS_DAYS = 30;

/** How long one run of the retention job works (a cron invocation may run 15 minutes). */
export const RUN_BUDGET_MS = 10 * 60_000;

/** What one run of the retention job removed. */
export interface Purged {
  carts: number;
  events: number;
  shoppers: number;
  /** Platform tokens (which browser had which Shopify cart) of the shoppers purged. */
  refs: number;
  /** Platform webhook receipts forgotten. */
  receipts: number;
}

/**
 * The daily retention job. For each site, with its cart lifetime (7 days by default):
 * - a shopper whose cart is gone (expired, purchased or emptied and not changed since) and who sent
 *   nothing for that long loses every event; the figures keep counting them (the rollups took
 *   them in when they came, worker/db/rollups.ts), so stats of any past range do not change;
 * - expired carts are deleted (reads already skip them);
 * - a browser's identity row (email, name) goes once it has no cart and no events left.
 * A site is purged a slice of 500 shoppers at a time, one D1 batch each with its cursor, so no
 * statement grows with the site's history; a run that reaches its time budget (`RUN_BUDGET_MS`)
 * stops, and the next one resumes each site where it stood.
 * Recovery sequences and messages stay: they are the merchant's record of what was sent and
 * what came back (erasable per shopper through the privacy API). The counts of images left out
 * of emails forget a host 30 days after its last drop. A browser's platform tokens go with its
 * events; platform webhook receipts are forgotten 30 days after they came.
 *
 * @example
 * await purgeExpired(env.DB, Date.now()); // { carts: 12, events: 340, shoppers: 9, refs: 4, receipts: 30 }
 */
export async function purgeExpired(db: D1Database, now: number, budgetMs = RUN_BUDGET_MS): Promise<Purged> {
  const total: Purged = { carts: 0, events: 0, shoppers: 0, refs: 0, receipts: 0 };
  const deadline = Date.now() + budgetMs;
  for (const site of await allSites(db)) {
    const cutoff = now - site.settings.cartTtlDays * DAY_MS;
    const { events, carts, shoppers, refs } = await purgeSite(db, site.id, cutoff, now, deadline);
    total.events += events;
    total.carts += carts;
    total.shoppers += shoppers;
    total.refs += refs;
  }
  await forgetDroppedImages(db, now - IMAGE_DROPS_DAYS * DAY_MS);
  total.receipts = await forgetReceipts(db, now - RECEIPTS_DAYS * DAY_MS);
  return total;
}
