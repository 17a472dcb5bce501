import { Hono } from "hono";
import * as v from "valibot";
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES } from "../../protocol/limits";
import { BatchSchema, SiteKey } from "../../protocol/schema";
import { findSite } from "../db/sites";
import { consentRequired, describeIssues, jsonError } from "../http/errors";
import { readSiteRequest } from "../http/site-request";
import { originAllowed } from "../sites/sites";
import type { IngestMessage } from "./message";
import { rateLimited } from "./rate-limit";
import { isUrgent, storeNow } from "./store";

type Ingest = { Bindings: Env };

/**
 * `POST /v1/events?site=SITE_KEY`: a batch of events from the browser script.
 * Answers 202 once the batch is durably queued; the queue consumer stores it.
 *
 * @example
 * await fetch("https://collector/v1/events?site=pk_demo_local", {
 *   method: "POST",
 *   body: JSON.stringify({ aid, sentAt: Date.now(), events: [{ id, at, type: "checkout" }] }),
 * });
 */
export const ingest = new Hono<Ingest>()
  .options("/", async (c) => {
    const origin = c.req.header("origin");
    c.header("Vary", "Origin");
    const key = v.safeParse(SiteKey, c.req.query("site"));
    const site = key.success ? await findSite(c.env.DB, key.output) : null;
    if (!site || !originAllowed(site.origins, origin)) {
      return jsonError(c, 403, "origin_not_allowed", "this origin may not send events for this site key");
    }
    c.header("Access-Control-Allow-Origin", origin);
    c.header("Access-Control-Allow-Methods", "POST, OPTIONS");
    c.header("Access-Control-Allow-Headers", "Content-Type");
    c.header("Access-Control-Max-Age", "86400");
    return c.body(null, 204);
  })
  .post("/", async (c) => {
    const read = await readSiteRequest(c, MAX_BODY_BYTES, rateLimited);
    if (read instanceof Response) return read;
    const { site, json } = read;
    const events = (json as { events?: unknown } | null)?.events;
    if (Array.isArray(events) && events.length > MAX_BATCH_EVENTS) {
      return jsonError(c, 413, "too_many_events", `a batch holds at most ${MAX_BATCH_EVENTS} events, this one has ${events.length}`);
    }
    const batch = v.safeParse(BatchSchema, json);
    if (!batch.success) return jsonError(c, 422, "invalid_batch", "the batch does not match the protocol", describeIssues(batch.issues));
    if (site.settings.requireConsent && batch.output.consent !== true) return consentRequired(c);

    const receivedAt = Date.now();
    const message: IngestMessage = {
      site: site.id,
      aid: batch.output.aid,
      receivedAt,
      skew: receivedAt - batch.output.sentAt,
      ttlDays: site.settings.cartTtlDays,
      events: batch.output.events,
    };
    if (isUrgent(message)) {
      try {
        await storeNow(c.env, message);
        return c.json({ accepted: batch.output.events.length }, 202);
      } catch (e) {
        console.error("storing an urgent batch failed", e);
        // A purchase is accepted only once the person knows of it; the script sends it again.
        if (message.events.some((e) => e.type === "purchase")) {
          c.header("Retry-After", "2");
          return jsonError(c, 503, "unavailable", "the collector could not record this order just now; retry shortly");
        }
      }
    }
    try {
      await c.env.INGEST.send(message, { contentType: "json" });
    } catch (e) {
      console.error("ingest queue send failed", e);
      c.header("Retry-After", "5");
      return jsonError(c, 503, "unavailable", "the collector could not accept events just now; retry later");
    }
    return c.json({ accepted: batch.output.events.length }, 202);
  });
