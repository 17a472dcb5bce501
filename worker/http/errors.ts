import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as v from "valibot";
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

/** Turns valibot issues into `{ path, message }` pairs a developer can read. */
export const describeIssues = (issues: v.BaseIssue<unknown>[]) =>
  issues.slice(0, 20).map((issue) => ({ path: v.getDotPath(issue) ?? "", message: issue.message }));

/** The answer when a site that requires consent (`requireConsent`) gets data without it; the script drops what it sent. */
export const consentRequired = (c: Context) =>
  jsonError(
    c,
    403,
    "consent_required",
    'this site stores nothing without the shopper\'s consent: add data-consent="required" to the script tag and call cartback("consent", true) from the consent banner',
  );
