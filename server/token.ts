// Shopper tokens: the shop's backend proves who its signed-in user is. HMAC-SHA256 with the site's
// secret over site, user id and expiry. WebCrypto only, so the same code runs in Node 20+,
// Cloudflare Workers, Deno and Bun.

export interface ShopperClaims {
  /** The site key, `pk_…`. */
  site: string;
  /** The shop's id for the signed-in user. */
  userId: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

const encoder = new TextEncoder();
const b64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const fromB64url = (text: string): Uint8Array => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

async function mac(secret: string, payload: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(payload)));
}

/**
 * Makes a token for a signed-in shopper, on the shop's server. Pass it to the script with
 * `cartback("identify", { userId, token })`.
 *
 * @example
 * // Node or Workers, in the shop's backend:
 * import { signShopperToken } from "cartback/server";
 * const token = await signShopperToken({ site: "pk_…", userId: user.id, secret: process.env.CARTBACK_SECRET });
 */
export async function signShopperToken({
  site,
  userId,
  secret,
  expiresInSeconds = 3600,
}: {
  site: string;
  userId: string;
  secret: string;
  expiresInSeconds?: number;
}): Promise<string> {
  const claims: ShopperClaims = { site, userId, exp: Math.floor(Date.now() / 1000) + expiresInSeconds };
  const payload = b64url(encoder.encode(JSON.stringify(claims)));
  return `v1.${payload}.${b64url(await mac(secret, `v1.${payload}`))}`;
}

export type TokenProblem = "missing" | "malformed" | "forged" | "expired" | "other_site";

/** Checks a token for `site`; the claims, or what is wrong with it. Compares in constant time. */
export async function verifyShopperToken(token: string | undefined, site: string, secret: string): Promise<ShopperClaims | TokenProblem> {
  if (!token) return "missing";
  const parts = token.split(".");
  if (parts.length !== 3 || token.length > 2048) return "malformed"; // exactly `v1.payload.signature`: nothing after
  const [version, payload, signature] = parts;
  if (version !== "v1" || !payload || !signature) return "malformed";
  let claims: ShopperClaims;
  let given: Uint8Array;
  try {
    claims = JSON.parse(new TextDecoder().decode(fromB64url(payload))) as ShopperClaims;
    given = fromB64url(signature);
  } catch {
    return "malformed";
  }
  if (typeof claims?.site !== "string" || typeof claims.userId !== "string" || !claims.userId || typeof claims.exp !== "number")
    return "malformed";
  if (claims.site !== site) return "other_site"; // the payload is readable anyway: say so plainly
  const expected = await mac(secret, `v1.${payload}`);
  let diff = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) diff |= (given[i] ?? 0) ^ (expected[i] as number);
  if (diff) return "forged";
  if (claims.exp * 1000 < Date.now()) return "expired";
  return claims;
}
