// Figures as the merchant and the shopper read them, the same in emails, pages and previews.
import { exponentOf, majorText, toMajor } from "../../protocol/money";

/**
 * An amount in minor units, in its currency, in English. A code `Intl` does not know (a typo in a
 * cart from a browser) still shows the amount rather than failing the whole email.
 *
 * @example
 * formatMoney(123456, "EUR"); // "€1,234.56"
 * formatMoney(1500, "JPY"); // "¥1,500"
 * formatMoney(1235, "KWD"); // "KWD 1.235"
 * formatMoney(250, "XYZQ"); // "2.50 XYZQ"
 */
export const formatMoney = (minor: number, currency: string): string => {
  // The currency's own decimals (protocol/money.ts), whatever Intl's data says of it.
  const digits = exponentOf(currency);
  try {
    return new Intl.NumberFormat("en", {
      style: "currency",
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(toMajor(minor, currency));
  } catch {
    return `${majorText(minor, currency)} ${currency}`;
  }
};

/**
 * A rate as a percentage with one decimal; a dash when there was nothing to divide by, so an
 * empty range does not read as 0%.
 *
 * @example
 * formatPercent(0.1234); // "12.3%"
 * formatPercent(null); // "–"
 */
export const formatPercent = (rate: number | null): string => (rate === null ? "–" : `${(rate * 100).toFixed(1)}%`);

/**
 * A duration in the unit a person thinks in: minutes under two hours, hours under two days.
 *
 * @example
 * formatDuration(45 * 60_000); // "45 min"
 * formatDuration(5 * 3_600_000); // "5.0 h"
 * formatDuration(null); // "–"
 */
export const formatDuration = (ms: number | null): string => {
  if (ms === null) return "–";
  const minutes = Math.round(ms / 60_000);
  return minutes < 120 ? `${minutes} min` : minutes < 2880 ? `${(minutes / 60).toFixed(1)} h` : `${(minutes / 1440).toFixed(1)} days`;
};

/**
 * A moment to the minute, in UTC like the CSV export's times, and sortable as text.
 *
 * @example
 * formatMinute(Date.UTC(2026, 0, 2, 3, 4, 5)); // "2026-01-02 03:04"
 */
export const formatMinute = (at: number): string => new Date(at).toISOString().replace("T", " ").slice(0, 16);
