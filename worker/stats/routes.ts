import { Hono } from "hono";
import * as v from "valibot";
import { DAY_MS } from "../../protocol/limits";
import { type MerchantBearer, merchantBearer, merchantOnly, readAsMerchant } from "../http/auth";
import { parse, valid } from "../http/validate";
import { computeStats, interruptedOrders, type Range, statsRead, toCsv } from "./figures";
import { mailCsv } from "./mail";

const DAY = DAY_MS;
const MAX_DAYS = 366;

const isoDay = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date like 2026-11-01"),
  v.check(
    (s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    "is not a calendar date",
  ),
);

export const RangeQuery = v.pipe(
  v.object({ from: v.optional(isoDay), to: v.optional(isoDay) }),
  v.transform(({ from, to }): Range => {
    const end = to ?? new Date().toISOString().slice(0, 10);
    return { from: from ?? new Date(Date.parse(`${end}T00:00:00Z`) - 29 * DAY).toISOString().slice(0, 10), to: end };
  }),
  v.check((r) => r.from <= r.to, "from must not be after to"),
  v.check((r) => (Date.parse(r.to) - Date.parse(r.from)) / DAY < MAX_DAYS, `a range covers at most ${MAX_DAYS} days`),
);

const BAD_RANGE = "from and to must be dates (YYYY-MM-DD), from ≤ to";

const OrdersQuery = v.object({
  q: v.optional(v.pipe(v.string(), v.maxLength(254))),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,3}$/, "must be 1-500"), v.transform(Number), v.minValue(1), v.maxValue(500)), "50"),
  offset: v.optional(v.pipe(v.string(), v.regex(/^\d{1,7}$/, "must be a whole number"), v.transform(Number)), "0"),
  format: v.optional(v.picklist(["json", "csv"])),
});

/**
 * The stats API, for dashboards and BI tools: `GET /v1/stats?site=KEY&from=YYYY-MM-DD&to=YYYY-MM-DD`
 * (default: the last 30 days) and `GET /v1/stats/orders?site=KEY&q=&limit=&offset=&format=csv`,
 * with the site's secret as a bearer token.
 *
 * @example
 * const stats = await fetch(`${collector}/v1/stats?site=${key}&from=2026-11-01&to=2026-11-30`, { headers: { authorization: `Bearer ${secret}` } }).then((r) => r.json());
 */
export const stats = new Hono<MerchantBearer>()
  // The secret is read with the rollups, in one round trip (http/auth.ts readAsMerchant).
  .use("/v1/stats", merchantBearer)
  .use("/v1/stats/*", merchantOnly)
  .get("/v1/stats", valid("query", RangeQuery, "invalid_range", BAD_RANGE, 400), async (c) => {
    const read = statsRead(c.env.DB, c.var.site.id, c.req.valid("query"));
    const [rows] = await readAsMerchant(c, [read.statement]);
    return c.json(read.stats(rows));
  })
  /** The mail figures per day (sent, delivered, bounced hard/soft, complained, rates): JSON, or `?format=csv`. */
  .get("/v1/stats/mail", async (c) => {
    const range = parse(RangeQuery, { from: c.req.query("from"), to: c.req.query("to") }, 400, "invalid_range", BAD_RANGE);
    const { mail } = await computeStats(c.env.DB, c.var.site.id, range);
    if (c.req.query("format") === "csv") {
      c.header("Content-Disposition", `attachment; filename="mail-${range.from}-${range.to}.csv"`);
      return c.body(mailCsv(mail), 200, { "Content-Type": "text/csv; charset=utf-8" });
    }
    return c.json({ range, mail });
  })
  .get("/v1/stats/orders", async (c) => {
    const query = c.req.query();
    const range = parse(RangeQuery, { from: query.from, to: query.to }, 400, "invalid_range", BAD_RANGE);
    const options = { q: query.q, limit: query.limit, offset: query.offset, format: query.format };
    const { q, limit, offset, format } = parse(OrdersQuery, options, 400, "invalid_query", "bad list parameters");
    const orders = await interruptedOrders(c.env.DB, c.var.site.id, range, { search: q, limit, offset });
    if (format === "csv") {
      c.header("Content-Disposition", `attachment; filename="interrupted-orders-${range.from}-${range.to}.csv"`);
      return c.body(toCsv(orders), 200, { "Content-Type": "text/csv; charset=utf-8" });
    }
    return c.json({ range, orders });
  });
