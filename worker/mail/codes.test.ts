import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addCodes, claimCode, markPoolLow, poolCounts } from "../db/codes";
import { parseCodes } from "../sites/codes";
import { eventually, ORIGIN, randomId, seedSite } from "../test/helpers";
import { abandon, deliver, messagesOf } from "../test/recovery";

const call = (key: string, path: string, init: { method?: string; body?: string; type?: string } = {}) =>
  exports.default.fetch(
    new Request(`https://collector.test/v1/sites/${key}${path}`, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer sk_${key}`, "content-type": init.type ?? "text/plain" },
      body: init.body,
    }),
  );

describe("parsing an upload", () => {
  it("takes one code per line or a CSV's first column, skips a header and blanks, keeps duplicates once, names bad lines", () => {
    expect(parseCodes("TEA-1\r\nTEA-2\n\nTEA-1\n")).toEqual({ ok: true, codes: ["TEA-1", "TEA-2"] });
    expect(parseCodes('\uFEFFcode,value\n"TEA-1",10%\nTEA-2;x\n')).toEqual({ ok: true, codes: ["TEA-1", "TEA-2"] });
    expect(parseCodes("TEA-1\nTEA 2\n<b>\n")).toEqual({
      ok: false,
      issues: [
        { path: "line 2", message: "a code is 1-40 letters, digits, - or _" },
        { path: "line 3", message: "a code is 1-40 letters, digits, - or _" },
      ],
    });
    expect(parseCodes("\n\n")).toMatchObject({ ok: false, issues: [{ path: "codes" }] });
  });
});

describe("claiming codes", () => {
  it("never gives one code to two sequences, and gives a sequence the same code every time, however claims interleave", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 3 }),
        async (poolSize, sequences, repeats) => {
          const site = await seedSite(env.DB, [ORIGIN]);
          const codes = Array.from({ length: poolSize }, (_, i) => `C${i}-${randomId().slice(0, 6)}`);
          if (codes.length) await addCodes(env.DB, site.id, codes, Date.now(), 0);
          const ids = Array.from({ length: sequences }, () => randomId());
          // Every sequence claims `repeats` times (a later step, a redelivered job), all at once, shuffled.
          const claims = ids.flatMap((id) => Array.from({ length: repeats }, () => id)).sort(() => Math.random() - 0.5);
          const got = await Promise.all(claims.map((id) => claimCode(env.DB, site.id, id, Date.now()).then((code) => ({ id, code }))));
          const byId = new Map<string, Set<string | null>>();
          for (const { id, code } of got) byId.set(id, (byId.get(id) ?? new Set()).add(code));
          for (const seen of byId.values()) expect(seen.size).toBe(1); // the same code every time
          const given = [...byId.values()].map((s) => [...s][0]).filter((c): c is string => c !== null);
          expect(new Set(given).size).toBe(given.length); // no code shared
          expect(given.length).toBe(Math.min(poolSize, sequences)); // nobody left without while codes were free
          for (const code of given) expect(codes).toContain(code);
          expect(await poolCounts(env.DB, site.id)).toEqual({ available: poolSize - given.length, claimed: given.length });
        },
      ),
      { numRuns: 25 },
    );
  });

  it("tells the merchant once when the pool runs low, however many claims see it low at once, and again after a refill", async () => {
    const site = await seedSite(env.DB, [ORIGIN]);
    await addCodes(
      env.DB,
      site.id,
      Array.from({ length: 30 }, (_, i) => `LOW-${i}`),
      Date.now(),
      10,
    );
    const told = await Promise.all(
      Array.from({ length: 25 }, async () => {
        await claimCode(env.DB, site.id, randomId(), Date.now());
        return markPoolLow(env.DB, site.id, 10, Date.now());
      }),
    );
    expect(told.filter(Boolean)).toHaveLength(1);
    expect(await markPoolLow(env.DB, site.id, 10, Date.now())).toBe(false);
    // A refill above the mark resets it; the next time it runs low, the merchant is told again.
    await addCodes(
      env.DB,
      site.id,
      Array.from({ length: 20 }, (_, i) => `MORE-${i}`),
      Date.now(),
      10,
    );
    expect(await markPoolLow(env.DB, site.id, 10, Date.now())).toBe(false);
    for (let i = 0; i < 15; i++) await claimCode(env.DB, site.id, randomId(), Date.now());
    expect(await markPoolLow(env.DB, site.id, 10, Date.now())).toBe(true);
  });
});

describe("codes through the merchant API and in the emails", () => {
  const settings = {
    abandonAfterMinutes: 1,
    holdoutPercent: 0,
    notifyEmail: "owner@codes.example",
    incentive: { code: "STATIC", description: "10% off.", unique: true, lowAt: 1 },
    steps: [
      { afterMinutes: 0, incentive: true },
      { afterMinutes: 60, incentive: true },
    ],
  };
  const extraCost = () => [
    { id: randomId(), at: Date.now() - 9 * 60_000, type: "moment" as const, kind: "extra_cost" as const, value: 500 },
  ];

  it("uploads codes (text, CSV, JSON), refuses bad ones whole, and each shopper's email carries a code of their own", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const bad = await call(site.key, "/codes", { method: "POST", body: "OWN-1\nnot a code\n" });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_codes", issues: [{ path: "line 2" }] } });
    expect(await (await call(site.key, "/codes")).json()).toEqual({ available: 0, claimed: 0 });
    const up = await call(site.key, "/codes", { method: "POST", body: "code\nOWN-1\nOWN-2\n", type: "text/csv" });
    expect(up.status).toBe(201);
    expect(await up.json()).toEqual({ added: 2, duplicates: 0, available: 2, claimed: 0 });
    const json = await call(site.key, "/codes", {
      method: "POST",
      body: JSON.stringify({ codes: ["OWN-2", "OWN-3"] }),
      type: "application/json",
    });
    expect(await json.json()).toEqual({ added: 1, duplicates: 1, available: 3, claimed: 0 });

    const emails = ["c1@example.com", "c2@example.com", "c3@example.com", "c4@example.com"];
    for (const email of emails) await abandon(site.key, email, { extra: extraCost() });
    const rows = await eventually(async () => {
      const all = (await Promise.all(emails.map(async (e) => (await messagesOf(e)).results))).flat();
      expect(all).toHaveLength(4);
      return all;
    }, 15_000);
    await deliver(rows.map((m) => ({ kind: "recovery" as const, id: m.id, site: m.site_id, email: m.email })));
    const texts = await Promise.all(
      emails.map(async (e) => (await env.DB.prepare(`SELECT text FROM dev_outbox WHERE "to" = ?`).bind(e).first<string>("text")) ?? ""),
    );
    const codes = texts.map((t) => /OWN-\d|STATIC/.exec(t)?.[0]);
    // Three codes for the first three, the static code (whenPoolEmpty: static) for the fourth.
    expect(codes.filter((c) => c?.startsWith("OWN-")).sort()).toEqual(["OWN-1", "OWN-2", "OWN-3"]);
    expect(codes.filter((c) => c === "STATIC")).toHaveLength(1);
    // A redelivery of the same jobs takes no second code.
    await deliver(rows.map((m) => ({ kind: "recovery" as const, id: m.id, site: m.site_id, email: m.email })));
    expect(await (await call(site.key, "/codes")).json()).toEqual({ available: 0, claimed: 3 });
    // The merchant was told once that the pool ran low (lowAt 1).
    const notices = await env.DB.prepare(
      `SELECT subject FROM dev_outbox WHERE "to" = 'owner@codes.example' AND subject LIKE '%codes left'`,
    ).all();
    expect(notices.results).toHaveLength(1);
  });

  it("keeps a sequence's code for its later steps; with whenPoolEmpty none, an empty pool offers nothing", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    await call(site.key, "/codes", { method: "POST", body: "KEEP-1" });
    const sequence = randomId();
    expect(await claimCode(env.DB, site.id, sequence, Date.now())).toBe("KEEP-1");
    expect(await claimCode(env.DB, site.id, sequence, Date.now())).toBe("KEEP-1");
    expect(await claimCode(env.DB, site.id, randomId(), Date.now())).toBeNull();

    const none = await seedSite(env.DB, [ORIGIN], { ...settings, incentive: { ...settings.incentive, whenPoolEmpty: "none" } });
    await abandon(none.key, "nocode@example.com", { extra: extraCost() });
    const rows = await eventually(async () => {
      const { results } = await messagesOf("nocode@example.com");
      expect(results).toHaveLength(1);
      return results;
    }, 15_000);
    await deliver(rows.map((m) => ({ kind: "recovery" as const, id: m.id, site: m.site_id, email: m.email })));
    const text = (await env.DB.prepare(`SELECT text FROM dev_outbox WHERE "to" = 'nocode@example.com'`).first<string>("text")) ?? "";
    expect(text).toContain("Still thinking it over?");
    expect(text).not.toContain("STATIC");
    expect(text).not.toContain("10% off");
  });
});
