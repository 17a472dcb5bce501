import { Hono } from "hono";
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES } from "../../protocol/limits";
import { BatchSchema } from "../../protocol/schema";
import { parsePreferences, validTimeZone } from "../copy/builtin";
import type { IngestMessage } from "../db/browsers";
import { ApiError, requireConsent } from "../http/errors";
import { type SiteEnv, sitePreflight, siteRequest } from "../http/site";
import { jsonBody } from "../http/validate";
import { memoize } from "../sites/cache";
import { screenPhones } from "../sms/numbers";
import { rateLimited } from "./rate-limit";
import { isUrgent, storeNow } from "./store";

/**
 * `POST /v1/events?site=SITE_KEY`: a batch of events from the browser script.
 * Answers 202 once the batch is durably queued (a purchase or an identify: once it is stored);
 * the queue consumer stores the rest.
 *
 * @example
 * await fetch("https://collector/v1/events?site=pk_demo_local", {
 *   method: "POST",
 *   body: JSON.stringify({ aid, sentAt: Date.now(), events: [{ id, at, type: "checkout" }] }),
 * });
 */
export const ingest = new Hono<SiteEnv>().use(sitePreflight(["POST", "OPTIONS"])).post(
  "/",
  siteRequest({ maxBytes: MAX_BODY_BYTES, limit: rateLimited, pixel: true }),
  async (c, next) => {
    // Counted before the schema looks at each event: a huge batch is refused at once.
    const events = (c.var.json as { events?: unknown } | null)?.events;
    if (Array.isArray(events) && events.length > MAX_BATCH_EVENTS) {
      throw new ApiError(413, "too_many_events", `a batch holds at most ${MAX_BATCH_EVENTS} events, this one has ${events.length}`);
    }
    await next();
  },
  jsonBody(BatchSchema, "invalid_batch", "the batch does not match the protocol"),
  async (c) => {
    // A number not in use in its country is kept out and named in the answer; the rest is kept.
    const { events, refused } = screenPhones(c.req.valid("json").events);
    const batch = { ...c.req.valid("json"), events };
    const answer = { accepted: events.length, ...(refused.length && { refused }) };
    const { site } = c.var;
    if (site.settings.requireConsent && batch.consent !== true) requireConsent();
    if (!events.length) return c.json(answer, 202);
    const receivedAt = Date.now();
    const message: IngestMessage = {
      site: site.id,
      aid: batch.aid,
      origin: c.req.header("origin") ?? undefined,
      receivedAt,
      skew: receivedAt - batch.sentAt,
      ttlDays: site.settings.cartTtlDays,
      events: batch.events,
      // The language the page is in (or the shopper chose) over the browser's Accept-Language; the
      // browser's zone over the one Cloudflare places the IP in (README, Languages).
      ...whereabouts(c.req.raw, batch),
    };
    if (isUrgent(message)) {
      try {
        await storeNow(c.env, message);
        return c.json(answer, 202);
      } catch (e) {
        console.error("storing an urgent batch failed", e);
        // A purchase is accepted only once the person knows of it; the script sends it again.
        if (message.events.some((e) => e.type === "purchase")) {
          c.header("Retry-After", "2");
          throw new ApiError(503, "unavailable", "the collector could not record this order just now; retry shortly");
        }
      }
    }
    try {
      await c.env.INGEST.send(message, { contentType: "json" });
    } catch (e) {
      console.error("ingest queue send failed", e);
      c.header("Retry-After", "5");
      throw new ApiError(503, "unavailable", "the collector could not accept events just now; retry later");
    }
    return c.json(answer, 202);
  },
);

// The same few languages and time zones come with batch after batch; Intl's checks of them cost
// more than validating the whole batch (docs/ingest.md), so each distinct value is checked once.
const preferences = memoize(parsePreferences, 512);
const zone = memoize(validTimeZone, 512);

/**
 * Where a batch's shopper is: their languages, best first (the page's or their own choice, which
 * the script sends as `locale`, then the browser's Accept-Language; canonical tags), and their time
 * zone (the browser's, else Cloudflare's from the IP), each only when it reads as one.
 *
 * @example
 * whereabouts(request, { locale: "es", timeZone: "Europe/Madrid" }); // { locale: "es,en-US,en", timeZone: "Europe/Madrid" }
 */
export function whereabouts(request: Request, batch: { locale?: string; timeZone?: string } = {}): { locale?: string; timeZone?: string } {
  // A page's lang="es_ES" reads as es-ES; what is not a tag at all is left out (parsePreferences).
  const page = preferences(batch.locale?.replaceAll("_", "-"));
  const ranked = [...new Set([...page, ...preferences(request.headers.get("accept-language") ?? undefined)])].slice(0, 6);
  const cf = (request as { cf?: { timezone?: unknown } }).cf;
  // A local collector's `cf` is a placeholder (wrangler dev gives every request America/Chicago):
  // on loopback no zone is read from it, and the site's applies.
  const local = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(new URL(request.url).hostname);
  const timeZone = zone(batch.timeZone) ?? (local ? undefined : zone(typeof cf?.timezone === "string" ? cf.timezone : undefined));
  return { ...(ranked.length && { locale: ranked.join(",") }), ...(timeZone && { timeZone }) };
}
