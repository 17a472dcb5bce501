// Shopper tokens: the shop's backend proves who its signed-in user is. A JWT (RFC 7519), HS256 with
// the site's secret: `sub` the user id, `aud` the site key, `exp`; any JWT library signs one
// (docs/tokens.md). Tokens of the format before it (`v1.<payload>.<mac>`) are still accepted until
// they expire. WebCrypto only, so the same code runs in Node 20+, Cloudflare Workers, Deno and Bun.

import { decode, sign, verify } from "hono/jwt";
import { base64url, fromBase64, hmac, sameText, utf8 } from "../protocol/crypto";

export type { WebhookHeaders } from "./webhooks";
export { newWebhookSecret, signWebhook, standardSecret, verifyWebhook, WebhookVerificationError } from "./webhooks";

export interface ShopperClaims {
  /** The site key, `pk_…` (the JWT's `aud`). */
  site: string;
  /** The shop's id for the signed-in user (the JWT's `sub`). */
  userId: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** How far ahead of the collector's clock a token's `iat` or `nbf` may be (seconds): a shop's
 * server whose clock runs a little fast still signs tokens that work at once. `exp` is exact. */
export const CLOCK_SKEW_SECONDS = 60;

/** Longer than any token a shop needs; the sync request caps it there too (protocol/schema.ts). */
const MAX_TOKEN_LENGTH = 2048;

// As a JWK, not a string: Hono reads a string key containing "PUBLIC" or "PRIVATE" as a PEM.
const hs256Key = (secret: string) => ({ kty: "oct", k: base64url(utf8(secret)), alg: "HS256" });

/**
 * Makes a token for a signed-in shopper, on the shop's server: a JWT, HS256, signed with the
 * site's secret. Pass it to the script with `cartback("identify", { userId, token })`.
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
  const iat = Math.floor(Date.now() / 1000);
  return sign({ sub: userId, aud: site, iat, exp: iat + expiresInSeconds }, hs256Key(secret));
}

export type TokenProblem = "missing" | "malformed" | "forged" | "expired" | "other_site";

const isTime = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

/** The claims a shopper token must carry, or null when its payload has not got them. */
function claimsOf(payload: unknown): { sub: string; aud: string[]; exp: number; notBefore: number } | null {
  if (typeof payload !== "object" || payload === null) return null;
  const { sub, aud, exp, iat, nbf } = payload as Record<string, unknown>;
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (typeof sub !== "string" || !sub || !audiences.length || !audiences.every((a) => typeof a === "string") || !isTime(exp)) return null;
  if ((iat !== undefined && !isTime(iat)) || (nbf !== undefined && !isTime(nbf))) return null;
  return { sub, aud: audiences as string[], exp, notBefore: Math.max(isTime(iat) ? iat : 0, isTime(nbf) ? nbf : 0) };
}

/** When a valid signature's claims hold now: expired, or not yet valid beyond the allowed skew. */
const outOfTime = (exp: number, notBefore: number, now: number): boolean =>
  exp * 1000 < now || notBefore * 1000 > now + CLOCK_SKEW_SECONDS * 1000;

/**
 * Checks a token for `site`: the claims, or what is wrong with it. Only HS256 is accepted (`none`
 * and every other `alg` are malformed); the signature is checked by Hono's JWT helper, in WebCrypto.
 *
 * @example
 * const claims = await verifyShopperToken(token, "pk_…", secret); // ShopperClaims | "expired" | …
 */
export async function verifyShopperToken(token: string | undefined, site: string, secret: string): Promise<ShopperClaims | TokenProblem> {
  if (!token) return "missing";
  const parts = token.split(".");
  if (parts.length !== 3 || token.length > MAX_TOKEN_LENGTH) return "malformed"; // exactly three segments: nothing after
  if (parts[0] === "v1") return verifyLegacyToken(parts, site, secret);
  let payload: unknown;
  try {
    payload = decode(token).payload;
  } catch {
    return "malformed";
  }
  // The payload is readable anyway: a token for another site says so plainly, before its signature.
  const aud = (payload as { aud?: unknown } | null)?.aud;
  if ((typeof aud === "string" && aud !== site) || (Array.isArray(aud) && !aud.includes(site))) return "other_site";
  try {
    // Time is checked below, with the skew allowed; Hono checks structure, header, alg and signature.
    await verify(token, hs256Key(secret), { alg: "HS256", exp: false, nbf: false, iat: false });
  } catch (e) {
    return e instanceof Error && e.name === "JwtTokenSignatureMismatched" ? "forged" : "malformed";
  }
  const claims = claimsOf(payload);
  if (!claims) return "malformed";
  if (outOfTime(claims.exp, claims.notBefore, Date.now())) return "expired";
  return { site, userId: claims.sub, exp: claims.exp };
}

/** The format before JWTs, `v1.<base64url JSON {site, userId, exp}>.<base64url HMAC-SHA256 of "v1.<payload>">`. */
async function verifyLegacyToken([, payload, signature]: string[], site: string, secret: string): Promise<ShopperClaims | TokenProblem> {
  if (!payload || !signature) return "malformed";
  let claims: ShopperClaims;
  try {
    claims = JSON.parse(new TextDecoder().decode(fromBase64(payload)));
  } catch {
    return "malformed";
  }
  if (typeof claims?.site !== "string" || typeof claims.userId !== "string" || !claims.userId || typeof claims.exp !== "number")
    return "malformed";
  if (claims.site !== site) return "other_site";
  if (!(await sameText(signature, base64url(await hmac(secret, `v1.${payload}`))))) return "forged";
  if (claims.exp * 1000 < Date.now()) return "expired";
  return { site: claims.site, userId: claims.userId, exp: claims.exp };
}
