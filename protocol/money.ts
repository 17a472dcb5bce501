// Money: every amount Cartback keeps is an integer in the currency's minor units. This is the one
// place that knows how many decimals a currency has; convert and format through it, never `* 100`.

/**
 * ISO 4217 currencies whose minor unit is not 2 decimals (the table's "Minor unit" column;
 * https://www.six-group.com/en/products-services/financial-information/data-standards.html,
 * list one). Every other code has 2. Funds and metals with no minor unit (XAU, XDR…) are left out:
 * no shop prices a cart in them.
 */
const EXPONENTS: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/**
 * Decimals in a currency's minor unit: JPY 0, EUR 2, KWD 3.
 *
 * @example
 * exponentOf("KWD"); // 3
 */
export const exponentOf = (currency: string): number => EXPONENTS[currency.toUpperCase()] ?? 2;

/**
 * An amount in major units (a platform's decimal string like "10.5", or a GA4 number) as an
 * integer in minor units. Decimal strings are read digit by digit, so "0.29" is 29 cents, not
 * 28.999…; digits past the currency's exponent round half away from zero. Undefined when the
 * input is not a finite decimal.
 *
 * @example
 * toMinor("10.5", "EUR"); // 1050
 * toMinor("1500", "JPY"); // 1500
 * toMinor(1.2345, "KWD"); // 1235
 */
export function toMinor(amount: string | number, currency: string): number | undefined {
  const text = typeof amount === "number" ? (Number.isFinite(amount) ? numberText(amount) : "") : amount.trim();
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || !`${match[2]}${match[3] ?? ""}`) return undefined;
  const [, sign, whole = "", fraction = ""] = match;
  const exponent = exponentOf(currency);
  const kept = fraction.padEnd(exponent, "0").slice(0, exponent);
  let minor = Number(`${whole || "0"}${kept}`);
  if (Number(fraction[exponent] ?? 0) >= 5) minor += 1;
  return sign && minor ? -minor : minor;
}

/** A number's plain decimal digits (no exponent form: 1e-7 → "0.0000001"). */
const numberText = (n: number): string =>
  Math.abs(n) < 1e21 ? n.toLocaleString("en-US", { useGrouping: false, maximumFractionDigits: 20 }) : String(n);

/**
 * Minor units back to a number in major units, for `Intl.NumberFormat` and exports.
 *
 * @example
 * toMajor(1050, "EUR"); // 10.5
 * toMajor(1500, "JPY"); // 1500
 */
export const toMajor = (minor: number, currency: string): number => minor / 10 ** exponentOf(currency);

/**
 * Minor units as a plain decimal string with the currency's decimals: "10.50", "1500", "1.235".
 *
 * @example
 * majorText(1050, "EUR"); // "10.50"
 */
export const majorText = (minor: number, currency: string): string => toMajor(minor, currency).toFixed(exponentOf(currency));

/**
 * An integer amount a platform counts in `decimals` decimal places (WooCommerce's
 * `currency_minor_unit`, Shopify's hundredths) in the currency's own minor units, by moving
 * digits, not by multiplying: fewer decimals than the platform's round half up. Undefined unless
 * `amount` is a non-negative integer (or a string of its digits).
 *
 * @example
 * rescale("1999", 2, "EUR"); // 1999
 * rescale(150000, 2, "JPY"); // 1500
 * rescale("1234", 2, "KWD"); // 12340
 */
export function rescale(amount: string | number, decimals: number, currency: string): number | undefined {
  const digits = String(amount);
  if (!/^\d+$/.test(digits) || !Number.isInteger(decimals) || decimals < 0) return undefined;
  const shift = exponentOf(currency) - decimals;
  if (shift >= 0) return Number(digits + "0".repeat(shift));
  const padded = digits.padStart(1 - shift, "0");
  return Number(padded.slice(0, shift)) + (Number(padded[padded.length + shift]) >= 5 ? 1 : 0);
}
