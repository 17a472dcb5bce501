import { env } from "cloudflare:workers";
import * as v from "valibot";
import { describe, expect, it, vi } from "vitest";

import { sitesChangedSince } from "../db/sites";
import { seedSite } from "../test/helpers";
import { hostAllowed, normaliseHost, normaliseOrigin, originHost } from "./hosts";
import { readSettings, SettingsSchema } from "./settings";
import { findSite, originAllowed } from "./sites";

describe("originAllowed", () => {
  const allowed = ["https://shop.example", "http://127.0.0.1:8787", "https://*.brand.example"];
  it.each([
    ["https://shop.example", true],
    ["http://127.0.0.1:8787", true],
    ["https://www.brand.example", true],
    ["https://eu.shop.brand.example", true],
    ["http://shop.example", false],
    ["https://shop.example:8443", false],
    ["https://brand.example", false],
    ["https://evilbrand.example", false],
    ["https://brand.example.evil.test", false],
    ["http://www.brand.example", false],
    ["null", false],
    ["https://shop.example/path", false],
    [undefined, false],
  ])("%s → %s", (origin, expected) => {
    expect(originAllowed(allowed, origin)).toBe(expected);
  });
});

describe("findSite", () => {
  it("reads a site with its origins and default settings", async () => {
    const { key } = await seedSite(env.DB, ["https://a.example"]);
    const site = await findSite(env.DB, key);
    expect(site).toMatchObject({ key, origins: ["https://a.example"], settings: { cartTtlDays: 7 } });
  });

  it("returns null for an unknown key", async () => {
    expect(await findSite(env.DB, "pk_does_not_exist")).toBeNull();
  });

  it("moves a site's version at every change of its key, name, origins or settings, whoever writes it (migration 0024)", async () => {
    const { id, key } = await seedSite(env.DB, ["https://v.example"]);
    const versionOf = async () => (await env.DB.prepare("SELECT version FROM sites WHERE id = ?").bind(id).first<number>("version")) ?? 0;
    const created = await versionOf();
    expect((await sitesChangedSince(env.DB, created - 1, 10)).map((r) => r.key)).toContain(key);
    const seen: number[] = [created];
    for (const change of ["settings = '{\"abandonAfterMinutes\":5}'", "origins = '[\"https://w.example\"]'", "name = 'Renamed'"]) {
      await env.DB.prepare(`UPDATE sites SET ${change} WHERE id = ?`).bind(id).run();
      seen.push(await versionOf());
    }
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    expect(await sitesChangedSince(env.DB, seen.at(-1) as number, 10)).toEqual([]);
  });

  it("serves a site changed by another isolate (straight in D1) fresh within 2 s, without waiting for it to expire", async () => {
    const { id, key } = await seedSite(env.DB, ["https://x.example"]);
    expect((await findSite(env.DB, key))?.settings.abandonAfterMinutes).toBe(30);
    await env.DB.prepare("UPDATE sites SET settings = ? WHERE id = ?")
      .bind(JSON.stringify({ abandonAfterMinutes: 9 }), id)
      .run();
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 2_001);
      expect((await findSite(env.DB, key))?.settings.abandonAfterMinutes).toBe(9);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("fromName", () => {
  const accepts = (fromName: string) => v.safeParse(SettingsSchema, { fromName }).success;
  it.each([
    "Tea\r\nBcc: victim@example.com",
    "Tea\nShop",
    "Tea\u0000",
    "Tea\u0007Shop",
    "Tea\u0085Shop",
    "Tea\u2028Shop",
    "Tea <evil@example.com>",
    "Tea > Shop",
    "<Tea",
  ])("refuses %j: it goes into the From header", (fromName) => {
    expect(accepts(fromName)).toBe(false);
  });
  it.each(['Tea "&" Kettle', "Tea \\ Kettle's", "Thé & Café"])("accepts %j (quoted when sent)", (fromName) => {
    expect(accepts(fromName)).toBe(true);
  });
});

describe("readSettings", () => {
  it("drops only a stored field that no longer validates, not every setting with it", () => {
    const settings = readSettings(JSON.stringify({ abandonAfterMinutes: 5, shopName: "Tea", fromName: "Tea <x@example.com>" }));
    expect(settings).toMatchObject({ abandonAfterMinutes: 5, shopName: "Tea", cartTtlDays: 7 });
    expect(settings.fromName).toBeUndefined();
  });
  it("falls back to the defaults for what is not a settings object", () => {
    for (const json of ["", "null", "[1]", "7", "{not json"]) expect(readSettings(json)).toMatchObject({ abandonAfterMinutes: 30 });
  });
});

describe("origins and image hosts", () => {
  it.each([
    ["https://Shop.example/", "https://shop.example"],
    [" https://*.Shop.example ", "https://*.shop.example"],
    ["http://127.0.0.1:8787", "http://127.0.0.1:8787"],
    ["https://shop.example:443", "https://shop.example"],
    ["https://shop.example/path", undefined],
    ["https://shop.example/?q", undefined],
    ["https://me@shop.example", undefined],
    ["ftp://shop.example", undefined],
    ["shop.example", undefined],
  ])("the origin %j is stored as %j", (input, stored) => {
    expect(normaliseOrigin(input)).toBe(stored);
  });

  it.each([
    ["CDN.shop.example", "cdn.shop.example"],
    ["*.img.example", "*.img.example"],
    ["bücher.example", "xn--bcher-kva.example"],
    ["localhost", "localhost"],
    ["127.0.0.1", "127.0.0.1"],
    ["https://cdn.example", undefined],
    ["cdn.example/img", undefined],
    ["cdn.example:8443", undefined],
    ["me@cdn.example", undefined],
    ["cdn.example?x", undefined],
    ["cdn.example.", undefined],
    ["cdn example", undefined],
    ["*", undefined],
    ["*.", undefined],
    ["a.*.example", undefined],
    ["[::1]", undefined],
    ["", undefined],
  ])("the image host %j is stored as %j", (input, stored) => {
    expect(normaliseHost(input)).toBe(stored);
  });

  it("matches an image's host exactly or under a wildcard, never the wildcard's own name", () => {
    const hosts = ["cdn.example", "*.img.example", originHost("https://*.shop.example:8443"), originHost("http://127.0.0.1:8787")];
    expect(hosts).toEqual(["cdn.example", "*.img.example", "*.shop.example", "127.0.0.1"]);
    for (const yes of ["cdn.example", "a.img.example", "a.b.img.example", "www.shop.example", "127.0.0.1"])
      expect(hostAllowed(hosts, yes), yes).toBe(true);
    for (const no of ["img.example", "evilimg.example", "cdn.example.evil", "x.cdn.example", "shop.example", "127.0.0.2"])
      expect(hostAllowed(hosts, no), no).toBe(false);
  });
});
