/**
 * Whether personal data may leave the browser: never while `gpc` (the browser's Global Privacy
 * Control, when the site honours it) is on; otherwise after the shopper's yes, or with no answer
 * yet when the site does not ask (`required`). One rule for the events (core) and the account
 * sync (`cartback-sync.js`). Positional arguments: the core counts its bytes.
 *
 * @example
 * mayShare(undefined, true, false); // false: the banner has not been answered
 */
export const mayShare = (consent: boolean | undefined, required: unknown, gpc: unknown): unknown =>
  !gpc && (consent || (!required && consent == null));

/** Whether the browser sends Global Privacy Control. */
export const gpcOn = (): unknown => (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl;
