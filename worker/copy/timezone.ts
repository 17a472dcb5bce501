// Time zones as the collector stores and uses them: one spelling, and only zones Intl knows.

/**
 * An IANA time zone `Intl` knows, or undefined: in `Intl`'s spelling when only the case differs,
 * else as given (ICU would turn Asia/Kolkata into its old name, Asia/Calcutta, which reads worse
 * on a dashboard and means the same).
 *
 * @example
 * validTimeZone("europe/madrid"); // "Europe/Madrid"
 * validTimeZone("Asia/Kolkata"); // "Asia/Kolkata"
 * validTimeZone("Mars/Olympus"); // undefined
 */
export function validTimeZone(value: string | undefined): string | undefined {
  if (!value || value.length > 64) return;
  try {
    const resolved = new Intl.DateTimeFormat("en", { timeZone: value }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === value.toLowerCase() ? resolved : value;
  } catch {
    return;
  }
}
