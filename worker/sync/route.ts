import { Hono, type MiddlewareHandler } from "hono";
import { SyncRequestSchema } from "../../protocol/schema";
import { verifyShopperToken } from "../../server/token";
import { secretOf } from "../db/sites";
import { ApiError, requireConsent } from "../http/errors";
import { type SiteEnv, siteRequest } from "../http/site";
import { jsonBody } from "../http/validate";
import { accountStub } from "./account";

/** Account carts are larger than a batch of events: lines plus tombstones. */
const MAX_SYNC_BYTES = 256 * 1024;

type SyncEnv = SiteEnv & { Variables: { userId: string } };

/** The token in the body: the signed-in shopper behind the request, as `c.var.userId`. */
const signedIn: MiddlewareHandler<SyncEnv, string, { out: { json: { token: string; consent?: boolean } } }> = async (c, next) => {
  const { site } = c.var;
  const request = c.req.valid("json");
  if (site.settings.requireConsent && request.consent !== true) requireConsent();
  const claims = await verifyShopperToken(request.token, site.key, (await secretOf(c.env.DB, site)) ?? "");
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

const authorised = [
  siteRequest({ maxBytes: MAX_SYNC_BYTES }),
  jsonBody(SyncRequestSchema, "invalid_sync", "the sync request does not match the protocol"),
  signedIn,
] as const;

/**
 * `POST /v1/sync?site=KEY`: a signed-in device sends its replica of the account cart and gets the
 * merged cart back. `{ status: "retired" }` tells a device it was pushed out by a newer one.
 *
 * @example
 * await fetch(`${collector}/v1/sync?site=${key}`, { method: "POST", body: JSON.stringify({ token, aid, cart }) });
 */
export const sync = new Hono<SyncEnv>()
  .post("/v1/sync", ...authorised, async (c) => {
    const { site, userId } = c.var;
    const request = c.req.valid("json");
    const result = await accountStub(c.env, site.id, userId).sync({
      aid: request.aid,
      cart: request.cart,
      maxDevices: site.settings.maxDevices,
      ttlDays: site.settings.cartTtlDays,
    });
    if (result.status === "revoked") throw new ApiError(403, "device_revoked", "this device was signed out of the account");
    return c.json(result);
  })
  .post("/v1/sync/signout", ...authorised, async (c) => {
    await accountStub(c.env, c.var.site.id, c.var.userId).signOut(c.req.valid("json").aid);
    return c.json({ status: "signed_out" });
  });
