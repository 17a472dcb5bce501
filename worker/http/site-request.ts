import type { Context } from "hono";
import * as v from "valibot";
import { SiteKey } from "../../protocol/schema";
import { findSite, type Site } from "../db/sites";
import { originAllowed } from "../sites/sites";
import { readText } from "./body";
import { jsonError } from "./errors";

// Errors carry the caller's origin too: the browser then lets the script read the status and
// drop what will never be accepted, instead of retrying a CORS failure forever.
export function corsHeaders(c: Context, origin: string | undefined): void {
  c.header("Vary", "Origin");
  if (!origin) return;
  c.header("Access-Control-Allow-Origin", origin);
  c.header("Access-Control-Expose-Headers", "Retry-After");
}

/**
 * What every browser POST to the collector checks first, in this order, each failure with its own
 * 4xx: the site key (`?site=`), the Origin against the site's origins, the content type, the body's
 * size and encoding, and that it is JSON. Returns the site and the parsed body, or the response.
 * `limit`, when given, runs once the site and origin are known and before the body is read, so a
 * flood is turned away at the cost of a header check.
 *
 * @example
 * const read = await readSiteRequest(c, 64 * 1024, rateLimited);
 * if (read instanceof Response) return read;
 */
export async function readSiteRequest(
  c: Context<{ Bindings: Env }>,
  maxBytes: number,
  limit?: (c: Context<{ Bindings: Env }>, siteKey: string) => Promise<Response | undefined>,
): Promise<{ site: Site; json: unknown } | Response> {
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
  const limited = await limit?.(c, site.key);
  if (limited) return limited;
  const type = c.req.header("content-type") ?? "text/plain";
  if (!/^(text\/plain|application\/json)\b/i.test(type))
    return jsonError(c, 415, "unsupported_content_type", "send JSON as application/json or text/plain");
  const text = await readText(c.req.raw, maxBytes);
  if (text === "too_large") return jsonError(c, 413, "payload_too_large", `the body must be at most ${maxBytes} bytes`);
  if (text === "not_utf8") return jsonError(c, 400, "invalid_encoding", "the body must be UTF-8");
  try {
    return { site, json: JSON.parse(text) };
  } catch (e) {
    return jsonError(c, 400, "invalid_json", `the body is not JSON: ${(e as Error).message}`);
  }
}
