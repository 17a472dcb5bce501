import type { MiddlewareHandler } from "hono";
import * as v from "valibot";
import { base64, hmac, sameText } from "../../protocol/crypto";
import { SiteKey } from "../../protocol/schema";
import type { Platform } from "../../protocol/types";
import { platformSecretOf } from "../db/platforms";
import { decode, readBytes } from "../http/body";
import { ApiError } from "../http/errors";
import { findSite, type Site } from "../sites/sites";

/** What a platform webhook route knows once its signature checked out. */
export type HookEnv = { Bindings: Env; Variables: { site: Site; body: string } };

/** An order with hundreds of lines and their properties fits; anything bigger is no order webhook. */
export const MAX_HOOK_BYTES = 1024 * 1024;

/**
 * Base64 HMAC-SHA256 of exactly these bytes, as Shopify and WooCommerce sign a webhook body.
 *
 * @example
 * await bodySignature("pws_…", new TextEncoder().encode('{"id":1}')); // "q3R…=" (44 characters)
 */
export async function bodySignature(secret: string, body: Uint8Array): Promise<string> {
  return base64(await hmac(secret, body));
}

/**
 * A platform webhook route's gate: the site (`?site=`), its platform secret, the raw body (at most
 * 1 MiB), and its signature in `header`, compared in constant time, before anything parses the
 * body. Any failure is a 401 (400 for a malformed site key, 413 for a body too large) and nothing
 * is read further. `unsigned` may answer a request that carries no signature at all (WooCommerce's
 * ping); it must store nothing. Sets `c.var.site` and `c.var.body` (the body as UTF-8 text).
 *
 * @example
 * new Hono<HookEnv>().post("/v1/hooks/shopify", signed({ platform: "shopify", header: "x-shopify-hmac-sha256" }), (c) => …);
 */
export function signed({
  platform,
  header,
  unsigned,
}: {
  platform: Platform;
  header: string;
  unsigned?: (body: Uint8Array) => Response | undefined;
}): MiddlewareHandler<HookEnv> {
  return async (c, next) => {
    const key = v.safeParse(SiteKey, c.req.query("site"));
    if (!key.success) throw new ApiError(400, "invalid_site_key", "the site query parameter must be a site key (pk_…)");
    const site = await findSite(c.env.DB, key.output);
    if (!site) throw new ApiError(401, "unknown_site_key", `no site has the key ${key.output}`);
    const bytes = await readBytes(c.req.raw, MAX_HOOK_BYTES);
    if (bytes === "too_large") throw new ApiError(413, "payload_too_large", `the body must be at most ${MAX_HOOK_BYTES} bytes`);
    const signature = c.req.header(header);
    if (signature === undefined) {
      const answer = unsigned?.(bytes);
      if (answer) return answer;
      throw new ApiError(401, "missing_signature", `a ${platform} webhook must carry its ${header} header`);
    }
    const secret = await platformSecretOf(c.env.DB, site.id);
    if (!secret) {
      throw new ApiError(
        401,
        "no_platform_secret",
        "this site has no platform webhook secret yet: generate or set one in the dashboard or with POST/PUT /v1/sites/:key/platform-secret",
      );
    }
    if (!(await sameText(signature.trim(), await bodySignature(secret, bytes)))) {
      throw new ApiError(401, "invalid_signature", `${header} does not match the body signed with this site's platform secret`);
    }
    const body = decode(bytes);
    if (body === "not_utf8") throw new ApiError(400, "invalid_encoding", "the body must be UTF-8");
    c.set("site", site);
    c.set("body", body);
    await next();
  };
}
