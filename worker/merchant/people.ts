// Lists of people the merchant gives the collector (suppressions, excluded shoppers): checked and
// put in their one form before anything is stored, so a list is stored whole or not at all. Emails
// are trimmed and lower-cased (protocol/email.ts), numbers put in E.164 by their country's
// numbering plan (sms/numbers.ts). A CSV from the shop's previous email tool is read here too.
import { normalEmail } from "../../protocol/email";
import { EMAIL_PATTERN, MAX_EMAIL_LENGTH } from "../../protocol/limits";
import { dialable } from "../sms/numbers";

/** At most this many entries in one request: a bigger export goes in several. */
export const MAX_ENTRIES = 50_000;

export type ListIssue = { path: string; message: string };
export type PeopleList = { ok: true; emails: string[]; phones: string[] } | { ok: false; issues: ListIssue[] };

/**
 * An email in its one form, or undefined when it is not one.
 *
 * @example
 * emailOf("  Ana@Example.COM "); // "ana@example.com"
 */
export function emailOf(value: string): string | undefined {
  const trimmed = value.trim();
  return trimmed.length <= MAX_EMAIL_LENGTH && EMAIL_PATTERN.test(trimmed) ? normalEmail(trimmed) : undefined;
}

/**
 * A number in E.164, or undefined: spaces, dots, dashes and brackets are allowed around the digits
 * (as exports write them), a leading `00` is read as `+`; the number must be real for its country.
 *
 * @example
 * phoneOf("+34 600 11 12 22"); // "+34600111222"
 */
export function phoneOf(value: string): string | undefined {
  const compact = value.trim().replace(/[\s().-]/g, "");
  const plus = compact.startsWith("00") ? `+${compact.slice(2)}` : compact;
  return /^\+[1-9]\d{6,14}$/.test(plus) ? dialable(plus) : undefined;
}

/**
 * Checks a JSON list `{ emails, phones }`: every entry in its one form, each once, or every bad
 * entry named by its index (`emails.3`) and nothing kept.
 *
 * @example
 * peopleList({ emails: ["Ana@Example.com"], phones: ["+34 600 111 222"] }); // { ok: true, emails: ["ana@example.com"], phones: ["+34600111222"] }
 */
export function peopleList(body: unknown): PeopleList {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { ok: false, issues: [{ path: "", message: 'send { "emails": [...], "phones": [...] }' }] };
  const { emails = [], phones = [], ...rest } = body as Record<string, unknown>;
  const issues: ListIssue[] = Object.keys(rest).map((key) => ({ path: key, message: "unknown field" }));
  const read = (name: string, list: unknown, norm: (v: string) => string | undefined, what: string): string[] => {
    if (!Array.isArray(list)) {
      issues.push({ path: name, message: "must be an array of strings" });
      return [];
    }
    return list.flatMap((value, i) => {
      const found = typeof value === "string" ? norm(value) : undefined;
      if (found === undefined) issues.push({ path: `${name}.${i}`, message: `must be ${what}` });
      return found === undefined ? [] : [found];
    });
  };
  const e = read("emails", emails, emailOf, "an email address");
  const p = read("phones", phones, phoneOf, "a phone number in international form, like +34600111222");
  if (e.length + p.length > MAX_ENTRIES) issues.push({ path: "", message: `at most ${MAX_ENTRIES} entries a request` });
  if (e.length + p.length === 0 && !issues.length) issues.push({ path: "", message: "the list is empty" });
  return issues.length ? { ok: false, issues } : { ok: true, emails: [...new Set(e)], phones: [...new Set(p)] };
}

/**
 * The rows of a CSV (RFC 4180: quoted fields, doubled quotes, CRLF or LF), with the delimiter its
 * first line uses most of comma, semicolon and tab (European exports use semicolons).
 *
 * @example
 * csvRows('Email;Name\r\n"ana@example.com";Ana'); // [["Email", "Name"], ["ana@example.com", "Ana"]]
 */
export function csvRows(text: string): string[][] {
  const body = text.replace(/^\uFEFF/, "");
  const first = body.slice(0, body.search(/\r?\n|$/));
  const counts = [",", ";", "\t"].map((d) => [d, first.split(d).length] as const);
  const delimiter = counts.sort((a, b) => b[1] - a[1])[0]?.[0] ?? ",";
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] as string;
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === delimiter) row.push(cell), (cell = "");
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && body[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (cell !== "" || row.length) rows.push([...row, cell]);
  return rows.filter((r) => r.some((c) => c.trim() !== ""));
}

// Column names of the exports merchants bring: Klaviyo ("Email", "Phone Number",
// https://help.klaviyo.com/hc/en-us/articles/115005073867), Mailchimp ("Email Address",
// "Phone Number"), Shopify's customer export ("Email", "Phone"), and the obvious others.
const EMAIL_COLUMN = /^(e-?mail|e-?mail[ _]?address|correo|correo electr[oó]nico)$/i;
const PHONE_COLUMN = /^(phone|phone[ _]?number|mobile|sms|sms[ _]?phone|tel[eé]fono|m[oó]vil)$/i;

/**
 * A CSV of people to suppress or exclude: one address or number a row (no header), or a header
 * row naming an email and/or a phone column (the other columns are ignored, an empty cell too).
 * Every bad row is named (`row 4`), and then nothing is kept.
 *
 * @example
 * csvPeople("Email,First Name\nana@example.com,Ana\n"); // { ok: true, emails: ["ana@example.com"], phones: [] }
 */
export function csvPeople(text: string): PeopleList {
  const rows = csvRows(text);
  const header = rows[0]?.map((c) => c.trim()) ?? [];
  const emailAt = header.findIndex((c) => EMAIL_COLUMN.test(c));
  const phoneAt = header.findIndex((c) => PHONE_COLUMN.test(c));
  const hasHeader = emailAt >= 0 || phoneAt >= 0;
  const emails: string[] = [];
  const phones: string[] = [];
  const issues: ListIssue[] = [];
  rows.forEach((row, i) => {
    if (hasHeader && i === 0) return;
    const at = `row ${i + 1}`;
    if (hasHeader) {
      const email = (row[emailAt] ?? "").trim();
      const phone = (row[phoneAt] ?? "").trim();
      if (emailAt >= 0 && email) {
        const found = emailOf(email);
        if (found) emails.push(found);
        else issues.push({ path: at, message: `"${email.slice(0, 80)}" is not an email address` });
      }
      if (phoneAt >= 0 && phone) {
        const found = phoneOf(phone);
        if (found) phones.push(found);
        else issues.push({ path: at, message: `"${phone.slice(0, 80)}" is not a phone number in international form` });
      }
      return;
    }
    const value = (row.find((c) => c.trim() !== "") ?? "").trim();
    const email = emailOf(value);
    const phone = email ? undefined : phoneOf(value);
    if (email) emails.push(email);
    else if (phone) phones.push(phone);
    else issues.push({ path: at, message: `"${value.slice(0, 80)}" is neither an email address nor a phone number in international form` });
  });
  if (emails.length + phones.length > MAX_ENTRIES) issues.push({ path: "", message: `at most ${MAX_ENTRIES} entries a request` });
  if (!issues.length && emails.length + phones.length === 0)
    issues.push({ path: "", message: "the file names no email address or phone number" });
  // A long file with many bad rows: the first hundred say enough.
  return issues.length
    ? { ok: false, issues: issues.slice(0, 100) }
    : { ok: true, emails: [...new Set(emails)], phones: [...new Set(phones)] };
}
