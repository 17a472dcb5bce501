import { Hono } from "hono";
import * as v from "valibot";
import { MAX_ID_LENGTH, MAX_TOTAL } from "../../protocol/limits";
import { Currency, EmailAddress, RandomId, text } from "../../protocol/schema";
import { emailOfBrowser } from "../db/browsers";
import { addCodes, poolCounts } from "../db/codes";
import { recentMessages } from "../db/ledger";
import { platformSecretOf, savePlatformSecret } from "../db/platforms";
import { type Merchant, merchantOnly } from "../http/auth";
import { ApiError } from "../http/errors";
import { jsonBody, valid } from "../http/validate";
import { hookUrls, newPlatformSecret, PlatformSecretBody } from "../platforms/secret";
import { reportOrder } from "../recovery/orders";
import { CodesJsonSchema, parseCodes } from "../sites/codes";
import { updateSettings } from "../sites/update";
import { accountStub } from "../sync/account";
import { audience } from "./audience";

// An empty `?status=` lists every status, as no status does.
const MessagesQuery = v.object({ status: v.optional(v.union([v.literal(""), v.picklist(["queued", "sent", "cancelled", "failed"])])) });

const OrderSchema = v.pipe(
  v.object({
    orderId: text(MAX_ID_LENGTH),
    email: v.optional(EmailAddress),
    aid: v.optional(RandomId),
    total: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_TOTAL)),
    currency: Currency,
    /** When it was paid (ms since the epoch); default now. */
    paidAt: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  }),
  v.check((o) => Boolean(o.email || o.aid), "an order needs the shopper's email or the script's shopper id (aid)"),
);

/**
 * The merchant API: `/v1/sites/:key/…`, authenticated with the site's secret as a bearer token.
 *
 * @example
 * await fetch(`${collector}/v1/sites/${key}/orders`, {
 *   method: "POST",
 *   headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
 *   body: JSON.stringify({ orderId: "1001", email: "ana@example.com", total: 3750, currency: "EUR" }),
 * });
 */
export const merchant = new Hono<Merchant>()
  .use("/v1/sites/:key/*", merchantOnly)
  .get("/v1/sites/:key/settings", (c) => {
    const site = c.get("site");
    return c.json({ key: site.key, name: site.name, origins: site.origins, settings: site.settings });
  })
  /**
   * Changes some settings, and the origins with `origins`: top-level fields given replace the
   * stored ones; the result is validated whole, a field the collector does not know included.
   */
  .patch("/v1/sites/:key/settings", async (c) => {
    const patch = await c.req.json().catch(() => undefined);
    if (!patch || typeof patch !== "object" || Array.isArray(patch))
      throw new ApiError(400, "invalid_json", "send a JSON object of settings to change");
    const result = await updateSettings(c.env.DB, c.var.site, patch as Record<string, unknown>);
    if (!result.ok) throw new ApiError(422, "invalid_settings", "the settings do not validate", result.issues);
    return c.json({ origins: result.origins, settings: result.settings });
  })
  /** A paid order from the shop's server: stops any recovery for that shopper, on every device. */
  .post("/v1/sites/:key/orders", jsonBody(OrderSchema, "invalid_order", "the order does not validate", "schema"), async (c) => {
    const { site } = c.var;
    const order = c.req.valid("json");
    const paidAt = order.paidAt ?? Date.now();
    const email = order.email ?? (order.aid && (await emailOfBrowser(c.env.DB, site.id, order.aid))) ?? undefined;
    const told = await reportOrder(c.env, site.id, { ...order, at: paidAt }, email ? [email] : []);
    return c.json({ recorded: true, followedUp: told > 0 }, 201);
  })
  /** Whether the site has a platform webhook secret (never the secret), and the webhook URLs to paste. */
  .get("/v1/sites/:key/platform-secret", async (c) => {
    const secret = await platformSecretOf(c.env.DB, c.var.site.id);
    return c.json({ set: Boolean(secret), urls: hookUrls(c.env.PUBLIC_URL, c.var.site.key) });
  })
  /** A new random platform webhook secret, answered this once (for WooCommerce's webhook form); the old one stops working. */
  .post("/v1/sites/:key/platform-secret", async (c) => {
    const secret = newPlatformSecret();
    await savePlatformSecret(c.env.DB, c.var.site.id, secret);
    return c.json({ secret, urls: hookUrls(c.env.PUBLIC_URL, c.var.site.key) }, 201);
  })
  /** The platform's own signing key (Shopify makes its own): `{ secret }`. */
  .put(
    "/v1/sites/:key/platform-secret",
    jsonBody(PlatformSecretBody, "invalid_platform_secret", "send { secret } with the key the platform signs its webhooks with"),
    async (c) => {
      await savePlatformSecret(c.env.DB, c.var.site.id, c.req.valid("json").secret);
      return c.json({ set: true, urls: hookUrls(c.env.PUBLIC_URL, c.var.site.key) });
    },
  )
  /** A signed-in shopper's devices, most recently seen first. */
  .get("/v1/sites/:key/users/:userId/devices", async (c) => {
    const devices = await accountStub(c.env, c.get("site").id, c.req.param("userId")).devices();
    return c.json({ devices });
  })
  /** Signs one device out of the account for good: it can no longer read or write the cart. */
  .delete("/v1/sites/:key/users/:userId/devices/:aid", async (c) => {
    const revoked = await accountStub(c.env, c.get("site").id, c.req.param("userId")).revoke(c.req.param("aid"));
    if (!revoked) throw new ApiError(404, "unknown_device", "this account has no such device");
    return c.json({ revoked: true });
  })
  /**
   * Adds single-use incentive codes to the site's pool: a text body (one per line, or CSV with the
   * code first), or JSON `{ "codes": [...] }`. All or nothing; codes the pool has are kept once.
   */
  .post("/v1/sites/:key/codes", async (c) => {
    const { site } = c.var;
    const body = await c.req.text();
    if (body.length > 1_000_000) throw new ApiError(413, "too_large", "an upload is at most 1 MB");
    let text = body;
    if ((c.req.header("content-type") ?? "").includes("json")) {
      const parsed = v.safeParse(
        CodesJsonSchema,
        await Promise.resolve(body)
          .then(JSON.parse)
          .catch(() => undefined),
      );
      if (!parsed.success) throw new ApiError(400, "invalid_json", 'send { "codes": ["…"] }, or the codes as text, one per line');
      text = parsed.output.codes.join("\n");
    }
    const codes = parseCodes(text);
    if (!codes.ok) throw new ApiError(422, "invalid_codes", "the codes do not validate; none were added", codes.issues);
    const { added } = await addCodes(c.env.DB, site.id, codes.codes, Date.now(), site.settings.incentive?.lowAt ?? 20);
    return c.json({ added, duplicates: codes.codes.length - added, ...(await poolCounts(c.env.DB, site.id)) }, 201);
  })
  /** The pool: codes still free and taken. */
  .get("/v1/sites/:key/codes", async (c) => c.json(await poolCounts(c.env.DB, c.var.site.id)))
  /** Recent messages, newest first; `?status=failed` shows what could not be delivered and why. */
  .get(
    "/v1/sites/:key/messages",
    valid("query", MessagesQuery, "invalid_status", "status must be queued, sent, cancelled or failed", 400),
    async (c) => c.json({ messages: await recentMessages(c.env.DB, c.var.site.id, c.req.valid("query").status || undefined) }),
  )
  // Suppressions and excluded shoppers (audience.ts), behind the same secret.
  .route("/", audience);
