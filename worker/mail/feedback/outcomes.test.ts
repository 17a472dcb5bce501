import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pauseOf, resumeSending } from "../../db/feedback";
import { eraseRows } from "../../db/privacy";
import { rebuildRollups } from "../../db/rollups";
import { findSite, type Site } from "../../sites/sites";
import { count, ORIGIN, seedSite } from "../../test/helpers";
import { applyFeedback } from "./apply";
import { OUTCOME_RANK, type Outcome } from "./outcome";

const DAY = 86_400_000;

/** A site and one sent recovery email of `email` on it (rows as the mail path leaves them). */
async function sentMessage(email: string, site?: Site) {
  const s = site ?? ((await findSite(env.DB, (await seedSite(env.DB, [ORIGIN], {})).key)) as Site);
  const id = `${crypto.randomUUID()}-0`;
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO sequences (id, site_id, email, aid, abandoned_at, started_at, value, currency, reason, status, holdout) VALUES (?, ?, ?, 'aid', ?, ?, 1000, 'EUR', 'other', 'completed', 0)",
    ).bind(id.slice(0, -2), s.id, email, now, now),
    env.DB.prepare(
      "INSERT INTO messages (id, sequence_id, site_id, email, step, kind, status, due_at, queued_at, sent_at, abandoned_at, channel) VALUES (?, ?, ?, ?, 0, 'recovery', 'sent', ?, ?, ?, ?, 'email')",
    ).bind(id, id.slice(0, -2), s.id, email, now, now, now, now),
  ]);
  return { site: s, id };
}

const outcomeOf = (id: string) => env.DB.prepare("SELECT outcome FROM messages WHERE id = ?").bind(id).first<string | null>("outcome");
const sourceOf = (site: number, email: string) =>
  env.DB.prepare("SELECT source FROM suppressions WHERE site_id = ? AND email = ?").bind(site, email).first<string | null>("source");

describe("outcomes on the message, suppressions, idempotence", () => {
  it("property: reports in any order, redelivered any number of times, leave the highest rank and suppress by the rules", async () => {
    const outcome = fc.constantFrom<Outcome>("delayed", "delivered", "soft_bounce", "hard_bounce", "complained");
    // Distinct reports (by event id), each delivered 1-3 times, all shuffled together.
    const history = fc
      .array(fc.record({ outcome, copies: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 8 })
      .chain((reports) => {
        const deliveries = reports.flatMap((r, i) => Array.from({ length: r.copies }, () => ({ ...r, eventId: `ev-${i}` })));
        return fc.shuffledSubarray(deliveries, { minLength: deliveries.length, maxLength: deliveries.length }).map((d) => ({ reports, d }));
      });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(history, async ({ reports, d }) => {
        const email = `prop${++n}@example.com`;
        const { site, id } = await sentMessage(email);
        for (const e of d)
          await applyFeedback(env, site, [{ eventId: e.eventId, outcome: e.outcome, email, messageId: id, at: Date.now() }], Date.now());
        const best = reports.reduce((a, r) => (OUTCOME_RANK[r.outcome] > OUTCOME_RANK[a] ? r.outcome : a), reports[0]?.outcome as Outcome);
        expect(await outcomeOf(id)).toBe(best);
        const soft = reports.filter((r) => r.outcome === "soft_bounce").length;
        const first = d.find(
          (e) => e.outcome === "hard_bounce" || e.outcome === "complained" || (e.outcome === "soft_bounce" && soft >= 3),
        );
        const expected =
          reports.some((r) => r.outcome === "hard_bounce" || r.outcome === "complained") || soft >= 3
            ? first?.outcome === "complained"
              ? "complaint"
              : "bounce"
            : null;
        // The first suppressing report's source stays (a later complaint does not relabel a bounce).
        const stored = await sourceOf(site.id, email);
        if (expected === null) expect(stored).toBeNull();
        else expect(stored).not.toBeNull();
        expect(await count(env.DB, "SELECT count(*) AS n FROM mail_soft_bounces WHERE site_id = ? AND email = ?", site.id, email)).toBe(
          soft,
        );
      }),
      { numRuns: 25 },
    );
  });

  it("soft bounces: two in 30 days do not suppress, the third does; one older than 30 days does not count", async () => {
    const email = "mailbox.full@example.com";
    const { site, id } = await sentMessage(email);
    const now = Date.now();
    const soft = (eventId: string, at = now) =>
      applyFeedback(env, site, [{ eventId, outcome: "soft_bounce", email, messageId: id, at }], at);
    await soft("old", now - 31 * DAY);
    await soft("a");
    await soft("b");
    expect(await sourceOf(site.id, email)).toBeNull();
    await soft("b"); // a redelivery counts once
    expect(await sourceOf(site.id, email)).toBeNull();
    await soft("c");
    expect(await sourceOf(site.id, email)).toBe("bounce");
    // An erasure takes the counted bounces with the person; the suppression stays, as every suppression does.
    await eraseRows(env.DB, site.id, { aids: ["nobody"], emails: [email], phones: [], userIds: [] });
    expect(await count(env.DB, "SELECT count(*) AS n FROM mail_soft_bounces WHERE site_id = ? AND email = ?", site.id, email)).toBe(0);
    expect(await sourceOf(site.id, email)).toBe("bounce");
  });

  it("no message id (or another site's): the latest email to the address on this site is found, and the address suppressed anyway", async () => {
    const email = "no.tags@example.com";
    const { site, id } = await sentMessage(email);
    const other = await sentMessage(email);
    await applyFeedback(
      env,
      site,
      [{ eventId: "x", outcome: "hard_bounce", email: "No.Tags@Example.com", messageId: other.id, at: Date.now() }],
      Date.now(),
    );
    expect(await outcomeOf(id)).toBe("hard_bounce");
    expect(await outcomeOf(other.id)).toBeNull();
    expect(await sourceOf(site.id, email)).toBe("bounce");
    expect(await sourceOf(other.site.id, email)).toBeNull();
    // An address never mailed by the collector is still suppressed.
    await applyFeedback(
      env,
      site,
      [{ eventId: "y", outcome: "complained", email: "never.mailed@example.com", at: Date.now() }],
      Date.now(),
    );
    expect(await sourceOf(site.id, "never.mailed@example.com")).toBe("complaint");
  });

  it("complaints pause sending above 0.3 % over 7 days, not at 0.1-0.3 %; the merchant's resume holds until a new complaint", async () => {
    const site = (await findSite(env.DB, (await seedSite(env.DB, [ORIGIN], {})).key)) as Site;
    const ids: string[] = [];
    for (let i = 0; i < 500; i++) ids.push((await sentMessage(`bulk${i}@example.com`, site)).id);
    await rebuildRollups(env.DB, site.id); // the rows above were written without the mail path
    const complain = (i: number) =>
      applyFeedback(
        env,
        site,
        [{ eventId: `c${i}`, outcome: "complained", email: `bulk${i}@example.com`, messageId: ids[i], at: Date.now() }],
        Date.now(),
      );
    await complain(0); // 0.2 %: a warning, no pause
    expect((await pauseOf(env.DB, site.id))?.paused_at ?? null).toBeNull();
    expect((await complain(1)).paused).toBe(true); // 0.4 %
    expect((await pauseOf(env.DB, site.id))?.why).toContain("0.40 %");
    expect((await complain(2)).paused).toBe(false); // paused already
    await resumeSending(env.DB, site.id, Date.now());
    expect((await pauseOf(env.DB, site.id))?.paused_at).toBeNull();
    // A complaint reported again after the resume (a redelivery) is not a new one; a new one pauses again.
    expect((await complain(1)).paused).toBe(false);
    expect((await complain(3)).paused).toBe(true);
  });
});
