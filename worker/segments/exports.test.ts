// The exports of a segment: the merchant's CSV (defused against formulas), the ad platforms' files
// (only consented people, only digests, each row re-derived here from the inputs), the cost of the
// reads (an index, never a scan of a stored table), and refusals of bad requests.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ABANDON_SQL, CATEGORY_SQL, CONSENT_SQL, CONTACT_SQL, ORDER_SQL, RECOVERED_SQL } from "../db/segments";
import { seedSite } from "../test/helpers";

const NOW = Date.now();
let site: { id: number; key: string };

const call = (path: string, init: { secret?: string | null; method?: string; body?: unknown } = {}) => {
  const secret = init.secret === undefined ? `sk_${site.key}` : init.secret;
  return exports.default.fetch(`https://collector.test/v1/sites/${site.key}${path}`, {
    method: init.method ?? "GET",
    headers: { ...(secret && { authorization: `Bearer ${secret}` }), "content-type": "application/json" },
    body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
  });
};

/** Two abandoned carts each: everyone here is a repeat abandoner. */
const PEOPLE = [
  { person: "ana@example.com", name: '=HYPERLINK("http://evil.example")', sms: "+34600111222" },
  { person: "b.o.b@gmail.com", name: "Bob" },
  { person: "cy@example.com", name: "@Cy" }, // no ad consent recorded
  { person: "dee@example.com", name: "-Dee" }, // a yes, then a no
  { person: "eve@example.com", name: "+Eve" }, // a yes, but unsubscribed from emails
  { person: "fay@example.com", name: "Fay" }, // a yes with a number that texted STOP
  { person: "tel:+447700900123", name: null }, // known by phone only
];

beforeAll(async () => {
  site = await seedSite(env.DB, undefined, { segments: { windowDays: 30 } });
  const db = env.DB;
  const rows: D1PreparedStatement[] = [];
  PEOPLE.forEach((p, i) => {
    const aid = `aid-${site.id}-${i}`.padEnd(22, "x");
    rows.push(
      db
        .prepare("INSERT INTO shoppers (site_id, aid, email, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(site.id, aid, p.person.startsWith("tel:") ? null : p.person, p.name, NOW, NOW),
    );
    if (p.sms)
      rows.push(
        db
          .prepare("INSERT INTO sms_consents (site_id, aid, phone, given_at, event_id) VALUES (?, ?, ?, ?, 'e')")
          .bind(site.id, aid, p.sms, NOW),
      );
    for (const k of [1, 2])
      rows.push(
        db
          .prepare(
            "INSERT INTO sequences (id, site_id, email, aid, abandoned_at, started_at, value, currency, reason, status) VALUES (?, ?, ?, ?, ?, ?, 5000, 'EUR', 'reminder', 'completed')",
          )
          .bind(`s-${site.id}-${i}-${k}`, site.id, p.person, aid, NOW - k * 86_400_000, NOW),
      );
  });
  rows.push(
    db.prepare("INSERT INTO suppressions (site_id, email, created_at, source) VALUES (?, 'eve@example.com', ?, 'link')").bind(site.id, NOW),
  );
  rows.push(db.prepare("INSERT INTO sms_suppressions (site_id, phone, at, why) VALUES (?, '+33612345678', ?, 'stop')").bind(site.id, NOW));
  await db.batch(rows);
  const consent = (consents: unknown[]) => call("/ad-consents", { method: "POST", body: { consents } });
  expect(
    (
      await consent([
        { email: " ANA@example.com ", phone: "+34600111222", ads: true },
        { email: "b.o.b@gmail.com", ads: true },
        { email: "dee@example.com", ads: true, at: NOW - 2000 },
        { email: "eve@example.com", ads: true },
        { email: "fay@example.com", phone: "+33612345678", ads: true },
        { phone: "+447700900123", ads: true },
      ])
    ).status,
  ).toBe(201);
  expect((await consent([{ email: "dee@example.com", ads: false, at: NOW - 1000 }])).status).toBe(201);
  // A retried old yes arrives after the no: the later no stands.
  expect((await consent([{ email: "dee@example.com", ads: true, at: NOW - 2000 }])).status).toBe(201);
});

/** Rows of a simple CSV (the test's own cells hold no commas). */
const rowsOf = (csv: string) =>
  csv
    .trim()
    .split("\r\n")
    .map((r) => r.split(","));

/** SHA-256 written out here, apart from worker/segments/audiences.ts. */
const digest = async (s: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");

describe("a segment as CSV", () => {
  it("lists each person with their contact and figures, every formula-looking cell defused", async () => {
    const res = await call("/segments/repeat-abandoners.csv");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const csv = await res.text();
    expect(csv.split("\r\n")[0]).toBe("email,phone,name,abandoned,recovered");
    expect(csv).toContain(`ana@example.com,'+34600111222,"'=HYPERLINK(""http://evil.example"")",2,0\r\n`);
    expect(csv).toContain("cy@example.com,,'@Cy,2,0\r\n");
    expect(csv).toContain("dee@example.com,,'-Dee,2,0\r\n");
    expect(csv).toContain("eve@example.com,,'+Eve,2,0\r\n");
    expect(csv).toContain(",'+447700900123,,2,0\r\n");
    // No cell a spreadsheet would run: none starts with = + - @ (after an optional quote).
    for (const line of csv.trim().split("\r\n"))
      for (const cell of line.match(/("([^"]|"")*"|[^,]*)/g) ?? []) expect(cell.replace(/^"/, "")).not.toMatch(/^[=+\-@]/);
  });
});

describe("audiences for ads", () => {
  // Who may be in one: a recorded yes, the latest; not an unsubscribed address; a STOPped number left out.
  const consented = [
    { email: "ana@example.com", phone: "+34600111222" },
    { email: "b.o.b@gmail.com", phone: null },
    { email: "fay@example.com", phone: null },
    { email: null, phone: "+447700900123" },
  ];
  // Meta: https://developers.facebook.com/docs/marketing-api/custom-audience-api ("Hashing and
  // Normalizing Data": email trimmed and lower-case; phone digits only, country code, no +).
  // Google: https://support.google.com/google-ads/answer/7659867 (Email, Phone; lower-case, no
  // spaces; phone E.164 with the + before hashing).
  const cases = {
    meta: { header: ["email", "phone"], phone: (p: string) => p.replace(/\D/g, "") },
    google: { header: ["Email", "Phone"], phone: (p: string) => `+${p.replace(/\D/g, "")}` },
  };
  for (const [format, rule] of Object.entries(cases))
    it(`${format}: one hashed row per consented person, re-derived from the inputs, no raw address`, async () => {
      const res = await call(`/audiences/repeat-abandoners.csv?format=${format}`);
      expect(res.status).toBe(200);
      const file = await res.text();
      const [header, ...rows] = rowsOf(file);
      expect(header).toEqual(rule.header);
      const want = await Promise.all(
        consented.map(async (p) => [
          p.email ? await digest(p.email.trim().toLowerCase()) : "",
          p.phone ? await digest(rule.phone(p.phone)) : "",
        ]),
      );
      expect(rows.sort()).toEqual(want.sort());
      for (const cell of rows.flat()) expect(cell).toMatch(/^([0-9a-f]{64})?$/);
      for (const p of PEOPLE) {
        const raw = p.person.replace(/^tel:/, "");
        expect(file).not.toContain(raw);
        expect(file).not.toContain(raw.split("@")[0]);
        expect(file).not.toContain(raw.replace(/\D/g, "") || "@@");
      }
      expect(file).not.toContain("34600111222");
      expect(file).not.toContain("33612345678");
    });
});

describe("refusals", () => {
  it("needs the site's secret, a known segment and format, and valid consents (nothing half-stored)", async () => {
    expect((await call("/segments", { secret: null })).status).toBe(401);
    expect((await call("/segments/repeat-abandoners.csv", { secret: "sk_wrong" })).status).toBe(403);
    expect((await call("/audiences/upsell-ready.csv?format=meta", { secret: null })).status).toBe(401);
    const unknown = await call("/segments/everyone.csv");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "unknown_segment" } });
    const format = await call("/audiences/upsell-ready.csv?format=tiktok");
    expect(format.status).toBe(400);
    expect(await format.json()).toMatchObject({ error: { code: "invalid_format" } });
    expect((await call("/audiences/upsell-ready.csv")).status).toBe(400);
    const bad = await call("/ad-consents", {
      method: "POST",
      body: { consents: [{ email: "new@example.com", ads: true }, { phone: "0034600", ads: true }, { ads: true }] },
    });
    expect(bad.status).toBe(422);
    const body = (await bad.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe("invalid_consents");
    expect(body.error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(["consents.1.phone"]));
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM ad_consents WHERE site_id = ? AND person = 'new@example.com'")
      .bind(site.id)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
    expect((await call("/ad-consents", { method: "POST", body: "{" })).status).toBe(400);
  });
});

describe("the cost of a segment", () => {
  it("reads every stored table by an index, never a full scan", async () => {
    const since = NOW - 30 * 86_400_000;
    const people = JSON.stringify(PEOPLE.map((p) => p.person));
    const plans: Record<string, string[]> = {};
    for (const [name, sql, binds] of [
      ["abandons", ABANDON_SQL, [site.id, since]],
      ["recovered", RECOVERED_SQL, [site.id, since]],
      ["orders", ORDER_SQL, [site.id, since]],
      ["categories", CATEGORY_SQL, [site.id, since]],
      ["contacts", CONTACT_SQL, [site.id, people]],
      ["consents", CONSENT_SQL, [site.id, people]],
    ] as const) {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...binds)
        .all<{ detail: string }>();
      plans[name] = results.map((r) => r.detail);
    }
    const TABLES =
      /^SCAN (s|o|sh|c|m|a|u|z|k|x|sequences|orders|shoppers|carts|messages|codes|events|ad_consents|suppressions|sms_suppressions|sms_consents)( |$)/;
    for (const [name, details] of Object.entries(plans)) {
      // A full scan, or a "search" by the site alone: every row of the site, whatever the window or the people asked.
      const scans = details.filter((d) => (TABLES.test(d) && !d.includes("USING")) || / \(site_id=\?\)/.test(d));
      expect(scans, `${name}: ${details.join(" | ")}`).toEqual([]);
    }
    expect(plans.abandons?.join(" ")).toContain("sequences_people");
    expect(plans.orders?.join(" ")).toContain("orders_day");
  });
});

describe("the dashboard's segments card", () => {
  const BASE = "https://collector.test";
  const get = (path: string, cookie = "") => exports.default.fetch(`${BASE}${path}`, { headers: { cookie }, redirect: "manual" });

  it("shows each segment's count with its downloads, for the signed-in merchant only", async () => {
    const login = await exports.default.fetch(`${BASE}/dashboard/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE },
      body: new URLSearchParams({ site: site.key, secret: `sk_${site.key}` }).toString(),
      redirect: "manual",
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const page = await (await get("/dashboard", cookie)).text();
    expect(page).toContain('<section id="segments">');
    expect(page).toMatch(/data-segment="repeat-abandoners">7</);
    expect(page).toMatch(/data-segment="upsell-ready">0</);
    expect(page).toContain('href="/dashboard/audiences/repeat-abandoners.csv?format=meta"');
    const csv = await get("/dashboard/segments/repeat-abandoners.csv", cookie);
    expect(csv.status).toBe(200);
    expect(await csv.text()).toBe(await (await call("/segments/repeat-abandoners.csv")).text());
    const meta = await get("/dashboard/audiences/repeat-abandoners.csv?format=meta", cookie);
    expect(await meta.text()).toBe(await (await call("/audiences/repeat-abandoners.csv?format=meta")).text());
    // Signed out: back to the sign-in page, nothing listed.
    const signedOut = await get("/dashboard/segments/repeat-abandoners.csv");
    expect(signedOut.status).toBe(303);
    expect(await signedOut.text()).not.toContain("ana@example.com");
  });
});

describe("an ad consent is the shopper's data", () => {
  it("is in their privacy export and goes with their erasure", async () => {
    const body = { consents: [{ email: "gus@example.com", phone: "+34600999888", ads: true }] };
    expect((await call("/ad-consents", { method: "POST", body })).status).toBe(201);
    const exported = (await (await call("/shoppers?email=gus@example.com")).json()) as { adConsents: unknown[] };
    expect(exported.adConsents).toEqual([expect.objectContaining({ person: "gus@example.com", phone: "+34600999888", ads: 1 })]);
    expect((await call("/shoppers?email=gus@example.com", { method: "DELETE" })).status).toBe(200);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM ad_consents WHERE site_id = ? AND person = 'gus@example.com'")
      .bind(site.id)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });
});

describe("segment settings", () => {
  it("are validated with the rest: a bad one is a 422 naming it, and changes nothing", async () => {
    const patch = (body: unknown) => call("/settings", { method: "PATCH", body });
    const bad = await patch({ segments: { windowDays: 0, upsellCategories: [""], highValueMin: -1 } });
    expect(bad.status).toBe(422);
    const paths = ((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["segments.windowDays", "segments.upsellCategories.0", "segments.highValueMin"]));
    expect((await patch({ segments: { windowDays: 30, upsellCategories: [" Shoes "], upsellMinOrder: 15000 } })).status).toBe(200);
    const { segments } = (await (await call("/segments")).json()) as { segments: { name: string; definition: string }[] };
    expect(segments.find((s) => s.name === "upsell-ready")?.definition).toBe(
      "buyers in the last 30 days (a recovered cart, or two paid orders or more) whose carts held a line of category shoes, or who paid at least 15000 (minor units) in one order",
    );
  });
});
