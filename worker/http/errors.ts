import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorBody } from "../../protocol/types";

/**
 * The one shape of every error the collector returns: a stable code a program can branch on,
 * and a sentence a developer can act on.
 *
 * @example
 * return jsonError(c, 403, "origin_not_allowed", "https://evil.test is not an allowed origin of this site");
 */
export function jsonError(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  issues?: ErrorBody["error"]["issues"],
): Response {
  const body: ErrorBody = { error: { code, message, ...(issues && { issues }) } };
  return c.json(body, status);
}

/**
 * A refusal with the project's JSON error shape. Thrown anywhere in a request (a middleware, a
 * validator, a handler), it is answered by the app's one `onError`, with whatever headers the
 * request had set by then (its CORS headers, a Retry-After).
 *
 * @example
 * throw new ApiError(404, "unknown_device", "this account has no such device");
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly issues?: ErrorBody["error"]["issues"],
  ) {
    super(message);
  }
}

/**
 * The app's error handler: a refusal becomes its JSON error, anything else is logged and becomes a
 * 500 that names nothing internal.
 *
 * @example
 * app.onError(answerError);
 */
export function answerError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return jsonError(c, err.status, err.code, err.message, err.issues);
  console.error(err);
  return jsonError(c, 500, "internal_error", "the collector failed on this request");
}

/** Refuses data sent without the shopper's consent to a site that requires it (`requireConsent`); the script drops what it sent. */
export function requireConsent(): never {
  throw new ApiError(
    403,
    "consent_required",
    'this site stores nothing without the shopper\'s consent: add data-consent="required" to the script tag and call cartback("consent", true) from the consent banner',
  );
}
