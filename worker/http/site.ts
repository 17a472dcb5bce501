import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import * as v from "valibot";
import { SiteKey } from "../../protocol/schema";

import { findSite, originAllowed, type Site } from "../sites/sites";
import { readText } from "./body";
import { ApiError } from "./errors";

/** What a browser route knows once `siteRequest` let the request through. */
export type SiteEnv = { Bindings: Env; Variables: { site: Site; json: unknown } };

/**
 * A preflight for a site's browser route: answered (Hono's `cors()`) for the site's own origins,
 * refused with a 403 for any other origin or an unknown site key, so a foreign page learns nothing.
 */
export function sitePreflight(methods: string[]): MiddlewareHandler<{ Bindings: Env }> {
  const answer = cors({
    origin: (origin, c) => c.get("site" as never) && origin,
    allowMethods: methods,
    allowHeaders: ["Content-Type"],
    maxAge: 86400,
  });
  return async (c, next) => {
    if (c.req.method !== "OPTIONS") return next();
    c.header("Vary", "Origin");
    const key = v.safeParse(SiteKey, c.req.query("site"));
    const site = key.success ? await findSite(c.env.DB, key.output) : null;
    if (!site || !originAllowed(site.origins, c.req.header("origin"))) {
      throw new ApiError(403, "origin_not_allowed", "this origin may not send requests for this site key");
    }
    c.set("site" as never, site as never);
    return answer(c, next);
  };
}

/**
 * What every browser POST to the collector checks first, in this order, each failure with its own
 * 4xx: the site key (`?site=`), the Origin against the site's origins, then (`limit`) the rate
 * limits, the content type, the body's size and encoding, and that it is JSON. Sets `c.var.site`
 * and `c.var.json`. Errors carry the caller's origin too: the browser then lets the script read
 * the status and drop what will never be accepted, instead of retrying a CORS failure forever.
 *
 * @example
 * export const ingest = new Hono<SiteEnv>().post("/", siteRequest({ maxBytes: 64 * 1024, limit: rateLimited }), (c) => …);
 */
export function siteRequest({
  maxBytes,
  limit,
  pixel = false,
}: {
  maxBytes: number;
  /** Also take `Origin: null` from a site with `shopifyPixel` on: Shopify runs a Custom Pixel in
   * an iframe sandboxed without allow-same-origin, so its requests carry that opaque origin. */
  pixel?: boolean;
  /** Runs once the site and origin are known and before the body is read: a flood is turned away at the cost of a header check. */
  // biome-ignore lint/suspicious/noExplicitAny: any route env with the bindings
  limit?: (c: Context<any>, siteKey: string) => Promise<void>;
}): MiddlewareHandler<SiteEnv> {
  return async (c, next) => {
    const origin = c.req.header("origin");
    c.header("Vary", "Origin");
    if (origin) {
      c.header("Access-Control-Allow-Origin", origin);
      c.header("Access-Control-Expose-Headers", "Retry-After");
    }
    const key = v.safeParse(SiteKey, c.req.query("site"));
    if (!key.success) throw new ApiError(400, "invalid_site_key", "the site query parameter must be a site key (pk_…)");
    const site = await findSite(c.env.DB, key.output);
    if (!site) throw new ApiError(401, "unknown_site_key", `no site has the key ${key.output}`);
    if (!originAllowed(site.origins, origin) && !(pixel && origin === "null" && site.settings.shopifyPixel)) {
      throw new ApiError(
        403,
        "origin_not_allowed",
        `${origin ?? "a request without an Origin header"} is not an allowed origin of this site`,
      );
    }
    await limit?.(c, site.key);
    const type = c.req.header("content-type") ?? "text/plain";
    if (!/^(text\/plain|application\/json)\b/i.test(type))
      throw new ApiError(415, "unsupported_content_type", "send JSON as application/json or text/plain");
    const text = await readText(c.req.raw, maxBytes);
    if (text === "too_large") throw new ApiError(413, "payload_too_large", `the body must be at most ${maxBytes} bytes`);
    if (text === "not_utf8") throw new ApiError(400, "invalid_encoding", "the body must be UTF-8");
    try {
      c.set("json", JSON.parse(text));
    } catch (e) {
      throw new ApiError(400, "invalid_json", `the body is not JSON: ${(e as Error).message}`);
    }
    c.set("site", site);
    await next();
  };
}
