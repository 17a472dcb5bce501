import { type Context, Hono } from "hono";
import * as v from "valibot";
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES } from "../../protocol/limits";
import { BatchSchema, SiteKey } from "../../protocol/schema";
import { readText } from "../http/body";
import { jsonError } from "../http/errors";
import { findSite, originAllowed } from "../sites/sites";
import type { IngestMessage } from "./message";

type Ingest = { Bindings: Env };

/** Turns valibot issues into `{ path, message }` pairs a developer can read. */
export const describeIssues = (issues: v.BaseIssue<unknown>[]) =>
  issues.slice(0, 20).map((issue) => ({ path: v.getDotPath(issue) ?? "", message: issue.message }));

// Errors carry the caller's origin too: the browser then lets the script read the status and
// drop what will never be accepted, instead of retrying a CORS failure forever.
export function corsHeaders(c: Context, origin: string | undefined): void {
  c.header("Vary", "Origin");
  if (!origin) return;
  c.header("Access-Control-Allow-Origin", origin);
  c.header("Access-Control-Expose-Headers", "Retry-After");
}

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
    const origin = c.req.header("origin");
    corsHeaders(c, origin);

    const key = v.safeParse(SiteKey, c.req.query("site"));
    if (!key.success) return jsonError(c, 400, "invalid_site_key", "the site query parameter must be a site key (pk_…)");
    const site = await findSite(c.env.DB, key.output);
    if (!site) return jsonError(c, 401, "unknown_site_key", `no site has the key ${key.output}`);
    if (!originAllowed(site.origins, origin)) {
      return jsonError(
        c,
        403,
        "origin_not_allowed",
        `${origin ?? "a request without an Origin header"} is not an allowed origin of this site`,
      );
    }

    const type = c.req.header("content-type") ?? "text/plain";
    if (!/^(text\/plain|application\/json)\b/i.test(type)) {
      return jsonError(c, 415, "unsupported_content_type", "send the batch as application/json or text/plain");
    }
    const text = await readText(c.req.raw, MAX_BODY_BYTES);
    if (text === "too_large") return jsonError(c, 413, "payload_too_large", `the body must be at most ${MAX_BODY_BYTES} bytes`);
    if (text === "not_utf8") return jsonError(c, 400, "invalid_encoding", "the body must be UTF-8");

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      return jsonError(c, 400, "invalid_json", `the body is not JSON: ${(e as Error).message}`);
    }
    const events = (json as { events?: unknown } | null)?.events;
    if (Array.isArray(events) && events.length > MAX_BATCH_EVENTS) {
      return jsonError(c, 413, "too_many_events", `a batch holds at most ${MAX_BATCH_EVENTS} events, this one has ${events.length}`);
    }
    const batch = v.safeParse(BatchSchema, json);
    if (!batch.success) return jsonError(c, 422, "invalid_batch", "the batch does not match the protocol", describeIssues(batch.issues));

    const receivedAt = Date.now();
    const message: IngestMessage = {
      site: site.id,
      aid: batch.output.aid,
      receivedAt,
      skew: receivedAt - batch.output.sentAt,
      ttlDays: site.settings.cartTtlDays,
      events: batch.output.events,
    };
    try {
      await c.env.INGEST.send(message, { contentType: "json" });
    } catch (e) {
      console.error("ingest queue send failed", e);
      c.header("Retry-After", "5");
      return jsonError(c, 503, "unavailable", "the collector could not accept events just now; retry later");
    }
    return c.json({ accepted: batch.output.events.length }, 202);
  });
