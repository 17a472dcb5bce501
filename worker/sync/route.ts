import { type Context, Hono } from "hono";
import * as v from "valibot";
import { SyncRequestSchema } from "../../protocol/schema";
import { verifyShopperToken } from "../../server/token";
import { type Site, secretOf } from "../db/sites";
import { consentRequired, describeIssues, jsonError } from "../http/errors";
import { readSiteRequest } from "../http/site-request";
import { accountStub } from "./account";

type Sync = { Bindings: Env };

/** Account carts are larger than a batch of events: lines plus tombstones. */
const MAX_SYNC_BYTES = 256 * 1024;

type Authorised = { site: Site; userId: string; request: v.InferOutput<typeof SyncRequestSchema> };

/** Site key, origin, body and token: the signed-in shopper behind a sync request, or the error to send. */
async function authorise(c: Context<Sync>): Promise<Authorised | Response> {
  const read = await readSiteRequest(c, MAX_SYNC_BYTES);
  if (read instanceof Response) return read;
  const { site, json } = read;
  const request = v.safeParse(SyncRequestSchema, json);
  if (!request.success)
    return jsonError(c, 422, "invalid_sync", "the sync request does not match the protocol", describeIssues(request.issues));
  if (site.settings.requireConsent && request.output.consent !== true) return consentRequired(c);
  const claims = await verifyShopperToken(request.output.token, site.key, (await secretOf(c.env.DB, site)) ?? "");
  if (typeof claims === "string") {
    const status = claims === "other_site" ? 403 : 401;
    return jsonError(
      c,
      status,
      `token_${claims}`,
      `the shopper token is ${claims.replace("_", " ")}: the shop's server signs a fresh one per signed-in user`,
    );
  }
  return { site, userId: claims.userId, request: request.output };
}

/**
 * `POST /v1/sync?site=KEY`: a signed-in device sends its replica of the account cart and gets the
 * merged cart back. `{ status: "retired" }` tells a device it was pushed out by a newer one.
 *
 * @example
 * await fetch(`${collector}/v1/sync?site=${key}`, { method: "POST", body: JSON.stringify({ token, aid, cart }) });
 */
export const sync = new Hono<Sync>()
  .post("/v1/sync", async (c) => {
    const auth = await authorise(c);
    if (auth instanceof Response) return auth;
    const { site, userId, request } = auth;
    const result = await accountStub(c.env, site.id, userId).sync({
      aid: request.aid,
      cart: request.cart,
      maxDevices: site.settings.maxDevices,
      ttlDays: site.settings.cartTtlDays,
    });
    if (result.status === "revoked") return jsonError(c, 403, "device_revoked", "this device was signed out of the account");
    return c.json(result);
  })
  .post("/v1/sync/signout", async (c) => {
    const auth = await authorise(c);
    if (auth instanceof Response) return auth;
    await accountStub(c.env, auth.site.id, auth.userId).signOut(auth.request.aid);
    return c.json({ status: "signed_out" });
  });
