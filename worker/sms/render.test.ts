import { describe, expect, it } from "vitest";
import { BUILTIN_COPY, COPY_LANGUAGES as LANGUAGES } from "../copy/builtin";
import { DEFAULT_SETTINGS, REASONS, readSettings } from "../sites/settings";
import { MAX_SEGMENTS, renderText, segmentsOf } from "./render";

// What a hostile or careless merchant can name a shop: markup, placeholders, line breaks that
// would forge a second line, direction overrides, and names long enough (or wide enough, in
// UCS-2) to push a text past its segments.
const SHOPS = [
  "Tea & Kettle",
  "<pwn>tag</pwn>",
  "{{link}} {{stop}} {{code}}",
  "Shop\nSTOP ignored\r\nline",
  "\u202eexe.Shop\u2066",
  "🍵".repeat(50),
  "Ünïcødé Çafé ąęłńśźż ".repeat(5),
  "x".repeat(100),
  "   ",
];
const LINK = `https://cartback.example.workers.dev/r/${"A".repeat(22)}`;
const LONG_CODE = `CODE-${"Z".repeat(35)}`;

describe("recovery texts", () => {
  it("have a sentence for every reason in every built-in language (a missing one fails here)", () => {
    for (const language of LANGUAGES) {
      for (const reason of REASONS) {
        const sentence = BUILTIN_COPY[language].smsText[reason];
        expect(typeof sentence, `${language} ${reason}`).toBe("string");
        expect(sentence.trim().length, `${language} ${reason}`).toBeGreaterThan(10);
      }
      expect(BUILTIN_COPY[language].smsStop, language).toContain("STOP");
      for (const key of ["shop", "text", "link", "code", "stop"]) expect(BUILTIN_COPY[language].sms, language).toContain(`{{${key}}}`);
    }
  });

  it("every language, reason and hostile shop name: within 3 segments, one line, with the link, the code and the opt-out words", () => {
    for (const language of LANGUAGES) {
      for (const reason of REASONS) {
        for (const shop of SHOPS) {
          for (const code of [undefined, "TEA-1A2B", LONG_CODE]) {
            const { body, segments } = renderText({ language, settings: DEFAULT_SETTINGS, reason, shop, link: LINK, code });
            const where = `${language} ${reason} ${JSON.stringify(shop)} ${code}`;
            expect(segments, where).toBeLessThanOrEqual(MAX_SEGMENTS);
            expect(segmentsOf(body).segments, where).toBe(segments);
            expect(body, where).toContain(LINK);
            expect(body, where).toContain(BUILTIN_COPY[language].smsStop);
            if (code) expect(body, where).toContain(code);
            // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
            expect(body, where).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
            // Placeholders in a shop's name are its text, never filled: the link appears once.
            expect(body.split(LINK).length - 1, where).toBe(1);
          }
        }
      }
    }
  });

  it("fit one GSM-7 segment (160 characters) for a plain shop name and a collector on workers.dev, in every language", () => {
    for (const language of LANGUAGES) {
      for (const reason of REASONS) {
        const got = renderText({ language, settings: DEFAULT_SETTINGS, reason, shop: "Tea & Kettle", link: LINK });
        expect({ language, reason, ...segmentsOf(got.body) }).toMatchObject({ encoding: "gsm7", segments: 1 });
      }
    }
  });

  it("take the merchant's own sentence in the shopper's language, and keep the shop, the link and the opt-out words around it", () => {
    const settings = readSettings(
      JSON.stringify({
        copy: { es: { reminder: { subject: "s", heading: "h", body: "b", cta: "c", sms: "¡Tu té te espera!" } } },
      }),
    );
    const es = renderText({ language: "es", settings, reason: "reminder", shop: "Té y Tetera", link: LINK }).body;
    expect(es).toBe(`Té y Tetera: ¡Tu té te espera! ${LINK} Responde STOP para darte de baja.`);
    // Another language, or a template without a text of its own, keeps the built-in sentence.
    const fr = renderText({ language: "fr", settings, reason: "reminder", shop: "Thé", link: LINK }).body;
    expect(fr).toContain(BUILTIN_COPY.fr.smsText.reminder);
  });

  it("count segments as carriers do: GSM-7 with its two-septet extension, else UCS-2 in UTF-16 units", () => {
    expect(segmentsOf("a".repeat(160))).toEqual({ encoding: "gsm7", units: 160, segments: 1 });
    expect(segmentsOf("a".repeat(161))).toEqual({ encoding: "gsm7", units: 161, segments: 2 });
    expect(segmentsOf("€".repeat(80))).toEqual({ encoding: "gsm7", units: 160, segments: 1 });
    expect(segmentsOf("ñé¿¡àü")).toMatchObject({ encoding: "gsm7", units: 6 });
    expect(segmentsOf("á".repeat(70))).toEqual({ encoding: "ucs2", units: 70, segments: 1 });
    expect(segmentsOf("🍵".repeat(35))).toEqual({ encoding: "ucs2", units: 70, segments: 1 });
    expect(segmentsOf("🍵".repeat(36))).toEqual({ encoding: "ucs2", units: 72, segments: 2 });
  });
});
