import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { seedSite } from "../test/helpers";
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
});
