import { Hono, type MiddlewareHandler } from "hono";
import * as v from "valibot";
import { SiteKey, SyncHelloSchema, SyncRequestSchema } from "../../protocol/schema";
import { ApiError, requireConsent } from "../http/errors";
import { type SiteEnv, siteRequest } from "../http/site";
import { jsonBody } from "../http/validate";
import { findSite, originAllowed } from "../sites/sites";
import { type Account, accountStub } from "./account";
import { checkToken } from "./secrets";
import type { SocketSite } from "./socket";

/** Account carts are larger than a batch of events: lines plus tombstones. */
const MAX_SYNC_BYTES = 256 * 1024;

type SyncEnv = SiteEnv & { Variables: { userId: string } };

/** The token in the body: the signed-in shopper behind the request, as `c.var.userId`. */
const signedIn: MiddlewareHandler<SyncEnv, string, { out: { json: { token: string; consent?: boolean } } }> = async (c, next) => {
  const { site } = c.var;
  const request = c.req.valid("json");
  if (site.settings.requireConsent && request.consent !== true) requireConsent();
  const claims = await checkToken(c.env.DB, site, request.token);
  if (typeof claims === "string") {
    throw new ApiError(
      claims === "other_site" ? 403 : 401,
      `token_${claims}`,
      `the shopper token is ${claims.replace("_", " ")}: the shop's server signs a fresh one per signed-in user`,
    );
  }
  c.set("userId", claims.userId);
  await next();
};

const replicaBody = jsonBody(SyncRequestSchema, "invalid_sync", "the sync request does not match the protocol");
const helloBody = jsonBody(SyncHelloSchema, "invalid_sync", "the sync request does not match the protocol");

const authorised = [
  siteRequest({ maxBytes: MAX_SYNC_BYTES }),
  // The socket's hello over HTTP (the script's fallback, `t: "hello"`), or a whole replica (scripts from before sockets).
  ((c, next) =>
    ((c.var.json as { t?: unknown } | null)?.t === undefined ? replicaBody : helloBody)(c as never, next)) as typeof replicaBody,
  signedIn,
] as const;

const RETIRED = ["device_retired", "this device was retired by a newer one: it keeps its cart as a guest cart"] as const;
const REVOKED = ["device_revoked", "this device was signed out of the account"] as const;

/**
 * `POST /v1/sync?site=KEY`: a signed-in device sends its replica of the account cart and gets the
 * merged cart back, with the account's id (for its socket) and the number of its last change (the
 * device's watermark). `{ status: "retired" }` tells a device it was pushed out by a newer one.
 * `GET /v1/sync/ws?site=KEY&account=ID`: the device's socket to its account (see account.ts and
 * socket.ts); the site and Origin are checked here, the token (in the first message) by the account.
 *
 * @example
 * await fetch(`${collector}/v1/sync?site=${key}`, { method: "POST", body: JSON.stringify({ token, aid, cart }) });
 */
export const sync = new Hono<SyncEnv>()
  .post("/v1/sync", ...authorised, async (c) => {
    const { site, userId } = c.var;
    const request = c.req.valid("json") as v.InferOutput<typeof SyncRequestSchema> | v.InferOutput<typeof SyncHelloSchema>;
    if ("t" in request) {
      // The socket's own message shape, both ways.
      const answer = await accountStub(c.env, site.id, userId).hello(request, {
        maxDevices: site.settings.maxDevices,
        ttlDays: site.settings.cartTtlDays,
      });
      if (answer === "retired") throw new ApiError(409, ...RETIRED);
      if (answer === "revoked") throw new ApiError(403, ...REVOKED);
      return c.json(answer);
    }
    const result = await accountStub(c.env, site.id, userId).sync({
      aid: request.aid,
      cart: request.cart,
      maxDevices: site.settings.maxDevices,
      ttlDays: site.settings.cartTtlDays,
    });
    if (result.status === "revoked") throw new ApiError(403, ...REVOKED);
    return c.json(result);
  })
  .get("/v1/sync/ws", async (c) => {
    const origin = c.req.header("origin");
    const key = v.safeParse(SiteKey, c.req.query("site"));
    if (!key.success) throw new ApiError(400, "invalid_site_key", "the site query parameter must be a site key (pk_…)");
    const site = await findSite(c.env.DB, key.output);
    if (!site) throw new ApiError(401, "unknown_site_key", `no site has the key ${key.output}`);
    if (!originAllowed(site.origins, origin))
      throw new ApiError(
        403,
        "origin_not_allowed",
        `${origin ?? "a request without an Origin header"} is not an allowed origin of this site`,
      );
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
      throw new ApiError(426, "upgrade_required", "this route is a WebSocket: send Upgrade: websocket");
    const namespace = c.env.ACCOUNT as unknown as DurableObjectNamespace<Account>;
    let id: DurableObjectId;
    try {
      id = namespace.idFromString(c.req.query("account") ?? "");
    } catch {
      throw new ApiError(400, "invalid_account", "the account query parameter must be the account id POST /v1/sync answered");
    }
    const { maxDevices, cartTtlDays: ttlDays, requireConsent } = site.settings;
    const headers = new Headers(c.req.raw.headers);
    headers.set(
      "x-cartback-site",
      JSON.stringify({ id: site.id, key: site.key, maxDevices, ttlDays, requireConsent } satisfies SocketSite),
    );
    return namespace.get(id).fetch(new Request(c.req.raw, { headers }));
  })
  .post("/v1/sync/signout", ...authorised, async (c) => {
    await accountStub(c.env, c.var.site.id, c.var.userId).signOut(c.req.valid("json").aid);
    return c.json({ status: "signed_out" });
  });
