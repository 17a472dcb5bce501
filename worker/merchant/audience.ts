// The merchant API's lists of people (issue 22, points 6 and 7): suppressions (`/suppressions`)
// and excluded shoppers (`/excluded-shoppers`). Mounted inside the merchant API (routes.ts), which
// checks the site's secret first.
import { Hono } from "hono";
import * as v from "valibot";
import {
  excludedShopperPage,
  excludeShoppers,
  liftMerchantSuppressions,
  readmitShoppers,
  suppressForMerchant,
  suppressionPage,
} from "../db/audience";
import type { Merchant } from "../http/auth";
import { ApiError } from "../http/errors";
import { valid } from "../http/validate";
import { PHONE_KEY } from "../recovery/person";
import { csvPeople, type PeopleList, peopleList } from "./people";

const MAX_BODY = 5_000_000;

const PageQuery = v.object({
  limit: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,4}$/, "must be 1-1000"), v.transform(Number), v.minValue(1), v.maxValue(1000)),
    "100",
  ),
  /** The last value of the previous page. */
  after: v.optional(v.pipe(v.string(), v.maxLength(300)), ""),
});

/**
 * The people of a request: JSON `{ "emails": [...], "phones": [...] }`, or a CSV (`text/csv`, or
 * any text body that is not JSON) as the shop's previous email tool exports it. All checked before
 * anything is stored.
 */
async function peopleOf(req: Request): Promise<{ emails: string[]; phones: string[] }> {
  const body = await req.text();
  if (body.length > MAX_BODY) throw new ApiError(413, "too_large", "a list is at most 5 MB; send a bigger one in parts");
  const type = req.headers.get("content-type") ?? "";
  let list: PeopleList;
  if (type.includes("json")) {
    const parsed = await Promise.resolve(body)
      .then(JSON.parse)
      .catch(() => undefined);
    if (parsed === undefined) throw new ApiError(400, "invalid_json", "the body is not JSON");
    list = peopleList(parsed);
  } else list = csvPeople(body);
  if (!list.ok)
    throw new ApiError(422, "invalid_list", "some entries are not an email address or a phone number; none were stored", list.issues);
  return list;
}

/** The next page's cursor, when the page was full. */
const nextAfter = (values: string[], limit: number) => (values.length === limit ? (values.at(-1) ?? null) : null);

/**
 * `/v1/sites/:key/suppressions` and `/v1/sites/:key/excluded-shoppers`.
 *
 * @example
 * await fetch(`${collector}/v1/sites/${key}/suppressions`, {
 *   method: "POST",
 *   headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
 *   body: JSON.stringify({ emails: ["ana@example.com"], phones: ["+34600111222"] }),
 * });
 */
export const audience = new Hono<Merchant>()
  /** The site's suppressions, emails and numbers, with who put each there and when; `?after=` pages on. */
  .get("/v1/sites/:key/suppressions", valid("query", PageQuery, "invalid_query", "limit is 1-1000, after a value", 400), async (c) => {
    const { limit, after } = c.req.valid("query");
    const rows = await suppressionPage(c.env.DB, c.var.site.id, after, limit);
    return c.json({
      suppressions: rows.map((r) => ({
        channel: r.channel,
        value: r.value,
        source: r.source,
        createdAt: new Date(r.created_at).toISOString(),
      })),
      next: nextAfter(
        rows.map((r) => r.value),
        limit,
      ),
    });
  })
  /** Suppresses addresses and numbers (JSON or CSV): they get nothing on that channel from now on. */
  .post("/v1/sites/:key/suppressions", async (c) => {
    const { emails, phones } = await peopleOf(c.req.raw);
    const added = await suppressForMerchant(c.env.DB, c.var.site.id, emails, phones, Date.now());
    return c.json({ received: { emails: emails.length, phones: phones.length }, added }, 201);
  })
  /**
   * Lifts the merchant's own suppressions of these people. An opt-out, a STOP or a bounce is the
   * shopper's or the provider's word, not the merchant's: it stays, and the answer names it.
   */
  .delete("/v1/sites/:key/suppressions", async (c) => {
    const { emails, phones } = await peopleOf(c.req.raw);
    const { removed, kept } = await liftMerchantSuppressions(c.env.DB, c.var.site.id, emails, phones);
    return c.json({
      removed,
      kept,
      ...(kept.length > 0 && {
        note: "a suppression the shopper made (unsubscribe, STOP) or the provider reported (bounce, complaint) is never lifted through this API",
      }),
    });
  })
  /** The merchant's list of shoppers who get no recovery (an email, or `tel:` and a number). */
  .get("/v1/sites/:key/excluded-shoppers", valid("query", PageQuery, "invalid_query", "limit is 1-1000, after a value", 400), async (c) => {
    const { limit, after } = c.req.valid("query");
    const rows = await excludedShopperPage(c.env.DB, c.var.site.id, after, limit);
    return c.json({
      shoppers: rows.map((r) => ({ key: r.key, createdAt: new Date(r.created_at).toISOString() })),
      next: nextAfter(
        rows.map((r) => r.key),
        limit,
      ),
    });
  })
  /** Adds shoppers to the list (JSON or CSV): a cart of theirs counts as excluded from now on. */
  .post("/v1/sites/:key/excluded-shoppers", async (c) => {
    const { emails, phones } = await peopleOf(c.req.raw);
    const added = await excludeShoppers(c.env.DB, c.var.site.id, keysOf(emails, phones), Date.now());
    return c.json({ received: emails.length + phones.length, added }, 201);
  })
  .delete("/v1/sites/:key/excluded-shoppers", async (c) => {
    const { emails, phones } = await peopleOf(c.req.raw);
    return c.json({ removed: await readmitShoppers(c.env.DB, c.var.site.id, keysOf(emails, phones)) });
  });

/** The person keys of a list: the email, or `tel:` and the number (person.ts). */
const keysOf = (emails: string[], phones: string[]) => [...emails, ...phones.map((p) => `${PHONE_KEY}${p}`)];
