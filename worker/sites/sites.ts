// Which origins a site allows: pure functions over the stored list (worker/db/sites.ts reads it).
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;

/**
 * Whether a request's Origin header is one of the site's allowed origins.
 *
 * @example
 * originAllowed(["https://*.shop.example"], "https://www.shop.example"); // true
 */
export function originAllowed(allowed: string[], origin: string | undefined): origin is string {
  if (!origin || !ORIGIN.test(origin)) return false;
  return allowed.some((pattern) => {
    if (pattern === origin) return true;
    const star = pattern.indexOf("://*.");
    if (star < 0) return false;
    // "https://*.shop.example" matches "https://www.shop.example", not "https://shop.example".
    const scheme = pattern.slice(0, star + 3);
    const suffix = pattern.slice(star + 4);
    return origin.startsWith(scheme) && origin.endsWith(suffix) && origin.length > scheme.length + suffix.length;
  });
}

/**
 * An origin as stored: `https://Shop.example/` → `https://shop.example`; keeps `https://*.` wildcards.
 * Returns undefined for anything that is not scheme://host[:port].
 *
 * @example
 * normaliseOrigin("https://*.Shop.example"); // "https://*.shop.example"
 */
export function normaliseOrigin(input: string): string | undefined {
  const wildcard = /^(https?:\/\/)\*\.(.+)$/.exec(input.trim());
  try {
    const url = new URL(wildcard ? `${wildcard[1]}${wildcard[2]}` : input.trim());
    if (!/^https?:$/.test(url.protocol) || url.pathname !== "/" || url.search || url.hash || url.username) return;
    return wildcard ? `${url.protocol}//*.${url.host}` : url.origin;
  } catch {
    return;
  }
}
