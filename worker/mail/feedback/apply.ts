// What feedback does once verified: each event recorded on its message, the address suppressed
// when it must be, and sending paused when complaints pass 0.3 % over 7 days.
import { normalEmail } from "../../../protocol/email";
import { EMAIL_PATTERN } from "../../../protocol/limits";
import { countSoftBounce, dayOf, feedbackMessage, mailHealthRows, pauseOf, pauseSending, recordOutcome } from "../../db/feedback";
import { suppress } from "../../db/ledger";
import type { Site } from "../../sites/sites";
import { notifyPaused } from "./notice";
import {
  type FeedbackEvent,
  type Health,
  pausesSending,
  SOFT_BOUNCE_WINDOW_MS,
  suppressesAfterSoft,
  suppressionFor,
  warningsFor,
} from "./outcome";

/** What one delivery of feedback changed, as the route answers it. */
export interface Applied {
  recorded: number;
  suppressed: number;
  paused: boolean;
}

/**
 * Applies a provider's events for a site. Every step is idempotent (outcomes by rank, suppressions
 * kept once, soft bounces counted by the provider's id), so a redelivery changes nothing twice.
 * The message is ours by the id the provider gave back, unless that id names another site's
 * message; otherwise the latest email sent to the address on the site. An address is suppressed
 * even when no message is found: a bounce must stop mail whatever sent it.
 *
 * @example
 * await applyFeedback(env, site, [{ eventId, outcome: "hard_bounce", email, messageId, at }], Date.now());
 */
export async function applyFeedback(env: Env, site: Site, events: FeedbackEvent[], now: number): Promise<Applied> {
  const applied: Applied = { recorded: 0, suppressed: 0, paused: false };
  for (const e of events) {
    const email = normalEmail(e.email);
    if (!EMAIL_PATTERN.test(email)) continue;
    const ours = e.siteKey === undefined || e.siteKey === site.key ? e.messageId : undefined;
    const message = await feedbackMessage(env.DB, site.id, ours, email);
    const recorded = Boolean(message && (await recordOutcome(env.DB, message.id, e.outcome, e.at)));
    if (recorded) applied.recorded++;
    const who = message?.email ?? email;
    let source = suppressionFor(e.outcome);
    if (
      e.outcome === "soft_bounce" &&
      suppressesAfterSoft(await countSoftBounce(env.DB, site.id, who, e.eventId, now, SOFT_BOUNCE_WINDOW_MS))
    ) {
      source = "bounce";
    }
    const suppressed = Boolean(source && (await suppress(env.DB, site.id, who, source, now)).meta.changes > 0);
    if (suppressed) applied.suppressed++;
    // Only a complaint heard for the first time counts towards a pause: a redelivered one changed nothing.
    if (e.outcome === "complained" && (recorded || suppressed) && (await pauseIfOverLimit(env.DB, site.id, e.at, now))) {
      applied.paused = true;
      await notifyPaused(env, site, now);
    }
  }
  return applied;
}

/**
 * The feedback figures of the 7 days ending today (the warnings' input).
 *
 * @example
 * warningsFor(await mailHealth(env.DB, site.id, Date.now()));
 */
export async function mailHealth(db: D1Database, site: number, now: number): Promise<Health> {
  const today = dayOf(now);
  const rows = await mailHealthRows(db, site, today - 6, today + 1);
  const days = new Map<number, { sent: number; hard: number }>();
  let sent = 0;
  let complained = 0;
  for (const r of rows) {
    const d = days.get(r.day) ?? { sent: 0, hard: 0 };
    if (r.what === "sent") {
      d.sent += r.n;
      sent += r.n;
    } else if (r.what === "hard_bounce") d.hard += r.n;
    else if (r.what === "complained") complained += r.n;
    days.set(r.day, d);
  }
  return {
    week: { sent, complained },
    days: [...days].sort((a, b) => a[0] - b[0]).map(([day, d]) => ({ day: new Date(day * 86_400_000).toISOString().slice(0, 10), ...d })),
  };
}

/**
 * Pauses the site's sending when a complaint (made at `complainedAt`) leaves the 7-day rate above
 * 0.3 %: true when this call paused it. A complaint from before the merchant last resumed does not.
 */
async function pauseIfOverLimit(db: D1Database, site: number, complainedAt: number, now: number): Promise<boolean> {
  const pause = await pauseOf(db, site);
  if (pause?.paused_at || (pause?.resumed_at && complainedAt <= pause.resumed_at)) return false;
  const { week } = await mailHealth(db, site, now);
  if (!pausesSending(week)) return false;
  const rate = ((week.complained / week.sent) * 100).toFixed(2);
  return pauseSending(db, site, now, `spam complaints at ${rate} % of ${week.sent} recovery emails over 7 days (the limit is 0.3 %)`);
}

/**
 * What the merchant's notices say first: sending paused, and each warning of the last 7 days.
 *
 * @example
 * renderMerchantNotice({ …, warnings: await mailWarnings(env.DB, site.id, Date.now()) });
 */
export async function mailWarnings(db: D1Database, site: number, now: number): Promise<string[]> {
  const [pause, health] = await Promise.all([pauseOf(db, site), mailHealth(db, site, now)]);
  const paused = pause?.paused_at
    ? [`Recovery emails are paused: ${pause.why ?? "too many spam complaints"}. Resume them in the dashboard.`]
    : [];
  return [...paused, ...warningsFor(health).map((w) => w.text)];
}
