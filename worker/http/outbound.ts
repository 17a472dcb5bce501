// Every call the collector makes to another server (a mail provider, a merchant's webhook) ends
// within a bound: a server that accepts the connection and never answers would otherwise hold a
// queue consumer for as long as the platform lets it run, and the job behind it with it.

/** How long one outgoing request may take before it is given up and retried. */
export const OUTBOUND_TIMEOUT_MS = 10_000;

/** The request was given up: it may or may not have reached the other side, so it is retried
 * (never permanent), and what makes that retry safe is the caller's (an idempotency key, an event id). */
export class OutboundTimeout extends Error {
  override name = "OutboundTimeout";
}

/**
 * Runs `call` with a signal that aborts after `ms`, and gives up at that moment even if `call`
 * ignores the signal (a fetch stand-in, a body that never ends).
 *
 * @example
 * const res = await withTimeout((signal) => fetch(url, { ...init, signal }), 10_000, "Resend");
 */
export function withTimeout<T>(call: (signal: AbortSignal) => Promise<T>, ms: number, what: string): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  const gaveUp = new Promise<never>((_, reject) =>
    signal.addEventListener("abort", () => reject(new OutboundTimeout(`${what} did not answer within ${ms} ms`)), { once: true }),
  );
  const answer = call(signal).catch((e: unknown) => {
    throw signal.aborted ? new OutboundTimeout(`${what} did not answer within ${ms} ms`) : e;
  });
  return Promise.race([answer, gaveUp]);
}
