// Claims the person's object made and has not yet heard were sent. A job can be lost between the
// claim and the mail queue's consumer (the collector killed after the claim, a queue that dropped
// or stalled): the object knows what it claimed, so its own alarm queues the job again a few
// minutes later, rather than the daily sweep a day later. Queuing a job twice is safe: the
// consumer sends a message id at most once (its `messages` row, `leaseSend`, the provider's
// idempotency key or Twilio's look-up) and asks the person first, so nothing goes after a stop.
import { DAY_MS, MINUTE_MS } from "../../protocol/limits";
import type { Claim } from "./person";

/** A claim not yet known to be sent, and when the object looks at it again. */
export interface Unconfirmed {
  claim: Claim;
  claimedAt: number;
  /** How many times it was queued again. */
  rescues: number;
  nextAt: number;
}

/** Where D1 says a claimed message stands: a status, or null when it has no row (the claim was not written). */
export type ClaimStates = Record<string, "queued" | "sent" | "cancelled" | "failed" | null>;

/** A job the consumer has not finished by then is taken as lost. Longer than a send's lease
 * (two minutes), so a delivery still running is not doubled up on. */
export const RESCUE_AFTER_MS = 5 * MINUTE_MS;
/** The longest wait between two rescues of one claim (a provider down for hours). */
const MAX_WAIT_MS = 60 * MINUTE_MS;
/** Past this a claim is left to the daily sweep, which looks that far back. */
const RESCUE_FOR_MS = 7 * DAY_MS;

/**
 * The list with a fresh claim added (once per id).
 *
 * @example
 * state.unconfirmed = awaitSent(state.unconfirmed, claim, now);
 */
export function awaitSent(list: Unconfirmed[] | undefined, claim: Claim, now: number): Unconfirmed[] {
  const rest = (list ?? []).filter((u) => u.claim.id !== claim.id);
  return [...rest, { claim, claimedAt: now, rescues: 0, nextAt: now + RESCUE_AFTER_MS }];
}

/**
 * The list without a message whose fate is known: it went out, or the object refused it.
 *
 * @example
 * state.unconfirmed = settled(state.unconfirmed, "seq-0");
 */
export const settled = (list: Unconfirmed[] | undefined, id: string): Unconfirmed[] => (list ?? []).filter((u) => u.claim.id !== id);

/** The ids whose time to be looked at has come (the shell reads their rows for `rescue`). */
export const dueForRescue = (list: Unconfirmed[] | undefined, now: number): string[] =>
  (list ?? []).filter((u) => u.nextAt <= now).map((u) => u.claim.id);

/**
 * What to do with the claims due: one D1 finished (sent, cancelled, failed) is forgotten; one
 * still queued, or never written, is queued again, each time a little later (5, 10, 20, 40, then
 * every 60 minutes); one older than a week is left to the sweep.
 *
 * @example
 * const { list, requeue } = rescue(state.unconfirmed, now, { "seq-0": "queued" });
 */
export function rescue(list: Unconfirmed[] | undefined, now: number, states: ClaimStates): { list: Unconfirmed[]; requeue: Claim[] } {
  const requeue: Claim[] = [];
  const kept: Unconfirmed[] = [];
  for (const u of list ?? []) {
    if (u.nextAt > now) {
      kept.push(u);
      continue;
    }
    // Not looked up (a caller that read no rows): looked at later, never in a loop now.
    if (!(u.claim.id in states)) {
      kept.push({ ...u, nextAt: now + RESCUE_AFTER_MS });
      continue;
    }
    const state = states[u.claim.id];
    if ((state !== "queued" && state !== null) || now - u.claimedAt > RESCUE_FOR_MS) continue;
    requeue.push(u.claim);
    const rescues = u.rescues + 1;
    kept.push({ ...u, rescues, nextAt: now + Math.min(MAX_WAIT_MS, RESCUE_AFTER_MS * 2 ** rescues) });
  }
  return { list: kept, requeue };
}

/** When the object must look at its claims again (null: nothing waits). */
export const nextRescue = (list: Unconfirmed[] | undefined): number | null =>
  list?.length ? Math.min(...list.map((u) => u.nextAt)) : null;
