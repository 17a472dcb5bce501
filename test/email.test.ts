import fc from "fast-check";
import * as v from "valibot";
import { expect, it } from "vitest";
import { normalEmail } from "../protocol/email";
import { EMAIL_PATTERN } from "../protocol/limits";
import { EventSchema } from "../protocol/schema";
import { isEmail } from "../sdk/cart";

it("normalEmail trims and lower-cases the whole address", () => {
  expect(normalEmail("Omar.Said@Example.com")).toBe("omar.said@example.com");
  expect(normalEmail("OMAR.SAID@EXAMPLE.COM")).toBe("omar.said@example.com");
  expect(normalEmail("  omar.said@example.com\t\n")).toBe("omar.said@example.com");
  expect(normalEmail("Ana+Cart_2@Sub-Domain.Example.CO")).toBe("ana+cart_2@sub-domain.example.co");
  expect(normalEmail("omar.said@example.com")).toBe("omar.said@example.com");
});

// Addresses in the shape EMAIL_PATTERN accepts, in every casing, sometimes with spaces around.
const label = fc.stringMatching(/^[A-Za-z0-9]{1,8}$/);
const address = fc
  .tuple(fc.array(fc.stringMatching(/^[\w+-]{1,8}$/), { minLength: 1, maxLength: 3 }), fc.array(label, { minLength: 1, maxLength: 3 }))
  .map(([local, domain]) => `${local.join(".")}@${domain.join(".")}.${"Com"}`);
const maybePadded = fc.tuple(fc.constantFrom("", " ", "\t"), address, fc.constantFrom("", " ", "\n")).map(([a, b, c]) => a + b + c);
const candidate = fc.oneof(maybePadded, fc.string(), fc.string({ minLength: 250, maxLength: 260 }));

it("is idempotent, and its output passes the pattern whenever the trimmed input does", () => {
  fc.assert(
    fc.property(candidate, (s) => {
      expect(normalEmail(normalEmail(s))).toBe(normalEmail(s));
      if (EMAIL_PATTERN.test(s.trim())) expect(EMAIL_PATTERN.test(normalEmail(s))).toBe(true);
    }),
    { numRuns: 2000 },
  );
});

it("the identify schema accepts exactly the emails the script accepts, and hands on their normal form", () => {
  fc.assert(
    fc.property(candidate, (email) => {
      const parsed = v.safeParse(EventSchema, { id: "a".repeat(16), at: 1_700_000_000_000, type: "identify", email });
      expect(parsed.success).toBe(isEmail(email));
      if (parsed.success) expect(parsed.output).toMatchObject({ email: normalEmail(email) });
    }),
    { numRuns: 3000 },
  );
});
