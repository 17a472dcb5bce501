import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exponentOf, majorText, toMajor, toMinor } from "../protocol/money";

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
