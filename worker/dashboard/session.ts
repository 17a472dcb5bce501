import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { findSite, type Site, secretOf } from "../db/sites";
import { hmacHex, isLocalHost, sameText } from "../http/crypto";

const COOKIE = "cb_session";
const LIFETIME_S = 12 * 3600;

export interface Session {
  site: Site;
  /** The token every form of this session must carry. */
  csrf: string;
}

const isLocal = (c: Context) => isLocalHost(c.req.url);

/**
 * Starts a merchant session: a cookie `<site key>.<expiry>.<HMAC>` signed with the site's own
 * secret, so changing the secret ends every session. HttpOnly, SameSite=Strict, Secure except on
 * a local collector.
 *
 * @example
 * await startSession(c, site, secret);
 */
export async function startSession(c: Context, site: Site, secret: string): Promise<void> {
  const expires = Math.floor(Date.now() / 1000) + LIFETIME_S;
  const value = `${site.key}.${expires}.${await hmacHex(secret, `session:${site.key}.${expires}`)}`;
  setCookie(c, COOKIE, value, { httpOnly: true, sameSite: "Strict", secure: !isLocal(c), path: "/dashboard", maxAge: LIFETIME_S });
}

export function endSession(c: Context): void {
  setCookie(c, COOKIE, "", { httpOnly: true, sameSite: "Strict", secure: !isLocal(c), path: "/dashboard", maxAge: 0 });
}

/** The session of this request, or null (none, forged, expired, or the secret changed since). */
export async function readSession(c: Context<{ Bindings: Env }>): Promise<Session | null> {
  const value = getCookie(c, COOKIE);
  const [key, expires, mac] = value?.split(".") ?? [];
  if (!key || !expires || !mac || Number(expires) * 1000 < Date.now()) return null;
  const site = await findSite(c.env.DB, key);
  const secret = site && (await secretOf(c.env.DB, site));
  if (!site || !secret || !(await sameText(mac, await hmacHex(secret, `session:${key}.${expires}`)))) return null;
  return { site, csrf: await hmacHex(secret, `csrf:${value}`) };
}

/** A form post is genuine when it carries the session's token and comes from this collector's own pages. */
export async function formIsGenuine(c: Context, session: Session, form: Record<string, unknown>): Promise<boolean> {
  const origin = c.req.header("origin");
  if (origin && origin !== new URL(c.req.url).origin) return false;
  return typeof form._csrf === "string" && (await sameText(form._csrf, session.csrf));
}
