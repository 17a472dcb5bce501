import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ORIGIN, seedSite } from "../../test/helpers";

const BASE = "https://collector.test";
const post = (path: string, fields: Record<string, string>, cookie = "") =>
  exports.default.fetch(`${BASE}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie, origin: BASE },
    body: new URLSearchParams(fields).toString(),
  });
const get = (path: string, cookie = "") => exports.default.fetch(`${BASE}${path}`, { headers: { cookie }, redirect: "manual" });

afterEach(() => vi.unstubAllGlobals());

describe("the sending-domain check in the dashboard's settings", () => {
  it("explains a missing DMARC record in words, lists the check, and refuses an unchecked From address", async () => {
    const site = await seedSite(env.DB, [ORIGIN]);
    const cookie = ((await post("/dashboard/login", { site: site.key, secret: `sk_${site.key}` })).headers.get("set-cookie") ?? "").split(
      ";",
    )[0] as string;
    const csrf = /name="_csrf" value="([0-9a-f]{64})"/.exec(await (await get("/dashboard", cookie)).text())?.[1] as string;
    // Cloudflare's DoH JSON API, as documented
    // (https://developers.cloudflare.com/1.1.1.1/encryption/dns-over-https/make-api-requests/dns-json/): SPF and DKIM there, no DMARC.
    const zone: Record<string, string> = {
      "send.shop.example": "v=spf1 include:amazonses.com ~all",
      "resend._domainkey.shop.example": "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDexample",
    };
    vi.stubGlobal("fetch", async (input: string) => {
      const url = new URL(input);
      const data = url.searchParams.get("type") === "TXT" ? zone[url.searchParams.get("name") ?? ""] : undefined;
      return Response.json({
        Status: 0,
        ...(data && { Answer: [{ name: url.searchParams.get("name"), type: 16, TTL: 60, data: `"${data}"` }] }),
      });
    });
    const page = await (
      await post("/dashboard/sending-domain", { _csrf: csrf, domain: "shop.example", provider: "resend", dkimSelectors: "" }, cookie)
    ).text();
    expect(page).toContain("shop.example is not ready to send through Resend yet");
    expect(page).toContain("There is no DMARC record for shop.example.");
    expect(page).toContain("Add a TXT record named _dmarc.shop.example");
    expect(page).toMatch(/<code>shop\.example<\/code> for resend: records missing/);

    const saved = await post(
      "/dashboard/settings",
      { _csrf: csrf, fromAddress: "hola@shop.example", mailProvider: "resend", origins: ORIGIN, step0: "0" },
      cookie,
    );
    expect(saved.status).toBe(422);
    expect(await saved.text()).toContain("shop.example has not passed the sending-domain check for resend");
  });
});
