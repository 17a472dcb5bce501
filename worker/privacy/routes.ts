import { Hono } from "hono";
import * as v from "valibot";
import { normalEmail } from "../../protocol/email";
import { EMAIL_PATTERN, MAX_EMAIL_LENGTH, MAX_ID_LENGTH } from "../../protocol/limits";
import { describeIssues, jsonError } from "../http/errors";
import { type Merchant, merchantOnly } from "../merchant/routes";
import { shopperStub } from "../recovery/shopper";
import { accountStub } from "../sync/account";

const Who = v.pipe(
  v.object({
    email: v.optional(
      v.pipe(
        v.string(),
        v.trim(),
        v.maxLength(MAX_EMAIL_LENGTH),
        v.regex(EMAIL_PATTERN, "must be an email address"),
        v.transform(normalEmail),
      ),
    ),
    userId: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_ID_LENGTH))),
  }),
  v.check((w) => Boolean(w.email || w.userId), "give the shopper's email or userId"),
);

// Addresses are stored in their normal form (protocol/email.ts; migration 0007 fixed older rows),
// yet every lookup here compares lower(email), whatever casing a row holds: a shopper's object made
// before then keeps the casing first seen and writes sequences, messages and links with it, and a
// batch queued by the previous version is stored as it was typed. An export or erase that misses
// a row is a breach; a scan of one site's index range, for a request this rare, is cheap.
// (SQLite's lower() folds only ASCII, which every address that passes EMAIL_PATTERN is.)

/** Every browser (aid) and email (normal form) known for a shopper given by email or by the shop's user id. */
async function identities(
  db: D1Database,
  site: number,
  who: v.InferOutput<typeof Who>,
): Promise<{ aids: string[]; emails: string[]; userIds: string[] }> {
  const { results } = await db
    .prepare(
      "SELECT aid, email, user_id FROM shoppers WHERE site_id = ?1 AND ((?2 IS NOT NULL AND lower(email) = ?2) OR (?3 IS NOT NULL AND user_id = ?3))",
    )
    .bind(site, who.email ?? null, who.userId ?? null)
    .all<{ aid: string; email: string | null; user_id: string | null }>();
  const emails = new Set(results.flatMap((r) => (r.email ? [normalEmail(r.email)] : [])));
  if (who.email) emails.add(who.email);
  // The account cart is kept by user id, also for a signed-in shopper who never sent an event.
  const userIds = new Set(results.flatMap((r) => (r.user_id ? [r.user_id] : [])));
  if (who.userId) userIds.add(who.userId);
  return { aids: results.map((r) => r.aid), emails: [...emails], userIds: [...userIds] };
}

const list = (values: string[]) => (values.length ? values : [""]);
const marks = (values: string[]) =>
  list(values)
    .map(() => "?")
    .join(", ");

/**
 * Privacy law: export and erase everything about one shopper, by email or by the shop's user id,
 * through the merchant API (`Authorization: Bearer <site secret>`).
 *
 * @example
 * await fetch(`${collector}/v1/sites/${key}/shoppers?email=ana@example.com`, { method: "DELETE", headers: { authorization: `Bearer ${secret}` } });
 */
export const privacy = new Hono<Merchant>()
  .use("/v1/sites/:key/shoppers", merchantOnly)
  .get("/v1/sites/:key/shoppers", async (c) => {
    const who = v.safeParse(Who, { email: c.req.query("email"), userId: c.req.query("userId") });
    if (!who.success) return jsonError(c, 400, "invalid_shopper", "say who: ?email= or ?userId=", describeIssues(who.issues));
    const site = c.get("site").id;
    const { aids, emails, userIds } = await identities(c.env.DB, site, who.output);
    const [shoppers, carts, events, orders, sequences, messages, suppressed] = await c.env.DB.batch([
      c.env.DB.prepare(`SELECT * FROM shoppers WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
      c.env.DB.prepare(`SELECT * FROM carts WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
      c.env.DB.prepare(`SELECT id, aid, type, at, data FROM events WHERE site_id = ? AND aid IN (${marks(aids)}) ORDER BY at`).bind(
        site,
        ...list(aids),
      ),
      c.env.DB.prepare(`SELECT * FROM orders WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
      c.env.DB.prepare(`SELECT * FROM sequences WHERE site_id = ? AND lower(email) IN (${marks(emails)})`).bind(site, ...list(emails)),
      c.env.DB.prepare(`SELECT * FROM messages WHERE site_id = ? AND lower(email) IN (${marks(emails)})`).bind(site, ...list(emails)),
      c.env.DB.prepare(`SELECT email, created_at, source FROM suppressions WHERE site_id = ? AND lower(email) IN (${marks(emails)})`).bind(
        site,
        ...list(emails),
      ),
    ]);
    return c.json({
      shoppers: shoppers?.results,
      carts: carts?.results,
      events: (events?.results as { data: string }[] | undefined)?.map((e) => ({ ...e, data: JSON.parse(e.data) })),
      orders: orders?.results,
      sequences: sequences?.results,
      messages: messages?.results,
      suppressed: suppressed?.results,
      accounts: await Promise.all(userIds.map(async (userId) => ({ userId, ...(await accountStub(c.env, site, userId).export()) }))),
    });
  })
  /** Erases the shopper: browsers' carts and events, sequences, messages (queued ones are then
   * never sent), links, the local outbox, their Durable Object and their account cart (by user id). The suppression list is kept:
   * it exists to honour the opt-out, and forgetting it would mail them again. */
  .delete("/v1/sites/:key/shoppers", async (c) => {
    const who = v.safeParse(Who, { email: c.req.query("email"), userId: c.req.query("userId") });
    if (!who.success) return jsonError(c, 400, "invalid_shopper", "say who: ?email= or ?userId=", describeIssues(who.issues));
    const site = c.get("site").id;
    const { aids, emails, userIds } = await identities(c.env.DB, site, who.output);
    const db = c.env.DB;
    const results = await db.batch([
      db.prepare(`DELETE FROM events WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
      db.prepare(`DELETE FROM carts WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
      db.prepare(`DELETE FROM shoppers WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
      // The shop keeps its own orders; ours only tie them to this shopper's browsers.
      db.prepare(`UPDATE orders SET aid = NULL WHERE site_id = ? AND aid IN (${marks(aids)})`).bind(site, ...list(aids)),
      db.prepare(`DELETE FROM messages WHERE site_id = ? AND lower(email) IN (${marks(emails)})`).bind(site, ...list(emails)),
      db.prepare(`DELETE FROM sequences WHERE site_id = ? AND lower(email) IN (${marks(emails)})`).bind(site, ...list(emails)),
      db.prepare(`DELETE FROM links WHERE site_id = ? AND lower(email) IN (${marks(emails)})`).bind(site, ...list(emails)),
      db.prepare(`DELETE FROM dev_outbox WHERE site_id = ? AND lower("to") IN (${marks(emails)})`).bind(site, ...list(emails)),
    ]);
    await Promise.all([
      ...emails.map((email) => shopperStub(c.env, site, email).erase()),
      ...userIds.map((userId) => accountStub(c.env, site, userId).erase()),
    ]);
    const [events, carts, shoppers, , messages, sequences] = results.map((r) => r.meta.changes);
    return c.json({
      erased: { browsers: aids.length, emails: emails.length, accounts: userIds.length, shoppers, carts, events, sequences, messages },
      suppressionKept: true,
    });
  });
