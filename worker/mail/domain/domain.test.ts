import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { app } from "../../index";
import { count, seedSite } from "../../test/helpers";

const BASE = "https://collector.example";

/** Cloudflare's DoH JSON API as documented
 * (https://developers.cloudflare.com/1.1.1.1/encryption/dns-over-https/make-api-requests/dns-json/):
 * `?name=&type=`, `{ Status, Answer: [{ name, type: 16 (TXT) | 5 (CNAME), TTL, data }] }`, TXT data quoted. */
function dohServing(zone: Record<string, string[]>) {
  const asked: string[] = [];
  vi.stubGlobal("fetch", async (input: string | URL | Request) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    expect(url.origin + url.pathname).toBe("https://cloudflare-dns.com/dns-query");
    const name = url.searchParams.get("name") ?? "";
    const type = url.searchParams.get("type");
    asked.push(`${type} ${name}`);
    const data = type === "TXT" ? (zone[name] ?? []) : [];
    return Response.json({ Status: 0, Answer: data.map((d) => ({ name, type: 16, TTL: 300, data: `"${d}"` })) });
  });
  return asked;
}
const RESEND_READY = {
  "send.shop.example": ["v=spf1 include:amazonses.com ~all"],
  "resend._domainkey.shop.example": ["p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDexample"],
};

const collector = { ...env, MAIL_PROVIDER: "resend", RESEND_API_KEY: "re_test", MAIL_FROM: "Cartback <recovery@cartback.invalid>" } as Env;
const api = (key: string, method: string, path: string, body?: unknown, on: Env = collector) =>
  app.request(
    `${BASE}/v1/sites/${key}${path}`,
    {
      method,
      headers: { authorization: `Bearer sk_${key}`, "content-type": "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    },
    on,
  );

afterEach(() => vi.unstubAllGlobals());

describe("the sending-domain check in the merchant API", () => {
  it("explains a missing DMARC record in words, remembers the result, and the From address waits for a pass", async () => {
    const site = await seedSite(env.DB);
    dohServing(RESEND_READY);
    const res = await api(site.key, "POST", "/sending-domain", { domain: "shop.example" });
    expect(res.status).toBe(200);
    const report = (await res.json()) as { passed: boolean; text: string; findings: { record: string; status: string }[] };
    expect(report.passed).toBe(false);
    expect(report.findings.map((f) => [f.record, f.status])).toEqual([
      ["SPF", "ok"],
      ["DKIM", "ok"],
      ["DMARC", "missing"],
    ]);
    expect(report.text).toContain("There is no DMARC record for shop.example.");
    expect(report.text).toContain("Add a TXT record named _dmarc.shop.example");

    // Not passed: the settings refuse the address, naming the field and what to do.
    const refused = await api(site.key, "PATCH", "/settings", { fromAddress: "hola@shop.example" });
    expect(refused.status).toBe(422);
    const body = (await refused.json()) as { error: { issues: { path: string; message: string }[] } };
    expect(body.error.issues).toEqual([
      { path: "fromAddress", message: expect.stringContaining("shop.example has not passed the sending-domain check for resend") },
    ]);
    expect(await (await api(site.key, "GET", "/settings")).json()).not.toHaveProperty("settings.fromAddress");

    // The merchant adds DMARC; the check passes and the address is taken.
    dohServing({ ...RESEND_READY, "_dmarc.shop.example": ["v=DMARC1; p=none; rua=mailto:d@shop.example"] });
    const again = await api(site.key, "POST", "/sending-domain", { domain: "shop.example" });
    expect(((await again.json()) as { passed: boolean }).passed).toBe(true);
    const taken = await api(site.key, "PATCH", "/settings", { fromAddress: "hola@shop.example" });
    expect(taken.status).toBe(200);
    const list = (await (await api(site.key, "GET", "/sending-domain")).json()) as { checks: { domain: string; passed: boolean }[] };
    expect(list.checks).toMatchObject([{ domain: "shop.example", provider: "resend", passed: true }]);

    // A domain checked for Resend is not thereby one Postmark signs for.
    const moved = await api(site.key, "PATCH", "/settings", { mailProvider: "postmark" }, {
      ...collector,
      POSTMARK_SERVER_TOKEN: "pm",
    } as Env);
    expect(moved.status).toBe(422);
  });

  it("takes the provider's verified sender (MAIL_FROM) without a check, and never the placeholder", async () => {
    const site = await seedSite(env.DB);
    const verified = { ...collector, MAIL_FROM: "Shops <send@collector.example>" } as Env;
    expect((await api(site.key, "PATCH", "/settings", { fromAddress: "send@collector.example" }, verified)).status).toBe(200);
    const placeholder = await api(site.key, "PATCH", "/settings", { fromAddress: "recovery@cartback.invalid" });
    expect(placeholder.status).toBe(422);
    expect(JSON.stringify(await placeholder.json())).toContain("placeholder");
  });

  it("without DNS says it could not check (503), and forgets nothing it knew", async () => {
    const site = await seedSite(env.DB);
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Network connection lost.");
    });
    const res = await api(site.key, "POST", "/sending-domain", { domain: "shop.example" });
    expect(res.status).toBe(503);
    expect(JSON.stringify(await res.json())).toContain("Could not check shop.example");
    expect(await count(env.DB, "SELECT count(*) AS n FROM sending_domains WHERE site_id = ?", site.id)).toBe(0);
  });

  it("refuses a request that is not a domain, or an outbox site without a provider", async () => {
    const site = await seedSite(env.DB);
    expect((await api(site.key, "POST", "/sending-domain", { domain: "not a domain" })).status).toBe(422);
    expect((await api(site.key, "POST", "/sending-domain", { domain: "shop.example", provider: "sendgrid" })).status).toBe(422);
    const outbox = await api(site.key, "POST", "/sending-domain", { domain: "shop.example" }, { ...env, MAIL_PROVIDER: "outbox" } as Env);
    expect(outbox.status).toBe(400);
    expect(await count(env.DB, "SELECT count(*) AS n FROM sending_domains WHERE site_id = ?", site.id)).toBe(0);
  });
});
