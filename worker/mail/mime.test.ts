import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LANGUAGES } from "../copy/languages";
import { REASONS, readSettings } from "../sites/settings";
import { encodedWords, headerLine, MAX_ENCODED_WORD, parseAddress, toMime } from "./mime";
import { renderRecovery, siteFrom } from "./render";

/** RFC 2047 §6.2: adjacent encoded words are joined without the folding white space between them. */
function decodeHeader(value: string): string {
  const unfolded = value.replace(/\r\n(?=[ \t])/g, "");
  return unfolded.replace(/(\?=)\s+(?==\?)/g, "$1").replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/gi, (_, b64: string) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  });
}

/** One header's value (its folded lines together) from a MIME message's header block. */
const headerOf = (raw: string, name: string): string => {
  const head = raw.split("\r\n\r\n")[0] as string;
  const match = new RegExp(`^${name}: (.*(?:\\r\\n[ \\t].*)*)`, "m").exec(head);
  return match?.[1] ?? "";
};

const wordsIn = (value: string) => value.match(/=\?[^?]+\?[BQbq]\?[^?]*\?=/g) ?? [];

const SHOPS = ["Té y Tetera", "Crème Brûlée & Cía. — Pâtisserie Française", "Müller Süßwaren Großhandel", "Ñandú Çağrı Łódź"];
const NAMES = [undefined, "Zoë", "Ana María José"];

const mailFor = (language: (typeof LANGUAGES)[number], reason: (typeof REASONS)[number], shop: string, name?: string) =>
  renderRecovery({
    language,
    to: "ana@example.com",
    from: siteFrom({ name: shop, settings: {} }, "recovery@shop.example"),
    messageId: "seq-1-0",
    shop,
    origins: ["https://shop.example"],
    settings: readSettings(JSON.stringify({ incentive: { code: "SAVE10", description: "10 % off" } })),
    reason,
    step: 0,
    name,
    cart: { currency: "EUR", lines: [{ id: "a", name: "Tea", price: 500, quantity: 1 }] },
    restoreUrl: "https://c.example/r/t",
    unsubscribeUrl: "https://c.example/u/t",
  });

describe("RFC 2047 headers for the raw-MIME route", () => {
  it("every built-in subject (7 languages × 4 reasons) with an accented shop name: no encoded word over 75 characters, no line over 76, and each decodes back", () => {
    const subjects = new Set<string>();
    for (const language of LANGUAGES)
      for (const reason of REASONS)
        for (const shop of SHOPS)
          for (const name of NAMES) {
            const mail = mailFor(language, reason, shop, name);
            subjects.add(`${language}/${reason}`);
            const raw = toMime(mail);
            const where = `${language} ${reason} ${shop} ${name}`;
            for (const header of ["Subject", "From"]) {
              const value = headerOf(raw, header);
              for (const word of wordsIn(value)) expect(word.length, `${where} ${header}: ${word}`).toBeLessThanOrEqual(MAX_ENCODED_WORD);
            }
            const head = raw.split("\r\n\r\n")[0] as string;
            for (const line of head.split("\r\n").filter((l) => /=\?UTF-8\?B\?/.test(l)))
              expect(line.length, where).toBeLessThanOrEqual(76);
            expect(decodeHeader(headerOf(raw, "Subject")), where).toBe(mail.subject);
            expect(parseAddress(decodeHeader(headerOf(raw, "From"))), where).toEqual(parseAddress(mail.from));
          }
    expect(subjects.size).toBe(28);
  });

  it("any text: words within 75 characters, whole characters each, decoding back to the text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), fc.integer({ min: 20, max: 75 }), (text, firstRoom) => {
        const words = encodedWords(text, firstRoom);
        expect((words[0] as string).length).toBeLessThanOrEqual(firstRoom);
        for (const word of words) expect(word.length).toBeLessThanOrEqual(MAX_ENCODED_WORD);
        // Each word decodes alone (fatal decoder): no character split across two words.
        expect(words.map((w) => decodeHeader(w)).join("")).toBe(text);
        expect(decodeHeader(headerLine("Subject", text).slice("Subject: ".length))).toBe(text.replace(/[\r\n]+/g, " "));
      }),
    );
  });

  it("keeps ASCII headers as they are, and the unsubscribe headers (RFC 8058)", () => {
    const mail = mailFor("en", "reminder", "Tea Shop", "Ana");
    const raw = toMime(mail);
    expect(headerOf(raw, "Subject")).toBe(mail.subject);
    expect(headerOf(raw, "List-Unsubscribe")).toBe("<https://c.example/u/t>");
    expect(headerOf(raw, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
  });
});
