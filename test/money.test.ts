import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exponentOf, majorText, rescale, toMajor, toMinor } from "../protocol/money";

describe("money by the currency's exponent", () => {
  it.each([
    ["JPY", 0],
    ["KRW", 0],
    ["EUR", 2],
    ["MXN", 2],
    ["usd", 2],
    ["KWD", 3],
    ["BHD", 3],
    ["CLF", 4],
  ])("%s has %i decimals", (code, exponent) => expect(exponentOf(code)).toBe(exponent));

  it.each([
    ["10.5", "EUR", 1050],
    ["10", "EUR", 1000],
    ["10.00", "EUR", 1000],
    ["0.29", "EUR", 29],
    [".5", "EUR", 50],
    ["7.", "EUR", 700],
    ["1500", "JPY", 1500],
    ["1500.00", "JPY", 1500],
    ["1499.5", "JPY", 1500],
    ["1.234", "KWD", 1234],
    ["1.2345", "KWD", 1235],
    ["0.005", "EUR", 1],
    ["0.004", "EUR", 0],
    ["-3.10", "EUR", -310],
    [" 12.34 ", "MXN", 1234],
    [19.99, "EUR", 1999],
    [0.1 + 0.2, "EUR", 30],
    [1.005, "EUR", 101],
    [1e-7, "EUR", 0],
    [1500, "JPY", 1500],
    [2.5, "KWD", 2500],
  ] as const)("%j %s is %i minor units", (amount, currency, minor) => expect(toMinor(amount, currency)).toBe(minor));

  it.each(["", ".", "abc", "1,50", "1.2.3", "1e3", "--1", "0x10", Number.NaN, Number.POSITIVE_INFINITY])("%j is not an amount", (amount) =>
    expect(toMinor(amount as string, "EUR")).toBeUndefined(),
  );

  it("reads back what it writes, for every exponent", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.constantFrom("JPY", "EUR", "KWD", "CLF"), (minor, currency) => {
        expect(toMinor(majorText(minor, currency), currency)).toBe(minor);
        expect(toMinor(toMajor(minor, currency), currency)).toBe(minor);
      }),
    );
  });

  it("writes the currency's decimals", () => {
    expect(majorText(1050, "EUR")).toBe("10.50");
    expect(majorText(1500, "JPY")).toBe("1500");
    expect(majorText(1235, "KWD")).toBe("1.235");
  });
});

describe("rescale: a platform's integer amounts into the currency's minor units", () => {
  it.each([
    ["1999", 2, "EUR", 1999],
    [1999, 2, "EUR", 1999],
    ["150000", 2, "JPY", 1500],
    ["150050", 2, "JPY", 1501],
    ["150049", 2, "JPY", 1500],
    ["4", 2, "JPY", 0],
    ["50", 2, "JPY", 1],
    ["1234", 2, "KWD", 12340],
    ["12345", 3, "KWD", 12345],
    ["12345", 3, "EUR", 1235],
    ["1500", 0, "JPY", 1500],
    ["15", 0, "EUR", 1500],
    ["0", 2, "EUR", 0],
  ])("%s counted in %i decimals of %s is %i", (amount, decimals, currency, minor) => {
    expect(rescale(amount, decimals, currency)).toBe(minor);
  });

  it.each([["-5"], ["1.5"], [""], ["1e3"], [Number.NaN], [-1], [" 12"]])("refuses %s", (amount) => {
    expect(rescale(amount as string, 2, "EUR")).toBeUndefined();
  });

  it("refuses a negative or fractional count of decimals", () => {
    expect(rescale("12", -1, "EUR")).toBeUndefined();
    expect(rescale("12", 1.5, "EUR")).toBeUndefined();
  });
});
