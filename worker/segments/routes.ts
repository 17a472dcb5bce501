import { Hono } from "hono";
import * as v from "valibot";
import { PHONE_PATTERN } from "../../protocol/limits";
import { EmailAddress } from "../../protocol/schema";
import { type AdConsent, saveAdConsents } from "../db/segments";
import { type Merchant, merchantOnly } from "../http/auth";
import { jsonBody, valid } from "../http/validate";
import { FORMATS } from "./audiences";
import { asCsv, segmentIn } from "./http";
import { audienceCsv, peopleOf, segmentCsv, summaryOf } from "./segments";

const FormatQuery = v.object({ format: v.picklist(FORMATS, 'format must be "meta" or "google"') });

const ConsentSchema = v.pipe(
  v.object({
    email: v.optional(EmailAddress),
    phone: v.optional(v.pipe(v.string(), v.regex(PHONE_PATTERN, "must be a phone number in E.164 form, like +34600111222"))),
    /** The shopper's yes (true) or no (false) to ads shown from the shop's customer lists. */
    ads: v.boolean(),
    /** When they said it (ms since the epoch); default now. A later record wins. */
    at: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  }),
  v.check((c) => Boolean(c.email || c.phone), "a consent needs the shopper's email or phone"),
);
const ConsentsBody = v.object({ consents: v.pipe(v.array(ConsentSchema), v.minLength(1), v.maxLength(1000)) });

/**
 * Segments and ad audiences (docs/segments.md), on the merchant API with the site's secret.
 *
 * @example
 * await fetch(`${collector}/v1/sites/${key}/segments`, { headers: { authorization: `Bearer ${secret}` } });
 */
export const segments = new Hono<Merchant>()
  .use("/v1/sites/:key/segments", merchantOnly)
  .use("/v1/sites/:key/segments/*", merchantOnly)
  .use("/v1/sites/:key/audiences/*", merchantOnly)
  .use("/v1/sites/:key/ad-consents", merchantOnly)
  .get("/v1/sites/:key/segments", async (c) => {
    const { site } = c.var;
    const people = await peopleOf(c.env.DB, site, Date.now());
    return c.json({ windowDays: site.settings.segments.windowDays, segments: summaryOf(site, people) });
  })
  .get("/v1/sites/:key/segments/:file", async (c) => {
    const name = segmentIn(c);
    const people = await peopleOf(c.env.DB, c.var.site, Date.now());
    return asCsv(c, await segmentCsv(c.env.DB, c.var.site, people, name), `${name}.csv`);
  })
  .get(
    "/v1/sites/:key/audiences/:file",
    valid("query", FormatQuery, "invalid_format", 'format must be "meta" or "google"', 400),
    async (c) => {
      const name = segmentIn(c);
      const { format } = c.req.valid("query");
      const people = await peopleOf(c.env.DB, c.var.site, Date.now());
      return asCsv(c, await audienceCsv(c.env.DB, c.var.site, people, name, format), `${name}-${format}.csv`);
    },
  )
  /** Records shoppers' yes or no to ad audiences, as the shop collected it; all or nothing. */
  .post(
    "/v1/sites/:key/ad-consents",
    jsonBody(ConsentsBody, "invalid_consents", "the consents do not validate; none were recorded"),
    async (c) => {
      const now = Date.now();
      const consents: AdConsent[] = c.req.valid("json").consents.map((x) => ({
        person: x.email ?? `tel:${x.phone}`,
        phone: x.phone ?? null,
        ads: x.ads,
        at: x.at ?? now,
      }));
      await saveAdConsents(c.env.DB, c.var.site.id, consents);
      return c.json({ recorded: consents.length }, 201);
    },
  );
