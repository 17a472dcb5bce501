import { Hono } from "hono";
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES } from "../../protocol/limits";
import { BatchSchema } from "../../protocol/schema";
import { parsePreferences, validTimeZone } from "../copy/builtin";
import type { IngestMessage } from "../db/browsers";
import { ApiError, requireConsent } from "../http/errors";
import { type SiteEnv, sitePreflight, siteRequest } from "../http/site";
import { jsonBody } from "../http/validate";
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
    const batch = c.req.valid("json");
    const { site } = c.var;
    if (site.settings.requireConsent && batch.consent !== true) requireConsent();
    const receivedAt = Date.now();
    const message: IngestMessage = {
      site: site.id,
      aid: batch.aid,
      origin: c.req.header("origin") ?? undefined,
      receivedAt,
      skew: receivedAt - batch.sentAt,
      ttlDays: site.settings.cartTtlDays,
      events: batch.events,
      // The shopper's language and zone cost the script nothing: the browser's own Accept-Language
      // comes with every request, and Cloudflare places the IP in a zone (README, Languages).
      ...whereabouts(c.req.raw),
    };
    if (isUrgent(message)) {
      try {
        await storeNow(c.env, message);
        return c.json({ accepted: batch.events.length }, 202);
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
    return c.json({ accepted: batch.events.length }, 202);
  },
);

/**
 * What a request says of where its shopper is: the browser's language preferences (canonical tags,
 * best first) and Cloudflare's IP-based time zone, each only when it reads as one.
 *
 * @example
 * whereabouts(request); // { locale: "es-ES,es,en", timeZone: "Europe/Madrid" }
 */
export function whereabouts(request: Request): { locale?: string; timeZone?: string } {
  const preferences = parsePreferences(request.headers.get("accept-language") ?? undefined);
  const cf = (request as { cf?: { timezone?: unknown } }).cf;
  // A local collector's `cf` is a placeholder (wrangler dev gives every request America/Chicago):
  // on loopback no zone is read, and the site's applies.
  const local = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(new URL(request.url).hostname);
  const timeZone = local ? undefined : validTimeZone(typeof cf?.timezone === "string" ? cf.timezone : undefined);
  return { ...(preferences.length && { locale: preferences.join(",") }), ...(timeZone && { timeZone }) };
}
