// The merchant's notice that recovery emails stopped: sent once, when the complaint rate paused them.

import { plainText } from "../../copy/typography";
import { pauseOf } from "../../db/feedback";
import { mailHtml, plainEmail } from "../../html";
import type { Site } from "../../sites/sites";
import { mailerFor } from "../mailer";
import { siteFrom } from "../render";

/**
 * Tells the merchant (the site's `notifyEmail`) that sending paused itself, why, and how to resume.
 * A failure is logged, not thrown: the pause holds whatever happens to the notice, and the
 * dashboard says the same.
 *
 * @example
 * await notifyPaused(env, site, Date.now());
 */
export async function notifyPaused(env: Env, site: Site, now: number): Promise<void> {
  const to = site.settings.notifyEmail;
  if (!to) return;
  const why = (await pauseOf(env.DB, site.id))?.why ?? "spam complaints over 0.3 %";
  const shop = plainText(site.settings.shopName ?? site.name);
  const subject = `Recovery emails paused for ${shop}: too many spam complaints`;
  const lines = [
    `Cartback stopped sending recovery emails for ${shop}: ${why}.`,
    "Gmail and Yahoo block senders whose complaint rate stays above 0.3 %. Nothing is sent until you resume.",
    "Before resuming, check who receives the emails (consent at checkout, the soft-opt-in mode) and how often.",
    `Resume in the dashboard (Mail health → Resume sending) or with POST /v1/sites/${site.key}/mail-feedback/resume.`,
  ];
  try {
    await mailerFor(env, site.id).send({
      id: `paused-${site.id}-${now}`,
      to,
      from: siteFrom(site, env.MAIL_FROM),
      subject,
      text: lines.join("\n\n"),
      html: plainEmail(mailHtml`${lines.map((l) => mailHtml`<p>${l}</p>`)}`, "en"),
      headers: {},
    });
  } catch (e) {
    console.error(`site ${site.id}: paused notice not sent:`, e instanceof Error ? e.message : e);
  }
}
