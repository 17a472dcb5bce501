import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ErrorBody } from "../../protocol/types";
import { ORIGIN, seedSite } from "../test/helpers";

let site: { id: number; key: string };
let other: { id: number; key: string };
beforeAll(async () => {
  site = await seedSite(env.DB, [ORIGIN]);
  other = await seedSite(env.DB, ["https://other.example"]);
});

const call = (path: string, { secret = `sk_${site.key}` as string | null, method = "GET", body = undefined as unknown } = {}) =>
  exports.default.fetch(`https://collector.test${path}`, {
    method,
    headers: { ...(secret && { authorization: `Bearer ${secret}` }), "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });

describe("merchant API access", () => {
  it("needs the site's own secret", async () => {
    expect((await call(`/v1/sites/${site.key}/settings`, { secret: null })).status).toBe(401);
    expect((await call(`/v1/sites/${site.key}/settings`, { secret: "sk_wrong" })).status).toBe(403);
    expect((await call(`/v1/sites/${site.key}/settings`, { secret: `sk_${other.key}` })).status).toBe(403);
    expect((await call(`/v1/sites/pk_nobody/settings`)).status).toBe(403);
    const res = await call(`/v1/sites/${site.key}/settings`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      key: site.key,
      settings: { abandonAfterMinutes: 30, maxEmailsPer30Days: 6, attributionDays: 7 },
    });
  });
});

describe("settings", () => {
  it("changes templates, incentive and timings, validated whole", async () => {
    const res = await call(`/v1/sites/${site.key}/settings`, {
      method: "PATCH",
      body: {
        abandonAfterMinutes: 45,
        incentive: { code: "WELCOME10", description: "10% off your order.", expiresInHours: 24 },
        templates: {
          reminder: { subject: "{{name}}, still want these?", heading: "Saved for you", body: "Your cart is here.", cta: "Go" },
        },
      },
    });
    expect(res.status).toBe(200);
    const { settings } = (await (await call(`/v1/sites/${site.key}/settings`)).json()) as { settings: Record<string, unknown> };
    expect(settings).toMatchObject({
      abandonAfterMinutes: 45,
      incentive: { code: "WELCOME10" },
      templates: { reminder: { heading: "Saved for you" } },
    });
  });

  it("refuses bad settings with the path of each problem, and changes nothing", async () => {
    const bad = await call(`/v1/sites/${site.key}/settings`, {
      method: "PATCH",
      body: { abandonAfterMinutes: -5, incentive: { code: "has space", description: "x" } },
    });
    expect(bad.status).toBe(422);
    const paths = ((await bad.json()) as ErrorBody).error.issues?.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["abandonAfterMinutes", "incentive.code"]));
    const offsite = await call(`/v1/sites/${site.key}/settings`, { method: "PATCH", body: { restoreUrl: "https://evil.example/cart" } });
    expect(offsite.status).toBe(422);
    expect((await call(`/v1/sites/${site.key}/settings`, { method: "PATCH", body: "[1,2" })).status).toBe(400);
    const { settings } = (await (await call(`/v1/sites/${site.key}/settings`)).json()) as { settings: Record<string, unknown> };
    expect(settings.abandonAfterMinutes).toBe(45);
    expect(settings.restoreUrl).toBeUndefined();
  });
});

describe("origins and image hosts", () => {
  const patch = (key: string, body: unknown) => call(`/v1/sites/${key}/settings`, { secret: `sk_${key}`, method: "PATCH", body });
  const read = async (key: string) =>
    (await (await call(`/v1/sites/${key}/settings`, { secret: `sk_${key}` })).json()) as {
      origins: string[];
      settings: Record<string, unknown>;
    };
  const issuesOf = async (res: Response) => {
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as ErrorBody;
    expect(error.code).toBe("invalid_settings");
    return error.issues ?? [];
  };

  it("changes origins and image hosts, normalised as the dashboard normalises them, and reads them back", async () => {
    const mine = await seedSite(env.DB, [ORIGIN]);
    const res = await patch(mine.key, {
      origins: ["https://Shop.example/", " https://*.Shop.example ", "http://127.0.0.1:8787"],
      imageHosts: ["CDN.shop.example", "*.img.example", "bücher.example"],
      restoreUrl: "https://www.shop.example/cart",
    });
    expect(res.status).toBe(200);
    const want = {
      origins: ["https://shop.example", "https://*.shop.example", "http://127.0.0.1:8787"],
      imageHosts: ["cdn.shop.example", "*.img.example", "xn--bcher-kva.example"],
    };
    expect(await res.json()).toMatchObject({ origins: want.origins, settings: { imageHosts: want.imageHosts } });
    expect(await read(mine.key)).toMatchObject({ origins: want.origins, settings: { imageHosts: want.imageHosts } });
    // The origins are the site's: events from a new one are accepted at once.
    const stored = await env.DB.prepare("SELECT origins, settings FROM sites WHERE id = ?")
      .bind(mine.id)
      .first<{ origins: string; settings: string }>();
    expect(JSON.parse(stored?.origins ?? "")).toEqual(want.origins);
    expect(JSON.parse(stored?.settings ?? "").origins).toBeUndefined();
    // A site that never set image hosts reads an empty list.
    expect((await read(site.key)).settings.imageHosts).toEqual([]);
  });

  it.each([
    ["an origin that is no URL", { origins: ["not a url"] }, "origins.0"],
    ["an origin with a path", { origins: [ORIGIN, "https://shop.example/shop"] }, "origins.1"],
    ["an ftp origin", { origins: ["ftp://shop.example"] }, "origins.0"],
    ["no origin", { origins: [] }, "origins"],
    ["origins that are no list", { origins: ORIGIN }, "origins"],
    ["an origin that is no text", { origins: [ORIGIN, 42] }, "origins.1"],
    ["a duplicate origin", { origins: [ORIGIN, "https://SHOP.example/"] }, "origins.1"],
    ["21 origins", { origins: Array.from({ length: 21 }, (_, i) => `https://s${i}.example`) }, "origins"],
    ["an image host with a scheme", { imageHosts: ["https://cdn.example"] }, "imageHosts.0"],
    ["an image host with a path", { imageHosts: ["cdn.example/img"] }, "imageHosts.0"],
    ["an image host with a port", { imageHosts: ["cdn.example:8443"] }, "imageHosts.0"],
    ["an image host with a user", { imageHosts: ["me@cdn.example"] }, "imageHosts.0"],
    ["an empty image host", { imageHosts: [""] }, "imageHosts.0"],
    ["an image host with a space", { imageHosts: ["cdn example"] }, "imageHosts.0"],
    ["a duplicate image host", { imageHosts: ["cdn.example", "CDN.example"] }, "imageHosts.1"],
    ["21 image hosts", { imageHosts: Array.from({ length: 21 }, (_, i) => `cdn${i}.example`) }, "imageHosts"],
    ["a restore URL off the new origins", { origins: ["https://new.example"], restoreUrl: `${ORIGIN}/cart` }, "restoreUrl"],
    [
      "a reason's restore URL off the origins",
      { restoreUrls: { payment_failed: "https://evil.example/checkout" } },
      "restoreUrls.payment_failed",
    ],
    ["a reason's restore URL that is no URL", { restoreUrls: { reminder: "/cart" } }, "restoreUrls.reminder"],
  ])("refuses %s with a 422 naming it, and changes nothing", async (_, body, path) => {
    const mine = await seedSite(env.DB, [ORIGIN], { restoreUrl: `${ORIGIN}/cart` });
    const before = await read(mine.key);
    const issues = await issuesOf(await patch(mine.key, { ...body, abandonAfterMinutes: 12 }));
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.find((i) => i.path === path)?.message).toBeTruthy();
    expect(await read(mine.key)).toEqual(before);
  });

  it("keeps a restore URL per reason, on the site's origins", async () => {
    const mine = await seedSite(env.DB, [ORIGIN]);
    const restoreUrls = { payment_failed: `${ORIGIN}/checkout`, reminder: `${ORIGIN}/cart` };
    expect((await patch(mine.key, { restoreUrls })).status).toBe(200);
    expect((await read(mine.key)).settings.restoreUrls).toEqual(restoreUrls);
    expect((await read(site.key)).settings.restoreUrls).toEqual({});
  });

  it("names the offending entry, and the duplicate, in the message", async () => {
    const mine = await seedSite(env.DB, [ORIGIN]);
    expect(await issuesOf(await patch(mine.key, { origins: [ORIGIN, "https://x.example/path"] }))).toEqual([
      { path: "origins.1", message: '"https://x.example/path" is not an origin such as https://shop.example or https://*.shop.example' },
    ]);
    expect(await issuesOf(await patch(mine.key, { imageHosts: ["cdn.example", "img.example", "CDN.example "] }))).toEqual([
      { path: "imageHosts.2", message: "cdn.example is listed twice (also at 0)" },
    ]);
  });
});

describe("unknown settings", () => {
  it.each([
    ["a typo at the top level", { holdoutPercnt: 3 }, "holdoutPercnt", "unknown setting"],
    [
      "a typo in the incentive",
      { incentive: { code: "TEA10", description: "10% off", expiresInHour: 24 } },
      "incentive.expiresInHour",
      "unknown field",
    ],
    [
      "a reason that does not exist",
      { templates: { remindr: { subject: "s", heading: "h", body: "b", cta: "c" } } },
      "templates.remindr",
      "unknown field",
    ],
    [
      "a typo in a template",
      { templates: { reminder: { subject: "s", heading: "h", body: "b", cta: "c", subjct: "x" } } },
      "templates.reminder.subjct",
      "unknown field",
    ],
    [
      "a reason's restore URL for no reason",
      { restoreUrls: { payment_faild: `${ORIGIN}/checkout` } },
      "restoreUrls.payment_faild",
      "unknown field",
    ],
    ["a typo in a step", { steps: [{ afterMinutes: 0 }, { afterMinutes: 60, incentiv: true }] }, "steps.1.incentiv", "unknown field"],
    [
      "a typo in the webhook",
      { webhook: { url: `${ORIGIN}/hook`, secret: "0123456789abcdef", secrett: "x" } },
      "webhook.secrett",
      "unknown field",
    ],
    ["__proto__", JSON.parse('{"__proto__":{"abandonAfterMinutes":1}}'), "__proto__", "unknown setting"],
    ["constructor", { constructor: { prototype: { x: 1 } } }, "constructor", "unknown setting"],
  ])("refuses %s with a 422 naming it (it used to be dropped with a 200)", async (_, body, path, message) => {
    const mine = await seedSite(env.DB, [ORIGIN]);
    const res = await call(`/v1/sites/${mine.key}/settings`, {
      secret: `sk_${mine.key}`,
      method: "PATCH",
      body: { abandonAfterMinutes: 12, ...body },
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as ErrorBody).error.issues).toEqual([{ path, message }]);
    const stored = await env.DB.prepare("SELECT settings FROM sites WHERE id = ?").bind(mine.id).first<string>("settings");
    expect(JSON.parse(stored ?? "")).toEqual({ quietHours: null }); // as seedSite stored it
  });

  it("reads stored settings a later version no longer knows, and drops them at the next change", async () => {
    const reminder = { subject: "s", heading: "h", body: "b", cta: "c" };
    const mine = await seedSite(env.DB, [ORIGIN], {
      abandonAfterMinutes: 12,
      retiredSetting: true,
      templates: { reminder: { ...reminder, retired: 1 } },
      steps: [{ afterMinutes: 5, retired: true }],
    });
    const res = await call(`/v1/sites/${mine.key}/settings`, { secret: `sk_${mine.key}` });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { settings: unknown }).settings).toMatchObject({
      abandonAfterMinutes: 12,
      templates: { reminder },
      steps: [{ afterMinutes: 5, incentive: false }],
    });
    const changed = await call(`/v1/sites/${mine.key}/settings`, {
      secret: `sk_${mine.key}`,
      method: "PATCH",
      body: { holdoutPercent: 0 },
    });
    expect(changed.status).toBe(200);
    const stored = JSON.parse(
      (await env.DB.prepare("SELECT settings FROM sites WHERE id = ?").bind(mine.id).first<string>("settings")) ?? "",
    );
    expect(stored).toEqual({
      abandonAfterMinutes: 12,
      holdoutPercent: 0,
      templates: { reminder },
      steps: [{ afterMinutes: 5, incentive: false, channel: "email" }],
      quietHours: null, // as seedSite stored it
    });
  });
});

describe("server-side orders", () => {
  it("records an order and refuses one without a shopper", async () => {
    const ok = await call(`/v1/sites/${site.key}/orders`, {
      method: "POST",
      body: { orderId: "A-1", email: "Ana@Example.com", total: 1000, currency: "EUR" },
    });
    expect(ok.status).toBe(201);
    expect(await env.DB.prepare("SELECT source, total FROM orders WHERE order_id = 'A-1'").first()).toEqual({
      source: "server",
      total: 1000,
    });
    const bad = await call(`/v1/sites/${site.key}/orders`, { method: "POST", body: { orderId: "A-2", total: 1000, currency: "EUR" } });
    expect(bad.status).toBe(422);
  });
});
