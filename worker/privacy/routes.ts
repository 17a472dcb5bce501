import { Hono } from "hono";
import * as v from "valibot";
import { MAX_ID_LENGTH } from "../../protocol/limits";
import { EmailAddress } from "../../protocol/schema";
import { eraseRows, exportRows, identities } from "../db/privacy";
import { type Merchant, merchantOnly } from "../http/auth";
import { valid } from "../http/validate";
import { shopperStub } from "../recovery/shopper";
import { accountStub } from "../sync/account";

const Who = v.pipe(
  v.object({
    email: v.optional(EmailAddress),
    userId: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_ID_LENGTH))),
  }),
  v.check((w) => Boolean(w.email || w.userId), "give the shopper's email or userId"),
);

const whoQuery = valid("query", Who, "invalid_shopper", "say who: ?email= or ?userId=", 400);

/**
 * Privacy law: export and erase everything about one shopper, by email or by the shop's user id,
 * through the merchant API (`Authorization: Bearer <site secret>`).
 *
 * @example
 * await fetch(`${collector}/v1/sites/${key}/shoppers?email=ana@example.com`, { method: "DELETE", headers: { authorization: `Bearer ${secret}` } });
 */
export const privacy = new Hono<Merchant>()
  .use("/v1/sites/:key/shoppers", merchantOnly)
  .get("/v1/sites/:key/shoppers", whoQuery, async (c) => {
    const site = c.var.site.id;
    const { aids, emails, userIds } = await identities(c.env.DB, site, c.req.valid("query"));
    const rows = await exportRows(c.env.DB, site, { aids, emails, userIds });
    return c.json({
      ...rows,
      accounts: await Promise.all(userIds.map(async (userId) => ({ userId, ...(await accountStub(c.env, site, userId).export()) }))),
    });
  })
  /** Erases the shopper: browsers' carts and events, sequences, messages (queued ones are then
   * never sent), links, the local outbox, their Durable Object and their account cart (by user id). The suppression list is kept:
   * it exists to honour the opt-out, and forgetting it would mail them again. */
  .delete("/v1/sites/:key/shoppers", whoQuery, async (c) => {
    const site = c.var.site.id;
    const { aids, emails, userIds } = await identities(c.env.DB, site, c.req.valid("query"));
    const erased = await eraseRows(c.env.DB, site, { aids, emails, userIds });
    await Promise.all([
      ...emails.map((email) => shopperStub(c.env, site, email).erase()),
      ...userIds.map((userId) => accountStub(c.env, site, userId).erase()),
    ]);
    return c.json({
      erased: { browsers: aids.length, emails: emails.length, accounts: userIds.length, ...erased },
      suppressionKept: true,
    });
  });
