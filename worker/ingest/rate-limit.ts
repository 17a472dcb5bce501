import type { Context } from "hono";
import { ApiError } from "../http/errors";

// Cloudflare sets CF-Connecting-IP to the client's address; it is never a loopback address there.
// Locally every client is 127.0.0.1 (wrangler dev says so for all of them), so a developer can
// load-test their own collector: loopback is exempt from the per-address limit, never from the
// per-site one.
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * Refuses with 429 (and Retry-After, which the script honours) an ingest request over the limit
 * of its client address or of its site key. Site keys are
 * public, so a copied key can send at most the site's own limit, and one address at most its own.
 *
 * @example
 * await rateLimited(c, "pk_demo_local"); // throws ApiError(429) past the limit
 */
export async function rateLimited(c: Context<{ Bindings: Env }>, siteKey: string): Promise<void> {
  const ip = c.req.header("cf-connecting-ip");
  if (ip && !LOOPBACK.test(ip) && !(await c.env.INGEST_PER_IP.limit({ key: ip })).success) {
    tooMany(c, 60, "this address has sent too many requests; retry later");
  }
  if (!(await c.env.INGEST_PER_SITE.limit({ key: siteKey })).success) {
    tooMany(c, 10, "this site key has sent too many requests; retry later");
  }
}

function tooMany(c: Context, retryAfter: number, message: string): never {
  c.header("Retry-After", String(retryAfter));
  throw new ApiError(429, "rate_limited", message);
}
