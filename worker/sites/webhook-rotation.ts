import type { SiteSettings } from "./settings";

type Hook = NonNullable<SiteSettings["webhook"]>;

/** How long the secret before a change keeps signing: a day to give the receiver the new one. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/**
 * The webhook as it is to be stored after a change: a new secret keeps the one it replaces
 * signing for a day; the same secret keeps whatever overlap was running. A `previous` in the
 * patch itself is never taken: only the collector knows which secret came before.
 *
 * @example
 * rotated({ url, secret: "whsec_old…" }, { url, secret: "whsec_new…" }, Date.now()).previous; // { secret: "whsec_old…", until: now + 24 h }
 */
export function rotated(stored: Hook | undefined, next: Hook, now: number): Hook {
  const { previous: _ignored, ...hook } = next;
  if (!stored) return hook;
  if (stored.secret !== hook.secret) return { ...hook, previous: { secret: stored.secret, until: now + ROTATION_OVERLAP_MS } };
  return stored.previous && stored.previous.until > now ? { ...hook, previous: stored.previous } : hook;
}

/**
 * The secrets that sign a delivery now: the current one, and the previous one while its day runs.
 *
 * @example
 * signingSecrets(site.settings.webhook, Date.now()); // ["whsec_new…", "whsec_old…"]
 */
export const signingSecrets = (hook: Pick<Hook, "secret" | "previous">, now: number): string[] =>
  hook.previous && hook.previous.until > now && hook.previous.secret !== hook.secret ? [hook.secret, hook.previous.secret] : [hook.secret];
