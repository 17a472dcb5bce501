import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { rebuildRollups } from "../../db/rollups";
import { findSite, type Site } from "../../sites/sites";
import { ORIGIN, seedSite } from "../../test/helpers";
import { deliver } from "../../test/recovery";
import { applyFeedback } from "./apply";

const BASE = "http://127.0.0.1:8787";

/** `n` sent recovery emails of a site, carts gone quiet today (rows as the mail path leaves them). */
async function sentEmails(site: Site, n: number): Promise<{ id: string; email: string }[]> {
  const now = Date.now();
  const out = Array.from({ length: n }, (_, i) => ({ seq: crypto.randomUUID(), email: `shopper${i}@example.com` }));
  await env.DB.batch(
    out.flatMap(({ seq, email }) => [
      env.DB.prepare(
        "INSERT INTO sequences (id, site_id, email, aid, abandoned_at, started_at, value, currency, reason, status, holdout) VALUES (?, ?, ?, 'aid', ?, ?, 1000, 'EUR', 'other', 'completed', 0)",
      ).bind(seq, site.id, email, now, now),
      env.DB.prepare(
        "INSERT INTO messages (id, sequence_id, site_id, email, step, kind, status, due_at, queued_at, sent_at, abandoned_at, channel) VALUES (?, ?, ?, ?, 0, 'recovery', 'sent', ?, ?, ?, ?, 'email')",
      ).bind(`${seq}-0`, seq, site.id, email, now, now, now, now),
    ]),
  );
  await rebuildRollups(env.DB, site.id);
  return out.map(({ seq, email }) => ({ id: `${seq}-0`, email }));
}

const report = (site: Site, m: { id: string; email: string }, outcome: "complained" | "hard_bounce" | "delivered", i: number) =>
  applyFeedback(env, site, [{ eventId: `e${i}-${outcome}`, outcome, email: m.email, messageId: m.id, at: Date.now() }], Date.now());

const auth = (key: string) => ({ authorization: `Bearer sk_${key}` });

describe("figures and warnings", () => {
  it("the stats API, the CSV, the dashboard and the merchant notice show the rates and warn; over 0.3 % sending pauses until resumed", async () => {
    const { key } = await seedSite(env.DB, [ORIGIN], { notifyEmail: "owner@shop.example", holdoutPercent: 0 });
    const site = (await findSite(env.DB, key)) as Site;
    const emails = await sentEmails(site, 400);
    for (let i = 0; i < 300; i++) await report(site, emails[i] as never, "delivered", i);
    await report(site, emails[0] as never, "complained", 0); // 1 in 400: 0.25 %, over 0.1 %
    for (let i = 300; i < 325; i++) await report(site, emails[i] as never, "hard_bounce", i); // 25 in 400: 6.25 %, over 5 %

    const today = new Date().toISOString().slice(0, 10);
    const stats = (await (await exports.default.fetch(`${BASE}/v1/stats?site=${key}`, { headers: auth(key) })).json()) as {
      mail: { sent: number; delivered: number; hard: number; complained: number; complaintRate: number; daily: { day: string }[] };
    };
    expect(stats.mail).toMatchObject({
      sent: 400,
      delivered: 300,
      hard: 25,
      soft: 0,
      complained: 1,
      complaintRate: 0.0025,
      hardBounceRate: 0.0625,
    });
    expect(stats.mail.daily.map((d) => d.day)).toEqual([today]);
    const csv = await (await exports.default.fetch(`${BASE}/v1/stats/mail?site=${key}&format=csv`, { headers: auth(key) })).text();
    expect(csv.split("\r\n")).toEqual([
      "day,sent,delivered,hard_bounces,soft_bounces,complaints,complaint_rate,hard_bounce_rate",
      `${today},400,300,25,0,1,0.0025,0.0625`,
      "total,400,300,25,0,1,0.0025,0.0625",
      "",
    ]);

    const login = await exports.default.fetch(`${BASE}/dashboard/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE },
      body: new URLSearchParams({ site: key, secret: `sk_${key}` }).toString(),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const page = await (await exports.default.fetch(`${BASE}/dashboard`, { headers: { cookie } })).text();
    expect(page).toContain('id="mail-warning"');
    expect(page).toContain("Spam complaints: 0.25 % of the 400 recovery emails");
    expect(page).toContain(`Hard bounces on ${today}: 6.25 % of 400 emails`);
    expect(page).toContain('data-figure="complaint-rate">0.25 %');
    expect(page).not.toContain("Resume sending");

    // The merchant's notice of an interrupted order leads with the warnings.
    await deliver([
      {
        kind: "merchant_notice",
        id: `${emails[399]?.id.slice(0, -2)}-notice`,
        site: site.id,
        email: "owner@shop.example",
        about: "x@example.com",
      },
    ]);
    const notice = await env.DB.prepare(`SELECT text FROM dev_outbox WHERE "to" = 'owner@shop.example' ORDER BY created_at`).first<string>(
      "text",
    );
    expect(notice).toMatch(/^⚠ Spam complaints: 0\.25 %/);

    // Two more complaints: 0.75 %, over 0.3 %: paused, the merchant told, the next email not sent.
    await report(site, emails[1] as never, "complained", 1);
    const queued = `${crypto.randomUUID()}-1`;
    await env.DB.prepare(
      "INSERT INTO messages (id, sequence_id, site_id, email, step, kind, status, due_at, queued_at, abandoned_at, channel) VALUES (?, 's', ?, 'next@example.com', 1, 'recovery', 'queued', 0, 0, 0, 'email')",
    )
      .bind(queued, site.id)
      .run();
    await deliver([{ kind: "recovery", id: queued, site: site.id, email: "next@example.com" }]);
    expect(await env.DB.prepare("SELECT status, cancel_reason FROM messages WHERE id = ?").bind(queued).first()).toEqual({
      status: "cancelled",
      cancel_reason: "sending_paused",
    });
    const told = await env.DB.prepare(
      `SELECT subject, text FROM dev_outbox WHERE "to" = 'owner@shop.example' AND subject LIKE 'Recovery emails paused%'`,
    ).first<{ text: string }>();
    expect(told?.text).toContain("spam complaints at 0.50 % of 400 recovery emails");
    const paused = await (await exports.default.fetch(`${BASE}/dashboard`, { headers: { cookie } })).text();
    expect(paused).toContain("Recovery emails are paused:");
    const csrf = /name="_csrf" value="([0-9a-f]{64})"/.exec(paused)?.[1] as string;
    const resumed = await exports.default.fetch(`${BASE}/dashboard/mail-resume`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie, origin: BASE },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(await resumed.text()).toContain("Sending resumed.");
    const status = (await (await exports.default.fetch(`${BASE}/v1/sites/${key}/mail-feedback`, { headers: auth(key) })).json()) as {
      paused: unknown;
    };
    expect(status.paused).toBeNull();
  });
});
