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
