// A site's origins (where its pages run: they may send events) and image hosts (where its product
// images may come from, in emails), as the dashboard and the merchant API take them: one set of
// rules for both, as valibot schemas, so each problem is refused with its path.
import * as v from "valibot";

export const MAX_ORIGINS = 20;
export const MAX_IMAGE_HOSTS = 20;

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

/**
 * An image host as stored: a host name alone, lower-cased (an international one in its `xn--`
 * form), or a `*.` wildcard for every host under a name. No scheme, port, path, user or query:
 * undefined for anything else.
 *
 * @example
 * normaliseHost("CDN.Shop.example"); // "cdn.shop.example"
 * normaliseHost("*.img.example"); // "*.img.example"
 * normaliseHost("https://cdn.shop.example/img"); // undefined
 */
export function normaliseHost(input: string): string | undefined {
  const wildcard = input.startsWith("*.");
  const name = wildcard ? input.slice(2) : input;
  // Anything but a name: a scheme or port (:), a path (/ \), a query or fragment (? #), a user (@), spaces, or a star inside.
  if (!name || /[:/\\?#@*%\s]/.test(name)) return;
  try {
    const url = new URL(`https://${name}/`);
    return url.hostname && !url.hostname.endsWith(".") ? `${wildcard ? "*." : ""}${url.hostname}` : undefined;
  } catch {
    return;
  }
}

/**
 * The host pattern of an origin, for images: `https://*.shop.example:8443` → `*.shop.example`.
 *
 * @example
 * originHost("http://127.0.0.1:8787"); // "127.0.0.1"
 */
export const originHost = (origin: string): string => origin.replace(/^https?:\/\//, "").replace(/:\d+$/, "");

/**
 * Whether a host name is one of `patterns`: equal, or under a `*.` one (`*.shop.example` takes
 * `cdn.shop.example` and `a.b.shop.example`, not `shop.example`).
 *
 * @example
 * hostAllowed(["*.shop.example"], "cdn.shop.example"); // true
 */
export const hostAllowed = (patterns: string[], host: string): boolean =>
  patterns.some((p) => p === host || (p.startsWith("*.") && host.endsWith(p.slice(1)) && host.length > p.length - 1));

/** A list of `what`, each normalised by `normalise`, none twice, at most `max`. */
function normalisedList(what: string, normalise: (s: string) => string | undefined, max: number, example: string) {
  return v.pipe(
    v.array(
      v.pipe(
        v.string(),
        v.maxLength(300, "is too long"),
        v.rawTransform(({ dataset, addIssue, NEVER }) => {
          const normal = normalise(dataset.value.trim());
          if (normal) return normal;
          addIssue({ message: `${JSON.stringify(dataset.value)} is not ${example}` });
          return NEVER;
        }),
      ),
      `must be a list of ${what}`,
    ),
    v.maxLength(max, `must hold at most ${max} ${what}`),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const first = new Map<string, number>();
      dataset.value.forEach((item, i) => {
        const earlier = first.get(item);
        if (earlier === undefined) first.set(item, i);
        else
          addIssue({
            message: `${item} is listed twice (also at ${earlier})`,
            path: [{ type: "array", origin: "value", input: dataset.value, key: i, value: item }],
          });
      });
    }),
  );
}

/** The origins allowed to send events (and on which restore and chat links may land): 1 to 20. */
export const OriginsSchema = v.pipe(
  normalisedList("origins", normaliseOrigin, MAX_ORIGINS, "an origin such as https://shop.example or https://*.shop.example"),
  v.minLength(1, "must hold at least one origin"),
);

/** Hosts product images may come from, besides the origins' own: at most 20. */
export const ImageHostsSchema = normalisedList(
  "image hosts",
  normaliseHost,
  MAX_IMAGE_HOSTS,
  "a host such as cdn.shop.example or *.shop.example (no https://, port or path)",
);
