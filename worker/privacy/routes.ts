import { Hono } from "hono";
import * as v from "valibot";
import { MAX_ID_LENGTH, PHONE_PATTERN } from "../../protocol/limits";
import { EmailAddress } from "../../protocol/schema";
import { eraseRows, exportRows, identities, personKeys } from "../db/privacy";
import { type Merchant, merchantOnly } from "../http/auth";
import { valid } from "../http/validate";
import { personStub } from "../recovery/shopper";
import { accountStub } from "../sync/account";

const Who = v.pipe(
  v.object({
    email: v.optional(EmailAddress),
    userId: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_ID_LENGTH))),
    // A "+" left unencoded in a query string reads as a space: taken back, so ?phone=+34… works too.
    phone: v.optional(
      v.pipe(
        v.string(),
        v.transform((p) => p.replace(/^ /, "+")),
        v.regex(PHONE_PATTERN, "must be a phone number in E.164 form, like +34600111222"),
      ),
    ),
  }),
  v.check((w) => Boolean(w.email || w.userId || w.phone), "give the shopper's email, userId or phone"),
);

const whoQuery = valid("query", Who, "invalid_shopper", "say who: ?email=, ?userId= or ?phone=", 400);

/**
 * Privacy law: export and erase everything about one shopper, by email, by the shop's user id or
 * by the mobile number they consented to texts with, through the merchant API (`Authorization:
 * Bearer <site secret>`). Whichever is given, the browsers found bring their other identifiers:
 * erasing by email also erases the texts to the number those browsers gave, and the other way round.
 *
 * @example
 * await fetch(`${collector}/v1/sites/${key}/shoppers?email=ana@example.com`, { method: "DELETE", headers: { authorization: `Bearer ${secret}` } });
 */
export const privacy = new Hono<Merchant>()
  .use("/v1/sites/:key/shoppers", merchantOnly)
  .get("/v1/sites/:key/shoppers", whoQuery, async (c) => {
    const site = c.var.site.id;
    const who = await identities(c.env.DB, site, c.req.valid("query"));
    const rows = await exportRows(c.env.DB, site, who);
    const { userIds } = who;
    return c.json({
      ...rows,
      accounts: await Promise.all(userIds.map(async (userId) => ({ userId, ...(await accountStub(c.env, site, userId).export()) }))),
    });
  })
  /** Erases the shopper: browsers' carts and events, sequences, messages (queued ones are then
   * never sent), links, the local outboxes, the texts' provider records, their Durable Objects (the
   * email's and the number's) and their account cart (by user id). The suppression lists are kept:
   * they exist to honour the opt-out, and forgetting them would mail or text them again. */
  .delete("/v1/sites/:key/shoppers", whoQuery, async (c) => {
    const site = c.var.site.id;
    const who = await identities(c.env.DB, site, c.req.valid("query"));
    const { aids, emails, phones, userIds } = who;
    const erased = await eraseRows(c.env.DB, site, who);
    await Promise.all([
      ...personKeys(who).map((key) => personStub(c.env, site, key).erase()),
      ...userIds.map((userId) => accountStub(c.env, site, userId).erase()),
    ]);
    return c.json({
      erased: { browsers: aids.length, emails: emails.length, phones: phones.length, accounts: userIds.length, ...erased },
      suppressionKept: true,
    });
  });
