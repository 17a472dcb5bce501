/**
 * How long a queue message waits before its next try: doubling from `first` seconds, at most
 * `max`. One rule for the ingest, mail and webhook consumers, each with its own pace.
 *
 * @example
 * message.retry({ delaySeconds: retryDelay(message.attempts, 30, 3600) }); // 30 s, 60 s, 120 s, … 1 h
 */
export const retryDelay = (attempts: number, first: number, max: number): number => Math.min(first * 2 ** Math.max(0, attempts - 1), max);
