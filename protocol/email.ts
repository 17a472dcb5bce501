// The one form of an email address that the collector stores and compares. This file imports
// nothing, so the browser bundle can use it without pulling the schema library in.

/**
 * An address in its normal form: trimmed, and lower-cased as a whole.
 *
 * The domain is case-insensitive by RFC 5321. The local part may, by the letter of the RFC, be
 * case-sensitive, but no major provider treats it so (Gmail, Outlook, Yahoo, iCloud and the rest
 * deliver `Omar.Said@` and `omar.said@` to the same mailbox), and a shopper types their address
 * however they like from one checkout to the next. Keeping the typed casing would make one person
 * several: suppression, identity, holdout and orders would each see a different shopper, and an
 * export or erase asked for by one casing would miss the others. One person, one address.
 *
 * Every address that passes `EMAIL_PATTERN` is ASCII, so this equals SQLite's `lower(trim(x))`
 * on stored addresses (SQLite's `lower()` folds only ASCII; its `trim()` only spaces, and the
 * pattern admits no whitespace).
 *
 * @example
 * normalEmail("  Omar.Said@Example.com "); // "omar.said@example.com"
 */
export function normalEmail(s: string): string {
  return s.trim().toLowerCase();
}
