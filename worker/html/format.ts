// Figures as the merchant and the shopper read them, the same in emails, pages and previews.
import { exponentOf, majorText, toMajor } from "../../protocol/money";

/**
 * An amount in minor units, in its currency, written as `locale` writes money (English unless
 * given). A code `Intl` does not know (a typo in a cart from a browser) still shows the amount
 * rather than failing the whole email; so does a locale it does not know.
 *
 * @example
 * formatMoney(123456, "EUR"); // "€1,234.56"
 * formatMoney(123456, "EUR", "es-ES"); // "1234,56 €"
 * formatMoney(123456, "EUR", "de"); // "1.234,56 €"
 * formatMoney(1500, "JPY"); // "¥1,500"
 * formatMoney(1235, "KWD"); // "KWD 1.235"
 * formatMoney(250, "XYZQ"); // "2.50 XYZQ"
 */
export const formatMoney = (minor: number, currency: string, locale = "en"): string => {
  // The currency's own decimals (protocol/money.ts), whatever Intl's data says of it.
  const digits = exponentOf(currency);
  try {
    return new Intl.NumberFormat(locale, {
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

/**
 * A date and time as a shopper reads it: in their locale and their time zone (UTC when the zone
 * is unknown or unreadable).
 *
 * @example
 * formatDateTime(Date.UTC(2026, 11, 3, 13, 0), "es-ES", "Europe/Madrid"); // "3 dic 2026, 14:00"
 * formatDateTime(Date.UTC(2026, 11, 3, 13, 0), "en", "America/New_York"); // "Dec 3, 2026, 8:00 AM"
 */
export const formatDateTime = (at: number, locale = "en", timeZone = "UTC"): string => {
  const options = { dateStyle: "medium", timeStyle: "short" } as const;
  try {
    return new Intl.DateTimeFormat(locale, { ...options, timeZone }).format(at);
  } catch {
    return new Intl.DateTimeFormat("en", { ...options, timeZone: "UTC" }).format(at);
  }
};

/**
 * A number of hours or days in words, in `locale`, plural and all: "48 hours", "48 horas", "7 Tage".
 *
 * @example
 * formatUnit(48, "hour", "es"); // "48 horas"
 * formatUnit(1, "day", "fr"); // "1 jour"
 */
export const formatUnit = (n: number, unit: "hour" | "day", locale = "en"): string => {
  try {
    return new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" }).format(n);
  } catch {
    return `${n} ${unit}${n === 1 ? "" : "s"}`;
  }
};
