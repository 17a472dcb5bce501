// Who may call what: the merchant API (the site's secret as a bearer token) and the merchant's
// dashboard (a signed session cookie, and a CSRF token on every form).
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { hex, hmacHex, sameText, sha256 } from "../../protocol/crypto";
import { closeSession, liveSessionStatement, openSession } from "../db/sessions";
import { secretStatement } from "../db/sites";
import { findSite, type Site } from "../sites/sites";
import { ApiError } from "./errors";
import { isLocalHost } from "./local";

/** A merchant API request: `site` is the site its secret opened, `bearer` the secret it sent. */
export type Merchant = { Bindings: Env; Variables: { site: Site; bearer: string } };

/**
 * `Authorization: Bearer <site secret>` for the site in the path (or `?site=`); one site's secret
 * opens only that site. Sets `c.var.site`.
 *
 * @example
 * new Hono<Merchant>().use("/v1/stats", merchantOnly).get("/v1/stats", (c) => c.json(c.var.site.key));
 */
export const merchantOnly: MiddlewareHandler<Merchant> = async (c, next) => {
  await merchantBearer(c, async () => {
    await readAsMerchant(c, []);
  });
  await next();
};

export type MerchantBearer = Merchant;

/**
 * `merchantOnly` but for the secret's check, which the route makes with its own reads in one D1
 * batch (`readAsMerchant`): one round trip for a read route. Sets `c.var.site` and `c.var.bearer`.
 *
 * @example
 * new Hono<MerchantBearer>().use("/v1/stats", merchantBearer).get("/v1/stats", async (c) => c.json((await readAsMerchant(c, [read]))[0]));
 */
export const merchantBearer: MiddlewareHandler<MerchantBearer> = async (c, next) => {
  const site = await findSite(c.env.DB, c.req.param("key") ?? c.req.query("site") ?? "");
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (!bearer) throw new ApiError(401, "unauthorized", "send the site's secret as `Authorization: Bearer sk_…`");
  if (!site) throw FORBIDDEN();
  c.set("site", site);
  c.set("bearer", bearer);
  await next();
};

const FORBIDDEN = () => new ApiError(403, "forbidden", "this secret does not open this site");

/**
 * Runs `reads` in one D1 batch with the site's secret, and returns their results only if the
 * bearer is that secret (compared in constant time; read at every request, never cached, so a
 * changed secret takes effect at once). A wrong secret's reads are dropped unseen.
 *
 * @example
 * const [rows] = await readAsMerchant(c, [rollupStatement(c.env.DB, c.var.site.id, from, to)]);
 */
export async function readAsMerchant(c: Context<MerchantBearer>, reads: D1PreparedStatement[]): Promise<D1Result[]> {
  const [secret, ...results] = await c.env.DB.batch([secretStatement(c.env.DB, c.var.site), ...reads]);
  const value = (secret?.results[0] as { secret?: string } | undefined)?.secret;
  if (!value || !(await sameText(c.var.bearer, value))) throw FORBIDDEN();
  return results;
}

const COOKIE = "cb_session";
const LIFETIME_S = 12 * 3600;

export interface Session {
  site: Site;
  /** The token every form of this session must carry. */
  csrf: string;
  /** The SHA-256 of the session's id: its row in `dashboard_sessions`. */
  id: string;
}

const isLocal = (c: Context) => isLocalHost(c.req.url);

const signed = (secret: string, key: string, expires: string | number, sid: string) => hmacHex(secret, `session:${key}.${expires}.${sid}`);

/**
 * Starts a merchant session: a cookie `<site key>.<expiry>.<session id>.<HMAC>` signed with the
 * site's own secret, so changing the secret ends every session, and recorded server-side, so
 * signing out ends it on every copy of the cookie (`endSession`). HttpOnly, SameSite=Strict,
 * Secure except on a local collector.
 *
 * @example
 * await startSession(c, site, secret);
 */
export async function startSession(c: Context, site: Site, secret: string): Promise<void> {
  const now = Date.now();
  const expires = Math.floor(now / 1000) + LIFETIME_S;
  const sid = hex(crypto.getRandomValues(new Uint8Array(16)));
  await openSession((c.env as Env).DB, site.id, hex(await sha256(sid)), now, expires * 1000);
  const value = `${site.key}.${expires}.${sid}.${await signed(secret, site.key, expires, sid)}`;
  setCookie(c, COOKIE, value, { httpOnly: true, sameSite: "Strict", secure: !isLocal(c), path: "/dashboard", maxAge: LIFETIME_S });
}

/**
 * Ends the session (when there is one) for good, whoever holds a copy of its cookie, and clears
 * the cookie in this browser.
 *
 * @example
 * await endSession(c, await readSession(c));
 */
export async function endSession(c: Context, session: Session | null): Promise<void> {
  if (session) await closeSession((c.env as Env).DB, session.id);
  setCookie(c, COOKIE, "", { httpOnly: true, sameSite: "Strict", secure: !isLocal(c), path: "/dashboard", maxAge: 0 });
}

/** The session of this request, or null (none, forged, expired, signed out, or the secret changed since). */
export async function readSession(c: Context): Promise<Session | null> {
  const db = (c.env as Env).DB;
  const value = getCookie(c, COOKIE);
  const [key, expires, sid, mac, extra] = value?.split(".") ?? [];
  if (!key || !expires || !sid || !mac || extra !== undefined || Number(expires) * 1000 < Date.now()) return null;
  const site = await findSite(db, key);
  if (!site) return null;
  const id = hex(await sha256(sid));
  // The secret and the session's row in one round trip; both must hold.
  const [secretRow, live] = await db.batch([secretStatement(db, site), liveSessionStatement(db, site.id, id, Date.now())]);
  const secret = (secretRow?.results[0] as { secret?: string } | undefined)?.secret;
  if (!secret || !(await sameText(mac, await signed(secret, key, expires, sid)))) return null;
  if (!live?.results.length) return null;
  return { site, id, csrf: await hmacHex(secret, `csrf:${value}`) };
}

/** A form post is genuine when it carries the session's token and comes from this collector's own pages. */
export async function formIsGenuine(c: Context, session: Session, form: Record<string, unknown>): Promise<boolean> {
  const origin = c.req.header("origin");
  if (origin && origin !== new URL(c.req.url).origin) return false;
  return typeof form._csrf === "string" && (await sameText(form._csrf, session.csrf));
}

export type DashboardEnv = { Bindings: Env; Variables: { session: Session; form: Record<string, string> } };

/**
 * The posted form's text fields. A body that is no form, or a broken multipart one, reads as
 * empty, and file parts are dropped: the forms here have text fields only.
 */
export async function formOf(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody().catch(() => ({}));
  return Object.fromEntries(Object.entries(body).filter((field): field is [string, string] => typeof field[1] === "string"));
}

/**
 * A dashboard route for a signed-in merchant: sets `c.var.session`; without a session, `signedOut`
 * answers (the sign-in page, a redirect to it, an error page). With `form: true`, the posted form
 * must carry the session's CSRF token and come from the collector's own pages; it is `c.var.form`.
 *
 * @example
 * .post("/dashboard/settings", dashboardSession({ form: true, signedOut: toDashboard, forged }), (c) => …)
 */
export function dashboardSession({
  form = false,
  signedOut,
  forged,
}: {
  form?: boolean;
  signedOut: (c: Context) => Response | Promise<Response>;
  forged?: (c: Context) => Response | Promise<Response>;
}): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const session = await readSession(c);
    if (!session) return signedOut(c);
    c.set("session", session);
    if (form) {
      const fields = await formOf(c);
      if (!(await formIsGenuine(c, session, fields))) return forged?.(c) ?? signedOut(c);
      c.set("form", fields);
    }
    await next();
  };
}
