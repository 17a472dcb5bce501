import { type Context, Hono } from "hono";
import * as v from "valibot";
import { type Html, html } from "../html";
import { type DashboardEnv, dashboardSession } from "../http/auth";
import { valid } from "../http/validate";
import { FORMATS } from "./audiences";
import { asCsv, segmentIn } from "./http";
import type { SegmentName } from "./rules";
import { audienceCsv, peopleOf, segmentCsv } from "./segments";

/** A segment's count and meaning, as `summaryOf` gives them. */
export interface SegmentSummary {
  name: SegmentName;
  count: number;
  definition: string;
}

/**
 * The dashboard's segments card: each segment's count and meaning, with its downloads.
 *
 * @example
 * segmentsSection(summaryOf(site, await peopleOf(env.DB, site, Date.now())));
 */
export function segmentsSection(segments: SegmentSummary[], windowDays: number): Html {
  return html`<section id="segments"><h2>Segments</h2>
<p class="muted">People by what they did in the last ${windowDays} days. Ad audiences hold only people whose consent to ads you recorded, hashed.</p>
<table class="stack"><tr><th>segment</th><th class="n">people</th><th>who</th><th>download</th></tr>
${segments.map(
  (
    s,
  ) => html`<tr><td data-label="segment">${s.name.replaceAll("-", " ")}</td><td class="n" data-label="people" data-segment="${s.name}">${s.count}</td>
<td data-label="who">${s.definition}</td><td data-label="download"><a href="/dashboard/segments/${s.name}.csv">CSV</a> ·
<a href="/dashboard/audiences/${s.name}.csv?format=meta">Meta</a> · <a href="/dashboard/audiences/${s.name}.csv?format=google">Google</a></td></tr>`,
)}</table></section>`;
}

const toDashboard = (c: Context) => c.redirect("/dashboard", 303);
const FormatQuery = v.object({ format: v.picklist(FORMATS, 'format must be "meta" or "google"') });

/**
 * The card's downloads, for a signed-in merchant (the merchant API has the same with the secret).
 *
 * @example
 * app.route("/", segmentDownloads);
 */
export const segmentDownloads = new Hono<DashboardEnv>()
  .get("/dashboard/segments/:file", dashboardSession({ signedOut: toDashboard }), async (c) => {
    const name = segmentIn(c);
    const { site } = c.var.session;
    return asCsv(c, await segmentCsv(c.env.DB, site, await peopleOf(c.env.DB, site, Date.now()), name), `${name}.csv`);
  })
  .get(
    "/dashboard/audiences/:file",
    dashboardSession({ signedOut: toDashboard }),
    valid("query", FormatQuery, "invalid_format", 'format must be "meta" or "google"', 400),
    async (c) => {
      const name = segmentIn(c);
      const { format } = c.req.valid("query");
      const { site } = c.var.session;
      const people = await peopleOf(c.env.DB, site, Date.now());
      return asCsv(c, await audienceCsv(c.env.DB, site, people, name, format), `${name}-${format}.csv`);
    },
  );
