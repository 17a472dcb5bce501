// Customer-list files for ad platforms: only SHA-256 digests of normalised identifiers, never an
// address. Each platform's own normalisation and columns:
// - Meta Custom Audiences from a customer list, "Hashing and Normalizing Data":
//   https://developers.facebook.com/docs/marketing-api/custom-audience-api
//   (email: trimmed, lower-case; phone: digits only with the country code, no `+`, no leading zeros);
//   the customer-list file's identifier columns are `email` and `phone`.
// - Google Ads Customer Match, "Format your customer data file":
//   https://support.google.com/google-ads/answer/7659867 (headers `Email`, `Phone`, …; hashed data:
//   lower-case, no spaces before, after or within an address; phone in E.164, `+` and country code,
//   before hashing). Removing dots from gmail.com addresses is Google's rule for Enhanced
//   Conversions (https://developers.google.com/doubleclick-advertisers/guides/conversions_ec), not
//   for a Customer Match file: not done here.
import { csvOf } from "./csv";

export const FORMATS = ["meta", "google"] as const;
export type AudienceFormat = (typeof FORMATS)[number];

/** A person as an audience file may name them: a normal email and/or an E.164 number. */
export interface Reachable {
  email: string | null;
  phone: string | null;
}

/**
 * An identifier in the form a platform hashes.
 *
 * @example
 * normalised("meta", "phone", "+34 600 111 222"); // "34600111222"
 * normalised("google", "phone", "+34600111222"); // "+34600111222"
 * normalised("google", "email", " Ana@Example.com "); // "ana@example.com"
 */
export function normalised(format: AudienceFormat, kind: "email" | "phone", value: string): string {
  if (kind === "email") return format === "google" ? value.replace(/\s+/g, "").toLowerCase() : value.trim().toLowerCase();
  const digits = value.replace(/\D+/g, "").replace(/^0+/, "");
  return format === "google" ? `+${digits}` : digits;
}

/** Lower-case hex SHA-256 of a UTF-8 string. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const HEADERS: Record<AudienceFormat, [string, string]> = { meta: ["email", "phone"], google: ["Email", "Phone"] };

/**
 * The upload file: one row a person, each identifier normalised for the platform and hashed, an
 * empty cell where the person has none.
 *
 * @example
 * await audienceFile("meta", [{ email: "ana@example.com", phone: null }]); // "email,phone\r\n<64 hex>,\r\n"
 */
export async function audienceFile(format: AudienceFormat, people: Reachable[]): Promise<string> {
  const hash = (kind: "email" | "phone", value: string | null) => (value ? sha256Hex(normalised(format, kind, value)) : "");
  const rows = await Promise.all(people.map(async (p) => [await hash("email", p.email), await hash("phone", p.phone)]));
  return csvOf(HEADERS[format], rows);
}
