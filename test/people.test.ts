// The lists of people a merchant hands the collector (worker/merchant/people.ts): JSON lists and
// CSV exports of the shop's previous email tool, checked whole before anything is stored.
import { describe, expect, it } from "vitest";
import { csvPeople, csvRows, MAX_ENTRIES, peopleList, phoneOf } from "../worker/merchant/people";

describe("a JSON list", () => {
  it("puts emails and numbers in their one form, each once", () => {
    expect(peopleList({ emails: [" Ana@Example.COM", "ana@example.com"], phones: ["+34 600 11 12 22", "0034600111222"] })).toEqual({
      ok: true,
      emails: ["ana@example.com"],
      phones: ["+34600111222"],
    });
  });

  it("names every bad entry by its index, and keeps none", () => {
    const list = peopleList({ emails: ["ana@example.com", "not-an-email", 7], phones: ["+3460011"], extra: 1 });
    expect(list).toEqual({
      ok: false,
      issues: [
        { path: "extra", message: "unknown field" },
        { path: "emails.1", message: "must be an email address" },
        { path: "emails.2", message: "must be an email address" },
        { path: "phones.0", message: "must be a phone number in international form, like +34600111222" },
      ],
    });
    expect(peopleList({ emails: "ana@example.com" })).toMatchObject({ ok: false, issues: [{ path: "emails" }] });
    expect(peopleList({})).toMatchObject({ ok: false, issues: [{ message: "the list is empty" }] });
    expect(peopleList([])).toMatchObject({ ok: false });
  });

  it("refuses more than it takes in one request", () => {
    const emails = Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => `a${i}@example.com`);
    expect(peopleList({ emails })).toMatchObject({ ok: false, issues: [{ message: `at most ${MAX_ENTRIES} entries a request` }] });
  });

  it("a number must be real for its country", () => {
    expect(phoneOf("+366301234567")).toBeUndefined();
    expect(phoneOf("(+34) 600-111-222")).toBe("+34600111222");
  });
});

describe("a CSV", () => {
  it("reads quotes, doubled quotes, CRLF, a BOM and a semicolon delimiter", () => {
    expect(csvRows('\uFEFFEmail;Name\r\n"ana@example.com";"Lima; ""Ana"""\r\n')).toEqual([
      ["Email", "Name"],
      ["ana@example.com", 'Lima; "Ana"'],
    ]);
  });

  it("one address or number a row, without a header", () => {
    expect(csvPeople("ana@example.com\n+34600111222\n\nBEA@example.com\n")).toEqual({
      ok: true,
      emails: ["ana@example.com", "bea@example.com"],
      phones: ["+34600111222"],
    });
  });

  it("Klaviyo's export: an Email column among others (help.klaviyo.com/hc/en-us/articles/115005073867)", () => {
    const csv = [
      "Email,First Name,Last Name,Phone Number,Suppressed At",
      "ana@example.com,Ana,Lima,+34600111222,2026-01-02",
      '"bea@example.com",Bea,"Ruiz, Jr.",,2026-01-03',
    ].join("\n");
    expect(csvPeople(csv)).toEqual({ ok: true, emails: ["ana@example.com", "bea@example.com"], phones: ["+34600111222"] });
  });

  it("Mailchimp's export: an Email Address column", () => {
    const csv = 'Email Address,First Name,MEMBER_RATING,OPTIN_TIME\r\n"Cleo@Example.com",Cleo,2,"2025-01-01 10:00:00"\r\n';
    expect(csvPeople(csv)).toEqual({ ok: true, emails: ["cleo@example.com"], phones: [] });
  });

  it("names each bad row and keeps nothing", () => {
    expect(csvPeople("Email\nana@example.com\nnope\n")).toEqual({
      ok: false,
      issues: [{ path: "row 3", message: '"nope" is not an email address' }],
    });
    expect(csvPeople("ana@example.com\nhello world\n")).toMatchObject({ ok: false, issues: [{ path: "row 2" }] });
    expect(csvPeople("Email,Name\n")).toMatchObject({
      ok: false,
      issues: [{ message: "the file names no email address or phone number" }],
    });
  });
});
