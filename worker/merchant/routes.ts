import { Hono } from "hono";
import * as v from "valibot";
import { MAX_ID_LENGTH, MAX_TOTAL } from "../../protocol/limits";
import { Currency, EmailAddress, RandomId, text } from "../../protocol/schema";
import { newWebhookSecret, standardSecret } from "../../server/webhooks";
import { emailOfBrowser } from "../db/browsers";
import { addCodes, poolCounts } from "../db/codes";
import { recentMessages } from "../db/ledger";
import { platformSecretOf, savePlatformSecret } from "../db/platforms";
import { type Merchant, merchantOnly } from "../http/auth";
import { ApiError } from "../http/errors";
import { jsonBody, valid } from "../http/validate";
import { checkedProvider, DomainCheckRequest, listDomainChecks, runDomainCheck } from "../mail/domain/run";
import { hookUrls, newPlatformSecret, PlatformSecretBody } from "../platforms/secret";
import { reportOrder } from "../recovery/orders";
import { CodesJsonSchema, parseCodes } from "../sites/codes";
import type { SiteSettings } from "../sites/settings";
import { updateSettings } from "../sites/update";
import { signingSecrets } from "../sites/webhook-rotation";
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

/** What the webhook-secret routes answer: the secret to give a Standard Webhooks library. */
function webhookSecretAnswer(hook: NonNullable<SiteSettings["webhook"]>, now: number) {
  const overlap = signingSecrets(hook, now).length > 1 ? hook.previous?.until : undefined;
  return { secret: standardSecret(hook.secret), ...(overlap && { previousSignsUntil: overlap }) };
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
  /**
   * Changes some settings, and the origins with `origins`: top-level fields given replace the
   * stored ones; the result is validated whole, a field the collector does not know included.
   */
  .patch("/v1/sites/:key/settings", async (c) => {
    const patch = await c.req.json().catch(() => undefined);
    if (!patch || typeof patch !== "object" || Array.isArray(patch))
      throw new ApiError(400, "invalid_json", "send a JSON object of settings to change");
    const result = await updateSettings(c.env.DB, c.var.site, patch as Record<string, unknown>, c.env);
    if (!result.ok) throw new ApiError(422, "invalid_settings", "the settings do not validate", result.issues);
    return c.json({ origins: result.origins, settings: result.settings });
  })
  /**
   * The sending-domain check (docs/mail-providers.md): SPF, DKIM and DMARC for the site's provider
   * (or `provider`), in words, remembered for the From address rule. 503 when DNS could not be read.
   */
  .post(
    "/v1/sites/:key/sending-domain",
    jsonBody(DomainCheckRequest, "invalid_domain_check", 'send { "domain": "shop.example", "provider"?: "resend", "dkimSelectors"?: [] }'),
    async (c) => {
      const input = c.req.valid("json");
      const provider = checkedProvider(c.env, c.var.site, input.provider);
      if (!provider)
        throw new ApiError(
          400,
          "no_provider",
          "this site sends to the outbox: name the provider to check for (resend, postmark, ses, cloudflare)",
        );
      const { report, text } = await runDomainCheck(c.env, c.var.site, input, provider);
      if (!report.checked) throw new ApiError(503, "dns_unreachable", text);
      return c.json({ ...report, text });
    },
  )
  .get("/v1/sites/:key/sending-domain", async (c) => c.json({ checks: await listDomainChecks(c.env.DB, c.var.site.id) }))
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
  /** The webhook's secret as Standard Webhooks libraries take it (`whsec_…`, also for a secret set
   * before those), and until when the one before it still signs. */
  .get("/v1/sites/:key/webhook-secret", (c) => {
    const hook = c.var.site.settings.webhook;
    if (!hook) throw new ApiError(404, "no_webhook", "this site has no webhook: set settings.webhook { url, secret }");
    return c.json(webhookSecretAnswer(hook, Date.now()));
  })
  /** A new random `whsec_` secret, answered this once; the one it replaces keeps signing for a day. */
  .post("/v1/sites/:key/webhook-secret", async (c) => {
    const hook = c.var.site.settings.webhook;
    if (!hook) throw new ApiError(404, "no_webhook", "this site has no webhook: set settings.webhook { url, secret }");
    const result = await updateSettings(c.env.DB, c.var.site, { webhook: { url: hook.url, secret: newWebhookSecret() } });
    if (!result.ok || !result.settings.webhook)
      throw new ApiError(409, "invalid_settings", "the site's settings no longer validate", result.ok ? [] : result.issues);
    return c.json(webhookSecretAnswer(result.settings.webhook, Date.now()), 201);
  })
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
