import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ORIGIN, seedSite } from "../test/helpers";

const BASE = "https://collector.test";
let site: { id: number; key: string };
let other: { id: number; key: string };

beforeAll(async () => {
  site = await seedSite(env.DB, [ORIGIN]);
  other = await seedSite(env.DB, ["https://other.example"]);
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const post = (path: string, fields: Record<string, string>, cookie = "", origin = BASE) =>
  exports.default.fetch(`${BASE}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie, origin },
    body: form(fields),
  });
const get = (path: string, cookie = "") => exports.default.fetch(`${BASE}${path}`, { headers: { cookie }, redirect: "manual" });

async function signIn(key: string, secret = `sk_${key}`): Promise<string> {
  const res = await post("/dashboard/login", { site: key, secret });
  expect(res.status).toBe(303);
  return (res.headers.get("set-cookie") ?? "").split(";")[0] as string;
}

const csrfOf = async (cookie: string) =>
  /name="_csrf" value="([0-9a-f]{64})"/.exec(await (await get("/dashboard", cookie)).text())?.[1] as string;

describe("signing in", () => {
  it("shows the sign-in form without a session, and refuses a wrong secret", async () => {
    expect(await (await get("/dashboard")).text()).toContain("Merchant secret");
    const wrong = await post("/dashboard/login", { site: site.key, secret: "sk_guess" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const otherSecret = await post("/dashboard/login", { site: site.key, secret: `sk_${other.key}` });
    expect(otherSecret.status).toBe(401);
  });

  it("sets an HttpOnly, SameSite=Strict, Secure session cookie scoped to /dashboard", async () => {
    const res = await post("/dashboard/login", { site: site.key, secret: `sk_${site.key}` });
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Secure/); // collector.test is not a local host
    expect(cookie).toMatch(/Path=\/dashboard/);
    const page = await (await get("/dashboard", cookie.split(";")[0])).text();
    expect(page).toContain(site.key);
    expect(page).toContain('data-figure="abandoned"');
  });

  it("refuses a sign-in posted from another site", async () => {
    const res = await post("/dashboard/login", { site: site.key, secret: `sk_${site.key}` }, "", "https://evil.example");
    expect(res.status).toBe(403);
  });

  it("does not accept a forged or cross-site cookie", async () => {
    const mine = await signIn(site.key);
    const [, expires, sid, mac] = mine.split("=")[1]?.split(".") ?? [];
    // Site A's signature on site B's key: B's secret would have made another signature.
    const forged = `cb_session=${other.key}.${expires}.${sid}.${mac}`;
    expect(await (await get("/dashboard", forged)).text()).toContain("Merchant secret");
    const expired = `cb_session=${site.key}.1000.${sid}.${mac}`;
    expect(await (await get("/dashboard", expired)).text()).toContain("Merchant secret");
  });
});

describe("forms need the session's CSRF token", () => {
  it("saves settings with the token, refuses without it or with another session's", async () => {
    const cookie = await signIn(site.key);
    const csrf = await csrfOf(cookie);
    const fields = {
      abandonAfterMinutes: "40",
      step0: "0",
      step1: "1410",
      step2: "4290",
      incentive2: "on",
      holdoutPercent: "10",
      requireConsent: "on",
      origins: ORIGIN,
    };
    expect((await post("/dashboard/settings", fields, cookie)).status).toBe(403);
    const otherCsrf = await csrfOf(await signIn(other.key));
    expect((await post("/dashboard/settings", { ...fields, _csrf: otherCsrf }, cookie)).status).toBe(403);
    expect((await post("/dashboard/settings", { ...fields, _csrf: csrf }, cookie, "https://evil.example")).status).toBe(403);
    const saved = await post("/dashboard/settings", { ...fields, _csrf: csrf }, cookie);
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain("Settings saved.");
    const stored = JSON.parse(
      (await env.DB.prepare("SELECT settings FROM sites WHERE id = ?").bind(site.id).first<string>("settings")) as string,
    );
    expect(stored).toMatchObject({
      abandonAfterMinutes: 40,
      holdoutPercent: 10,
      requireConsent: true,
      steps: [{ afterMinutes: 0 }, { afterMinutes: 1410 }, { afterMinutes: 4290, incentive: true }],
    });
    expect(await (await get("/dashboard", cookie)).text()).toMatch(/<input type="checkbox" name="requireConsent" checked>/);
    // The other site is untouched.
    const theirs = JSON.parse(
      (await env.DB.prepare("SELECT settings FROM sites WHERE id = ?").bind(other.id).first<string>("settings")) as string,
    );
    expect(theirs.abandonAfterMinutes).toBeUndefined();
  });

  it("sets each step's channel, keeps it when a form does not carry it, and refuses an unknown one", async () => {
    const cookie = await signIn(site.key);
    const csrf = await csrfOf(cookie);
    const base = { _csrf: csrf, abandonAfterMinutes: "30", step0: "0", step1: "1410", holdoutPercent: "0", origins: ORIGIN };
    const saved = await post("/dashboard/settings", { ...base, channel0: "email", channel1: "sms_if_no_email" }, cookie);
    expect(saved.status).toBe(200);
    const read = async () =>
      JSON.parse((await env.DB.prepare("SELECT settings FROM sites WHERE id = ?").bind(site.id).first<string>("settings")) as string);
    expect((await read()).steps.map((s: { channel: string }) => s.channel)).toEqual(["email", "sms_if_no_email"]);
    expect(await (await get("/dashboard", cookie)).text()).toMatch(/<option value="sms_if_no_email" selected>/);
    // An older page without the selects: the channels stay.
    expect((await post("/dashboard/settings", base, cookie)).status).toBe(200);
    expect((await read()).steps.map((s: { channel: string }) => s.channel)).toEqual(["email", "sms_if_no_email"]);
    const bad = await post("/dashboard/settings", { ...base, channel0: "fax" }, cookie);
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("must be one of email, sms, sms_if_no_email");
    // Back to what the test before saved: the next ones read it.
    const before = { step2: "4290", incentive2: "on", abandonAfterMinutes: "40", holdoutPercent: "10", requireConsent: "on" };
    expect((await post("/dashboard/settings", { ...base, ...before, channel0: "email", channel1: "email" }, cookie)).status).toBe(200);
  });

  it("shows what is wrong with bad settings and saves nothing", async () => {
    const cookie = await signIn(site.key);
    const csrf = await csrfOf(cookie);
    const res = await post("/dashboard/settings", { _csrf: csrf, abandonAfterMinutes: "-3", step0: "0", origins: "not a url" }, cookie);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("Nothing was saved.");
    const res2 = await post("/dashboard/settings", { _csrf: csrf, abandonAfterMinutes: "-3", step0: "0", origins: ORIGIN }, cookie);
    expect(res2.status).toBe(422);
    expect(await res2.text()).toContain("abandonAfterMinutes");
    const stored = JSON.parse(
      (await env.DB.prepare("SELECT settings FROM sites WHERE id = ?").bind(site.id).first<string>("settings")) as string,
    );
    expect(stored.abandonAfterMinutes).toBe(40);
  });

  it("edits origins and image hosts with the merchant API's rules: normalised, duplicates and bad entries refused by name", async () => {
    const mine = await seedSite(env.DB, [ORIGIN]);
    const cookie = await signIn(mine.key);
    const csrf = await csrfOf(cookie);
    const fields = { _csrf: csrf, abandonAfterMinutes: "30", step0: "0" };
    const saved = await post(
      "/dashboard/settings",
      { ...fields, origins: `${ORIGIN}/\nhttps://*.Shop.example`, imageHosts: "CDN.shop.example\n*.img.example" },
      cookie,
    );
    expect(saved.status).toBe(200);
    const row = await env.DB.prepare("SELECT origins, settings FROM sites WHERE id = ?")
      .bind(mine.id)
      .first<{ origins: string; settings: string }>();
    expect(JSON.parse(row?.origins ?? "")).toEqual([ORIGIN, "https://*.shop.example"]);
    expect(JSON.parse(row?.settings ?? "").imageHosts).toEqual(["cdn.shop.example", "*.img.example"]);
    expect(await (await get("/dashboard", cookie)).text()).toContain("cdn.shop.example\n*.img.example</textarea>");
    const refused = await post(
      "/dashboard/settings",
      { ...fields, origins: `${ORIGIN}\nhttps://shop.example/`, imageHosts: "https://cdn.example/img" },
      cookie,
    );
    expect(refused.status).toBe(422);
    const page = await refused.text();
    expect(page).toContain("Nothing was saved.");
    expect(page).toContain("<code>origins.1</code>: https://shop.example is listed twice (also at 0)");
    expect(page).toContain("<code>imageHosts.0</code>: &quot;https://cdn.example/img&quot; is not a host");
    expect(await env.DB.prepare("SELECT origins, settings FROM sites WHERE id = ?").bind(mine.id).first()).toEqual(row);
  });

  it("lists the images left out of emails by host and why, and no longer a host allowed since", async () => {
    const mine = await seedSite(env.DB, [ORIGIN], { imageHosts: ["fixed.example"] });
    const insert = env.DB.prepare("INSERT INTO image_drops (site_id, host, reason, count, first_at, last_at) VALUES (?, ?, ?, ?, 0, ?)");
    await env.DB.batch([
      insert.bind(mine.id, "cdn.example", "host", 3, Date.UTC(2026, 10, 2, 10, 30)),
      insert.bind(mine.id, "shop.example", "http", 1, Date.UTC(2026, 10, 3, 8, 0)),
      insert.bind(mine.id, "fixed.example", "host", 9, Date.UTC(2026, 10, 3, 8, 0)),
      insert.bind(mine.id, "<b>x</b>", "host", 2, Date.UTC(2026, 10, 3, 8, 0)),
    ]);
    const page = (await (await get("/dashboard", await signIn(mine.key))).text()).replace(/<[^>]+>/g, (tag) =>
      tag.startsWith("<b>") ? tag : "",
    );
    expect(page).toContain("3 images dropped: host cdn.example is not allowed (last 2026-11-02 10:30)");
    expect(page).toContain("1 image dropped: shop.example sent them over http, not https");
    expect(page).toContain("2 images dropped: host &lt;b&gt;x&lt;/b&gt; is not allowed");
    expect(page).not.toContain("fixed.example is not allowed");
    const plain = await (await get("/dashboard", await signIn(site.key))).text();
    expect(plain).not.toContain("Images left out of emails");
  });

  it("signs out only with the token", async () => {
    const cookie = await signIn(site.key);
    expect((await post("/dashboard/logout", {}, cookie)).status).toBe(403);
    const out = await post("/dashboard/logout", { _csrf: await csrfOf(cookie) }, cookie);
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
  });

  it("ends the session on the collector: a copy of the cookie kept from before the sign-out opens nothing", async () => {
    const cookie = await signIn(site.key);
    const other = await signIn(site.key); // the same merchant on another device
    const copy = cookie;
    expect(await (await get("/dashboard", copy)).text()).toContain('data-figure="abandoned"');
    expect((await post("/dashboard/logout", { _csrf: await csrfOf(cookie) }, cookie)).status).toBe(303);
    expect(await (await get("/dashboard", copy)).text()).toContain("Merchant secret");
    expect((await get("/dashboard/orders.csv", copy)).status).toBe(303);
    expect((await get("/dashboard/preview", copy)).status).toBe(401);
    // Its forms die with it, the sign-out of another session does not end this one.
    expect((await post("/dashboard/settings", { _csrf: "x".repeat(64) }, copy)).status).toBe(303);
    expect(await (await get("/dashboard", other)).text()).toContain('data-figure="abandoned"');
  });

  it("a changed secret ends every session of the site", async () => {
    const rotating = await seedSite(env.DB, ["https://rotate.example"]);
    const cookie = await signIn(rotating.key);
    expect(await (await get("/dashboard", cookie)).text()).toContain(rotating.key);
    await env.DB.prepare("UPDATE sites SET secret = ? WHERE id = ?").bind(`sk_new_${rotating.key}`, rotating.id).run();
    expect(await (await get("/dashboard", cookie)).text()).toContain("Merchant secret");
    expect(await (await get("/dashboard", await signIn(rotating.key, `sk_new_${rotating.key}`))).text()).toContain(rotating.key);
  });
});

describe("preview and test email", () => {
  it("previews a template from the latest captured cart, and sends a test through the mailer", async () => {
    await env.DB.prepare(
      "INSERT INTO carts (site_id, aid, status, currency, lines, item_count, value, updated_at, client_at, version, expires_at) VALUES (?, 'p1', 'active', 'EUR', ?, 2, 5000, ?, 0, 'v', ?)",
    )
      .bind(site.id, JSON.stringify([{ id: "tea", name: "Captured tea", price: 2500, quantity: 2 }]), Date.now(), Date.now() + 86_400_000)
      .run();
    const cookie = await signIn(site.key);
    expect((await get("/dashboard/preview?reason=payment_failed&step=0")).status).toBe(401);
    const preview = await (await get("/dashboard/preview?reason=payment_failed&step=0", cookie)).text();
    expect(preview).toContain("Captured tea");
    expect(preview).toContain("Something went wrong with your payment");
    const csrf = await csrfOf(cookie);
    expect((await post("/dashboard/test-email", { to: "owner@shop.example", reason: "reminder", step: "0" }, cookie)).status).toBe(403);
    const sent = await post("/dashboard/test-email", { _csrf: csrf, to: "owner@shop.example", reason: "reminder", step: "0" }, cookie);
    expect(await sent.text()).toContain("Test email sent to owner@shop.example");
    const mail = await env.DB.prepare(`SELECT subject, text FROM dev_outbox WHERE "to" = 'owner@shop.example'`).first<{
      subject: string;
      text: string;
    }>();
    expect(mail?.subject).toBe("[Test] Ana, you left something in your cart");
    expect(mail?.text).toContain("Captured tea");
  });
});

describe("languages in the dashboard", () => {
  it("previews and sends a test in any built-in language, and keeps the default language and quiet hours from the form", async () => {
    const mine = await seedSite(env.DB, [ORIGIN]);
    const cookie = await signIn(mine.key);
    const es = await (await get("/dashboard/preview?reason=reminder&step=0&language=es", cookie)).text();
    expect(es).toContain('<html lang="es">');
    expect(es).toContain("Tu carrito está guardado");
    expect(await (await get("/dashboard/preview?reason=reminder&step=0&language=nl", cookie)).text()).toContain(
      "Je winkelwagen is bewaard",
    );
    // An unknown language is the site's default (English), not an error.
    expect(await (await get("/dashboard/preview?reason=reminder&step=0&language=xx", cookie)).text()).toContain("Your cart is saved");
    const page = await (await get("/dashboard?reason=reminder&language=de", cookie)).text();
    expect(page).toContain('<option value="de" selected>de</option>');
    expect(page).toContain("language=de");

    const csrf = await csrfOf(cookie);
    const sent = await post(
      "/dashboard/test-email",
      { _csrf: csrf, to: "owner.fr@shop.example", reason: "reminder", step: "0", language: "fr" },
      cookie,
    );
    expect(sent.status).toBe(200);
    const mail = await env.DB.prepare(`SELECT subject FROM dev_outbox WHERE "to" = 'owner.fr@shop.example'`).first<{ subject: string }>();
    expect(mail?.subject).toBe("[Test] Ana, vous avez oublié quelque chose dans votre panier");

    // The form as the page shows it (every template at its built-in text), switched to Spanish:
    // the English built-ins it carried are not stored as the merchant's Spanish copy.
    const fields: Record<string, string> = {
      _csrf: csrf,
      abandonAfterMinutes: "30",
      step0: "0",
      holdoutPercent: "5",
      origins: ORIGIN,
      defaultLanguage: "es",
      quietStart: "22:00",
      quietEnd: "09:00",
      timeZone: "Europe/Madrid",
    };
    for (const [reason, t] of Object.entries((await import("../copy/builtin")).BUILTIN_COPY.en.templates)) {
      for (const [k, v] of Object.entries(t)) fields[`${reason}.${k}`] = v;
    }
    const saved = await post("/dashboard/settings", fields, cookie);
    expect(saved.status).toBe(200);
    const stored = JSON.parse(
      (await env.DB.prepare("SELECT settings FROM sites WHERE id = ?").bind(mine.id).first<string>("settings")) ?? "",
    );
    expect(stored).toMatchObject({ defaultLanguage: "es", quietHours: { start: "22:00", end: "09:00" }, timeZone: "Europe/Madrid" });
    expect(stored.templates ?? {}).toEqual({});
    expect(await (await get("/dashboard/preview?reason=reminder&step=0", cookie)).text()).toContain("Tu carrito está guardado");
    // Both times empty: quiet hours off. A bad zone: refused by name, nothing changed.
    const off = await post("/dashboard/settings", { ...fields, quietStart: "", quietEnd: "" }, cookie);
    expect(off.status).toBe(200);
    const bad = await post("/dashboard/settings", { ...fields, timeZone: "Mars/Base" }, cookie);
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("timeZone");
    const after = JSON.parse(
      (await env.DB.prepare("SELECT settings FROM sites WHERE id = ?").bind(mine.id).first<string>("settings")) ?? "",
    );
    expect(after.quietHours).toBeNull();
    expect(after.timeZone).toBe("Europe/Madrid");
  });
});

describe("single-use codes in the dashboard", () => {
  it("shows the pool and adds pasted codes, refusing a bad paste whole", async () => {
    const mine = await seedSite(env.DB, [ORIGIN], { incentive: { code: "STATIC", description: "10% off.", unique: true, lowAt: 5 } });
    const cookie = await signIn(mine.key);
    expect(await (await get("/dashboard", cookie)).text()).toContain("0 free, 0 given out: running low");
    const csrf = await csrfOf(cookie);
    expect((await post("/dashboard/codes", { codes: "A-1" }, cookie)).status).toBe(403);
    const bad = await post("/dashboard/codes", { _csrf: csrf, codes: "A-1\n<b>\n" }, cookie);
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("line 2");
    const ok = await post("/dashboard/codes", { _csrf: csrf, codes: Array.from({ length: 8 }, (_, i) => `A-${i}`).join("\n") }, cookie);
    expect(await ok.text()).toContain("8 codes added (0 already in the pool)");
    const page = await (await get("/dashboard", cookie)).text();
    expect(page).toContain("8 free, 0 given out");
    expect(page).not.toContain("running low");
  });
});

describe("the page", () => {
  it("answers bad dates with a clear 400", async () => {
    const cookie = await signIn(site.key);
    const res = await get("/dashboard?from=2026-02-31&to=2026-03-01", cookie);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Bad dates");
  });

  it("escapes what shoppers and merchants typed", async () => {
    await env.DB.prepare(
      "INSERT INTO sequences (id, site_id, email, aid, abandoned_at, started_at, value, currency, reason, status) VALUES ('xss', ?, '<script>alert(1)</script>@x.com', 'x', ?, ?, 100, 'EUR', 'hesitation', 'active')",
    )
      .bind(site.id, Date.now() - 3_600_000, Date.now())
      .run();
    const cookie = await signIn(site.key);
    const page = await (await get("/dashboard", cookie)).text();
    expect(page).not.toContain("<script>alert(1)");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;@x.com");
  });
});

describe("Latin America's Spanish in the dashboard (issue 20)", () => {
  it("shows a site's es-419 default as selected, so saving the form keeps it, and previews in it", async () => {
    const mine = await seedSite(env.DB, [ORIGIN], { defaultLanguage: "es-419" });
    const cookie = await signIn(mine.key);
    const page = await (await get("/dashboard", cookie)).text();
    expect(page).toMatch(/<select id="defaultLanguage" name="defaultLanguage">.*<option value="es-419" selected>es-419<\/option>/s);
    const preview = await (await get("/dashboard/preview?reason=reminder&step=0&language=es-419", cookie)).text();
    expect(preview).toContain('<html lang="es-419">');
    expect(preview).toContain("dejaste algo en tu carrito");
  });
});
