import type { MailJob } from "../mail/job";
import { browsersOf } from "./observe";
import { shopperStub } from "./shopper";

/** A cart quiet this long without a sequence is past every site's threshold (at most 24 h). */
const QUIET_FOR_MS = 25 * 3_600_000;
/** Shoppers woken per run: a safety net, not the clock. */
const MAX_WAKES = 1000;
/** A message claimed this long ago and still queued was lost between the claim and the queue. */
const STUCK_FOR_MS = 3_600_000;

interface Forgotten {
  site_id: number;
  aid: string;
}

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
  const { results } = await env.DB.prepare(
    `SELECT s.site_id, c.aid
     FROM carts c JOIN shoppers s ON s.site_id = c.site_id AND s.aid = c.aid
     WHERE c.status = 'active' AND c.value > 0 AND c.expires_at > ?1 AND c.updated_at < ?2 AND s.email IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM sequences q WHERE q.site_id = c.site_id AND q.email = s.email AND q.abandoned_at >= c.updated_at)
     LIMIT ${MAX_WAKES}`,
  )
    .bind(now, now - QUIET_FOR_MS)
    .all<Forgotten>();
  const bySite = new Map<number, string[]>();
  for (const r of results) bySite.set(r.site_id, [...(bySite.get(r.site_id) ?? []), r.aid]);
  for (const [site, aids] of bySite) {
    for (const { email, browser } of await browsersOf(env.DB, site, aids)) {
      if (email) await shopperStub(env, site, email).observe(site, email, [browser]);
    }
  }
  // A step claimed but never handed to the mail queue (its object lost the effect): queue it
  // again. The mail consumer sends a message id once, and asks the person first.
  const stuck = await env.DB.prepare(
    `SELECT id, site_id, email FROM messages WHERE kind = 'recovery' AND status = 'queued' AND sent_at IS NULL AND queued_at < ?1 AND queued_at > ?2 LIMIT ${MAX_WAKES}`,
  )
    .bind(now - STUCK_FOR_MS, now - 7 * 86_400_000)
    .all<{ id: string; site_id: number; email: string }>();
  for (const m of stuck.results) {
    await env.MAIL.send({ kind: "recovery", id: m.id, site: m.site_id, email: m.email } satisfies MailJob, { contentType: "json" });
  }
  return results.length;
}
