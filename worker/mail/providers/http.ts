import { OUTBOUND_TIMEOUT_MS, withTimeout } from "../../http/outbound";
import { PermanentMailError, RetryableMailError } from "../provider";

/** A fetch stand-in (tests pass a documented-shape fake). In workerd a stored global `fetch`
 * called as a method throws "Illegal invocation", hence the wrapper. */
export type Fetch = (input: string, init: RequestInit) => Promise<Response>;
export const globalFetch: Fetch = (input, init) => fetch(input, init);

/** How a provider's HTTP call is made: which fetch, and how long before it is given up. */
export interface HttpOptions {
  fetcher?: Fetch;
  timeoutMs?: number;
}

/**
 * Calls a provider's API within the timeout and reads the whole answer.
 *
 * @example
 * const { res, body } = await call({}, "Postmark", "https://api.postmarkapp.com/email", { method: "POST" });
 */
export function call(http: HttpOptions, what: string, url: string, init: RequestInit): Promise<{ res: Response; body: string }> {
  const fetcher = http.fetcher ?? globalFetch;
  return withTimeout(
    async (signal) => {
      const res = await fetcher(url, { ...init, signal });
      return { res, body: await res.text() };
    },
    http.timeoutMs ?? OUTBOUND_TIMEOUT_MS,
    what,
  );
}

/**
 * The failure an HTTP answer means: 429 and 5xx pass (retried), as does what `alsoRetry` names;
 * any other status is a refusal for good.
 *
 * @example
 * throw httpFailure("Resend", res.status, body, res.status === 409);
 */
export function httpFailure(what: string, status: number, body: string, alsoRetry = false): Error {
  const problem = `${what} answered ${status}: ${body.slice(0, 300)}`;
  return status === 429 || status >= 500 || alsoRetry ? new RetryableMailError(problem) : new PermanentMailError(problem);
}

/** The answer as JSON, or `undefined` when it is not. */
export const jsonOf = (body: string): Record<string, unknown> | undefined => {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};
