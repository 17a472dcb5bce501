// @vitest-environment node
// The shop's backend signs tokens in Node: the same helper the collector verifies with (WebCrypto).
import { expect, it } from "vitest";
import { signShopperToken, verifyShopperToken } from "../server/token";

it("signs in Node and verifies, and tells every kind of bad token apart", async () => {
  const token = await signShopperToken({ site: "pk_shop", userId: "u-1", secret: "sk_secret" });
  expect(await verifyShopperToken(token, "pk_shop", "sk_secret")).toMatchObject({ site: "pk_shop", userId: "u-1" });
  expect(await verifyShopperToken(token, "pk_shop", "sk_other")).toBe("forged");
  expect(await verifyShopperToken(token, "pk_elsewhere", "sk_secret")).toBe("other_site");
  expect(await verifyShopperToken(undefined, "pk_shop", "sk_secret")).toBe("missing");
  expect(await verifyShopperToken("v1.x", "pk_shop", "sk_secret")).toBe("malformed");
  const old = await signShopperToken({ site: "pk_shop", userId: "u-1", secret: "sk_secret", expiresInSeconds: -1 });
  expect(await verifyShopperToken(old, "pk_shop", "sk_secret")).toBe("expired");
  const [v, payload, sig] = token.split(".");
  const tampered = `${v}.${btoa(JSON.stringify({ site: "pk_shop", userId: "admin", exp: 9e9 })).replace(/=+$/, "")}.${sig}`;
  expect(payload).not.toBe(tampered.split(".")[1]);
  expect(await verifyShopperToken(tampered, "pk_shop", "sk_secret")).toBe("forged");
});

it("refuses a token with more or fewer than three segments, even if its first three verify", async () => {
  const token = await signShopperToken({ site: "pk_shop", userId: "u-1", secret: "sk_secret" });
  expect(await verifyShopperToken(`${token}.extra`, "pk_shop", "sk_secret")).toBe("malformed");
  expect(await verifyShopperToken(`${token}.`, "pk_shop", "sk_secret")).toBe("malformed");
  expect(await verifyShopperToken(token.split(".").slice(0, 2).join("."), "pk_shop", "sk_secret")).toBe("malformed");
});
