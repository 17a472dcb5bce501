// The ad platforms' files, re-derived with Node's own SHA-256 (node:crypto), apart from the Web
// Crypto the collector uses: random people in, each row's digests recomputed from the platform's
// documented normalisation, and never an address or a number in the file.
// Meta: https://developers.facebook.com/docs/marketing-api/custom-audience-api ("Hashing and
//   Normalizing Data": email trimmed, lower-case; phone digits only with the country code, no +).
// Google: https://support.google.com/google-ads/answer/7659867 (headers Email, Phone; hashed data
//   lower-case without spaces; phone in E.164 with its + before hashing).
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { audienceFile, normalised } from "../worker/segments/audiences";

const sha = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

const emailArb = fc.emailAddress().map((e) => e.toLowerCase());
const phoneArb = fc.stringMatching(/^\+[1-9]\d{6,14}$/);
const personArb = fc
  .record({ email: fc.option(emailArb, { nil: null }), phone: fc.option(phoneArb, { nil: null }) })
  .filter((p) => p.email !== null || p.phone !== null);

describe("audience files", () => {
  it("meta and google: each row is the digests of the person's normalised email and phone, nothing raw", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(personArb, { maxLength: 8 }),
        fc.constantFrom("meta" as const, "google" as const),
        async (people, format) => {
          const file = await audienceFile(format, people);
          const lines = file.split("\r\n");
          expect(lines.at(-1)).toBe("");
          expect(lines[0]).toBe(format === "meta" ? "email,phone" : "Email,Phone");
          const rows = lines.slice(1, -1).map((l) => l.split(","));
          expect(rows).toEqual(
            people.map((p) => [
              p.email ? sha(p.email.trim().toLowerCase()) : "",
              p.phone ? sha(format === "meta" ? p.phone.slice(1) : p.phone) : "",
            ]),
          );
          for (const p of people) {
            if (p.email) expect(file).not.toContain(p.email);
            if (p.phone) expect(file).not.toContain(p.phone.slice(1));
          }
        },
      ),
    );
  });

  it("normalises as each platform documents", () => {
    expect(normalised("meta", "email", "  Ana.Lopez@Gmail.com ")).toBe("ana.lopez@gmail.com");
    expect(normalised("google", "email", " Ana.Lopez@Gmail.com")).toBe("ana.lopez@gmail.com"); // dots kept: no Enhanced Conversions rule here
    expect(normalised("meta", "phone", "+44 7700 900123")).toBe("447700900123");
    expect(normalised("google", "phone", "+44 (7700) 900-123")).toBe("+447700900123");
  });
});
