import { type Context, Hono, type Next } from "hono";
import * as v from "valibot";
import { normalEmail } from "../../protocol/email";
import { EMAIL_PATTERN, MAX_EMAIL_LENGTH, MAX_ID_LENGTH, MAX_LINES, MAX_PRICE } from "../../protocol/limits";
import { Currency, RandomId, text } from "../../protocol/schema";
import { emailOfBrowser, recordServerOrder } from "../db/browsers";
import { type MessageStatus, recentMessages } from "../db/ledger";
import { findSite, type Site, secretOf } from "../db/sites";
import { sameText } from "../http/crypto";
import { describeIssues, jsonError } from "../http/errors";
import { shopperStub } from "../recovery/shopper";
import { updateSettings } from "../sites/update";
import { accountStub } from "../sync/account";

export type Merchant = { Bindings: Env; Variables: { site: Site } };

/** `Authorization: Bearer <site secret>` for the site in the path; one site's secret opens only that site. */
export async function merchantOnly(c: Context<Merchant>, next: Next): Promise<Response | undefined> {
  const site = await findSite(c.env.DB, c.req.param("key") ?? c.req.query("site") ?? "");
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (!bearer) return jsonError(c, 401, "unauthorized", "send the site's secret as `Authorization: Bearer sk_…`");
  const row = site && (await secretOf(c.env.DB, site));
  if (!site || !row || !(await sameText(bearer, row))) return jsonError(c, 403, "forbidden", "this secret does not open this site");
  c.set("site", site);
  await next();
}

const OrderSchema = v.pipe(
  v.object({
    orderId: text(MAX_ID_LENGTH),
    email: v.optional(
      v.pipe(
        v.string(),
        v.trim(),
        v.maxLength(MAX_EMAIL_LENGTH),
        v.regex(EMAIL_PATTERN, "must be an email address"),
        v.transform(normalEmail),
      ),
    ),
    aid: v.optional(RandomId),
    total: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_PRICE * MAX_LINES)),
    currency: Currency,
    /** When it was paid (ms since the epoch); default now. */
    paidAt: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  }),
  v.check((o) => Boolean(o.email || o.aid), "an order needs the shopper's email or the script's shopper id (aid)"),
);

async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
}

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
  /** Changes some settings: top-level fields given replace the stored ones; the result is validated whole. */
  .patch("/v1/sites/:key/settings", async (c) => {
    const site = c.get("site");
    const patch = await readJson(c);
    if (!patch || typeof patch !== "object" || Array.isArray(patch))
      return jsonError(c, 400, "invalid_json", "send a JSON object of settings to change");
    const result = await updateSettings(c.env.DB, site, patch as Record<string, unknown>);
    if (!result.ok) return jsonError(c, 422, "invalid_settings", "the settings do not validate", result.issues);
    return c.json({ settings: result.settings });
  })
  /** A paid order from the shop's server: stops any recovery for that shopper, on every device. */
  .post("/v1/sites/:key/orders", async (c) => {
    const site = c.get("site");
    const parsed = v.safeParse(OrderSchema, await readJson(c));
    if (!parsed.success) return jsonError(c, 422, "invalid_order", "the order does not validate", describeIssues(parsed.issues));
    const order = parsed.output;
    const paidAt = order.paidAt ?? Date.now();
    const email = order.email ?? (order.aid && (await emailOfBrowser(c.env.DB, site.id, order.aid))) ?? undefined;
    await recordServerOrder(c.env.DB, site.id, { ...order, at: paidAt });
    if (email) {
      await shopperStub(c.env, site.id, email).order(site.id, email, { orderId: order.orderId, total: order.total, at: paidAt }, order.aid);
    }
    return c.json({ recorded: true, followedUp: Boolean(email) }, 201);
  })
  /** A signed-in shopper's devices, most recently seen first. */
  .get("/v1/sites/:key/users/:userId/devices", async (c) => {
    const devices = await accountStub(c.env, c.get("site").id, c.req.param("userId")).devices();
    return c.json({ devices });
  })
  /** Signs one device out of the account for good: it can no longer read or write the cart. */
  .delete("/v1/sites/:key/users/:userId/devices/:aid", async (c) => {
    const revoked = await accountStub(c.env, c.get("site").id, c.req.param("userId")).revoke(c.req.param("aid"));
    return revoked ? c.json({ revoked: true }) : jsonError(c, 404, "unknown_device", "this account has no such device");
  })
  /** Recent messages, newest first; `?status=failed` shows what could not be delivered and why. */
  .get("/v1/sites/:key/messages", async (c) => {
    const site = c.get("site");
    const status = c.req.query("status");
    if (status && !["queued", "sent", "cancelled", "failed"].includes(status)) {
      return jsonError(c, 400, "invalid_status", "status must be queued, sent, cancelled or failed");
    }
    return c.json({ messages: await recentMessages(c.env.DB, site.id, status as MessageStatus | undefined) });
  });
