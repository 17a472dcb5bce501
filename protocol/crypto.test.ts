// @vitest-environment node
// The one crypto module runs in Node as it does in Workers and browsers (WebCrypto only).
import fc from "fast-check";
import { expect, it } from "vitest";
import { base64, base64url, fromBase64, hex, hmac, hmacHex, randomToken, sameText, sha256, utf8 } from "./crypto";

it("encodes base64 and base64url as Node does, both ways, for any bytes (property)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(base64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
      expect(base64url(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
      expect(fromBase64(base64(bytes))).toEqual(bytes);
      expect(fromBase64(base64url(bytes))).toEqual(bytes);
    }),
  );
});

it("encodes a megabyte (a mail's body) without overflowing the stack, and refuses what is not base64", () => {
  const big = new Uint8Array(1024 * 1024).fill(7);
  expect(base64(big)).toBe(Buffer.from(big).toString("base64"));
  expect(() => fromBase64("not base64!")).toThrow();
});

it("signs the RFC 4231 HMAC-SHA256 vector and hashes the FIPS 180-2 SHA-256 one", async () => {
  // https://www.rfc-editor.org/rfc/rfc4231#section-4.3 (test case 2)
  expect(await hmacHex("Jefe", "what do ya want for nothing?")).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  expect(hex(await hmac(utf8("Jefe"), utf8("what do ya want for nothing?")))).toBe(
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  expect(hex(await sha256("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

it("compares equal and unequal texts of any lengths correctly (property)", async () => {
  await fc.assert(
    fc.asyncProperty(fc.string(), fc.string(), async (a, b) => {
      expect(await sameText(a, b)).toBe(a === b);
      expect(await sameText(a, a)).toBe(true);
    }),
  );
});

it("makes URL-safe random tokens of the size asked", () => {
  expect(randomToken(32)).toMatch(/^[\w-]{43}$/);
  expect(randomToken(16)).toMatch(/^[\w-]{22}$/);
  expect(randomToken()).not.toBe(randomToken());
});
