import { DAY_MS } from "../../protocol/limits";
import { browsersOf, forgottenBrowsers } from "../db/browsers";
import { stuckMessages } from "../db/ledger";
import type { MailJob } from "../mail/job";
import { shopperStub } from "./shopper";

/** A cart quiet this long without a sequence is past every site's threshold (at most 24 h). */
const QUIET_FOR_MS = DAY_MS + 3_600_000;
/** Shoppers woken per run: a safety net, not the clock. */
const MAX_WAKES = 1000;
/** A message claimed this long ago and still queued was lost between the claim and the queue. */
const STUCK_FOR_MS = 3_600_000;

/**
 * The daily safety net under the alarms: a reachable shopper whose cart has been quiet for more
 * than a day, with no sequence started since, is told again what D1 knows of that cart. The
 * alarm is the clock; this only catches an object that lost its state or its alarm (a bug, a
 * failed deploy), so such a cart is followed up a day late rather than never. Telling an object
 * what it already knows changes nothing, so a false alarm costs one call.
 *
 * @example
 * await wakeForgottenShoppers(env, Date.now()); // 0 on a healthy collector
 */
export async function wakeForgottenShoppers(env: Env, now: number): Promise<number> {
  const forgotten = await forgottenBrowsers(env.DB, now, now - QUIET_FOR_MS, MAX_WAKES);
  const bySite = new Map<number, string[]>();
  for (const r of forgotten) bySite.set(r.site_id, [...(bySite.get(r.site_id) ?? []), r.aid]);
  for (const [site, aids] of bySite) {
    // A shopper who gave only a number is woken under it, as observe.ts keys them.
    for (const { key, browser } of await browsersOf(env.DB, site, aids)) {
      if (key) await shopperStub(env, site, key).observe(site, key, [browser]);
    }
  }
  // A step claimed but never handed to the mail queue (its object lost the effect): queue it
  // again. The mail consumer sends a message id once, and asks the person first.
  for (const m of await stuckMessages(env.DB, now - 7 * DAY_MS, now - STUCK_FOR_MS, MAX_WAKES)) {
    const kind = m.channel === "sms" ? "sms" : "recovery";
    await env.MAIL.send({ kind, id: m.id, site: m.site_id, email: m.email } satisfies MailJob, { contentType: "json" });
  }
  return forgotten.length;
}
