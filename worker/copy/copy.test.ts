import { describe, expect, it } from "vitest";
import type { Cart } from "../../protocol/types";
import { formatMoney } from "../html";
import { alreadyOrderedPage, cartWaitingPage, linkExpiredPage, unknownLinkPage, unsubscribedPage, unsubscribePage } from "../links/pages";
import { renderRecovery } from "../mail/render";
import { DEFAULT_SETTINGS, REASONS, readSettings } from "../sites/settings";
import { BUILTIN_COPY, COPY_LANGUAGES, chooseLanguage, LANGUAGES, parsePreferences, validTimeZone } from "./builtin";
import { typeset } from "./typography";

/** Every leaf of a copy object, by dotted path. */
const leaves = (value: unknown, path = ""): [string, unknown][] =>
  typeof value === "object" && value !== null
    ? Object.entries(value).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k))
    : [[path, value]];
const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe("built-in copy", () => {
  const english = new Map(leaves(BUILTIN_COPY.en));

  it("has every key of the English in every language, each a non-empty string with the same placeholders", () => {
    expect(english.size).toBeGreaterThan(40);
    for (const language of COPY_LANGUAGES) {
      const mine = new Map(leaves(BUILTIN_COPY[language]));
      // Both directions: a missing key and a stray one (a typo) are both failures.
      expect([...mine.keys()].sort(), language).toEqual([...english.keys()].sort());
      for (const [key, en] of english) {
        const text = mine.get(key);
        expect(typeof text, `${language} ${key}`).toBe("string");
        if (key !== "unsubscribeAfter") expect((text as string).trim().length, `${language} ${key}`).toBeGreaterThan(0);
        expect(placeholders(text as string), `${language} ${key}`).toEqual(placeholders(en as string));
      }
    }
  });

  it("is written in each language, not left in English", () => {
    for (const language of COPY_LANGUAGES.filter((l) => l !== "en")) {
      const same = leaves(BUILTIN_COPY[language]).filter(
        ([key, text]) => english.get(key) === text && String(text).replace(/\{\{\w+\}\}/g, "").length > 12,
      );
      expect(same, language).toEqual([]);
    }
  });

  it("tells every text message how to opt out", () => {
    for (const language of COPY_LANGUAGES) expect(BUILTIN_COPY[language].smsStop).toContain("STOP");
  });
});

describe("choosing a language", () => {
  it("reads Accept-Language best first, among the site's languages, with the shopper's region for formats", () => {
    // A Mexican browser is written to in Latin America's Spanish (issue 20; was "es", Spain's).
    expect(chooseLanguage("es-MX,es;q=0.9,en;q=0.8", ["en", "es"], "en")).toEqual({ language: "es-419", locale: "es-MX" });
    expect(chooseLanguage("en;q=0.5, fr-CA", [...LANGUAGES], "en")).toEqual({ language: "fr", locale: "fr-CA" });
    expect(chooseLanguage("ja-JP,de;q=0.4", ["es"], "es")).toEqual({ language: "es", locale: "es" });
    expect(chooseLanguage("ja-JP", [...LANGUAGES], "es")).toEqual({ language: "es", locale: "es" });
    expect(chooseLanguage(undefined, [...LANGUAGES], "nl")).toEqual({ language: "nl", locale: "nl" });
    // The default language is always one the site writes in, listed or not.
    expect(chooseLanguage("it-IT", ["es"], "it")).toEqual({ language: "it", locale: "it-IT" });
  });

  it("keeps only tags Intl takes: no markup, no wildcards, nothing refused", () => {
    expect(parsePreferences("es-es;q=0.9, en;q=0.8, *;q=0.1, <b>, de;q=0")).toEqual(["es-ES", "en"]);
    expect(parsePreferences("x".repeat(2000))).toEqual([]);
    expect(parsePreferences("a-b-c-d-e-f-g, pt-BR")).toEqual(["pt-BR"]);
    expect(
      parsePreferences(Array.from({ length: 20 }, (_, i) => `en-${String.fromCharCode(65 + i)}${String.fromCharCode(65 + i)}`).join(",")),
    ).toHaveLength(6);
  });

  it("keeps only time zones Intl knows, in their canonical spelling", () => {
    expect(validTimeZone("europe/madrid")).toBe("Europe/Madrid");
    expect(validTimeZone("America/New_York")).toBe("America/New_York");
    expect(validTimeZone("Asia/Kolkata")).toBe("Asia/Kolkata");
    expect(validTimeZone("Mars/Olympus")).toBeUndefined();
    expect(validTimeZone("<script>")).toBeUndefined();
  });
});

// The hostile corpus of worker/security/hostile.test.ts, each with a marker that must never reach
// a message unescaped.
const CORPUS = ["<pwn>tag</pwn>", '"><pwn>', "'><pwn>", '" onpwn="x', "</title><pwn>", "</style><pwn>", "{{name}}<pwn>", "\u202eexe.<pwn>"];
const CURRENCIES = [
  { currency: "JPY", price: 1500, digits: 0 },
  { currency: "EUR", price: 123456, digits: 2 },
  { currency: "KWD", price: 1235, digits: 3 },
];

describe("every template in every language", () => {
  const site = readSettings(
    JSON.stringify({
      incentive: { code: "FREESHIP", description: "Shipping <pwn> is on us.", expiresInHours: 48 },
      chatUrl: "https://shop.example/chat",
    }),
  );

  it("renders with a hostile cart and 0-, 2- and 3-decimal currencies: in the language, formatted for the locale, escaped", () => {
    let rendered = 0;
    for (const language of COPY_LANGUAGES) {
      for (const reason of REASONS) {
        for (const { currency, price, digits } of CURRENCIES) {
          const cart: Cart = {
            currency,
            lines: CORPUS.map((name, i) => ({ id: `l${i}`, name, variant: name, price, quantity: 2 })),
          };
          const mail = renderRecovery({
            to: "ana@example.com",
            from: "shop@example.com",
            messageId: "s-2",
            shop: CORPUS[0] as string,
            origins: ["https://shop.example"],
            settings: site,
            reason,
            step: 2,
            name: CORPUS[1],
            cart,
            restoreUrl: "https://c.example/r/t",
            unsubscribeUrl: "https://c.example/u/t",
            language,
            locale: language,
            timeZone: "Europe/Madrid",
            now: Date.UTC(2026, 11, 1, 12),
          });
          rendered++;
          const where = `${language} ${reason} ${currency}`;
          const words = BUILTIN_COPY[language];
          expect(mail.html, where).toContain(`<html lang="${language}">`);
          // "{{name}}<pwn>" from the cart is the shopper's text, shown as it is; no placeholder of the copy is left.
          const left = /\{\{\s*(quantity|description|code|duration|until|shop|link|stop|email)\s*\}\}/;
          expect(mail.html, where).not.toMatch(/<pwn|onpwn=["']/);
          expect(mail.html, where).not.toMatch(left);
          expect(mail.text, where).not.toMatch(left);
          expect(mail.subject, where).not.toMatch(/\{\{|[<>]/);
          // "Label: value", with the colon spaced as the language spaces it (French: "Total\u202f: ").
          const label = (name: string) => `${typeset(`${name}:`, language)} `;
          expect(mail.text, where).toContain(label(words.total));
          expect(mail.text, where).toContain(`${label(words.unsubscribe)}https://c.example/u/t`);
          const cta = words.templates[reason].cta;
          expect(mail.text, where).toContain(`${label(cta)}https://c.example/r/t`);
          // The line's total and the cart's, as the locale writes them, with the currency's decimals.
          const total = formatMoney(price * 2 * CORPUS.length, currency, language);
          expect(mail.text, where).toContain(total);
          // One minor unit, written with the currency's real number of decimals: ¥1, 0,01 €, KWD 0.001.
          const unit = formatMoney(1, currency, language);
          if (digits === 0) expect(unit, where).not.toMatch(/0[.,]/);
          else expect(unit, where).toMatch(new RegExp(`0[.,]${"0".repeat(digits - 1)}1(\\D|$)`));
          if (reason !== "payment_failed") expect(mail.text, where).toContain("FREESHIP");
          else expect(mail.text, where).not.toContain("FREESHIP");
        }
      }
    }
    expect(rendered).toBe(COPY_LANGUAGES.length * REASONS.length * CURRENCIES.length);
  });

  it("formats money and the offer's end for the shopper's locale and zone", () => {
    const input = {
      to: "ana@example.com",
      from: "shop@example.com",
      messageId: "s-2",
      shop: "Tienda",
      origins: ["https://shop.example"],
      settings: site,
      reason: "extra_costs" as const,
      step: 2,
      cart: { currency: "EUR", lines: [{ id: "a", name: "Té", price: 123456, quantity: 1 }] },
      restoreUrl: "https://c.example/r/t",
      unsubscribeUrl: "https://c.example/u/t",
      now: Date.UTC(2026, 11, 1, 12),
    };
    const es = renderRecovery({ ...input, language: "es", locale: "es-ES", timeZone: "Europe/Madrid" });
    expect(es.text).toContain("1234,56\u00a0€");
    expect(es.text).toContain("Usa el código FREESHIP");
    expect(es.text).toContain("Válido durante 48 horas, hasta el 3 dic 2026, 13:00.");
    const en = renderRecovery({ ...input, language: "en", locale: "en-US", timeZone: "America/New_York" });
    expect(en.text).toContain("€1,234.56");
    expect(en.text).toMatch(/Valid for 48 hours, until Dec 3, 2026, 7:00\sAM\./);
  });

  it("takes the merchant's copy in a language over the built-in one, and the site's templates in its default language only", () => {
    const settings = readSettings(
      JSON.stringify({
        defaultLanguage: "es",
        templates: { reminder: { subject: "Hola {{name}}, tu cesta", heading: "H", body: "B", cta: "C" } },
        copy: { fr: { reminder: { subject: "Coucou {{name}}", heading: "H", body: "B", cta: "C" } } },
      }),
    );
    const subject = (language: "es" | "fr" | "de") =>
      renderRecovery({
        to: "a@example.com",
        from: "s@example.com",
        messageId: "m-0",
        shop: "S",
        origins: [],
        settings,
        reason: "reminder",
        step: 0,
        name: "Ana",
        cart: { currency: "EUR", lines: [] },
        restoreUrl: "https://c.example/r",
        unsubscribeUrl: "https://c.example/u",
        language,
      }).subject;
    expect(subject("es")).toBe("Hola Ana, tu cesta");
    expect(subject("fr")).toBe("Coucou Ana");
    expect(subject("de")).toBe("Ana, in deinem Warenkorb liegt noch etwas");
  });
});

describe("link pages", () => {
  it("speak each language, with the language on the page and everything escaped", () => {
    for (const language of COPY_LANGUAGES) {
      const w = BUILTIN_COPY[language];
      const pages = [
        [linkExpiredPage(7, language), w.expiredHeading],
        [alreadyOrderedPage("<pwn>", language), w.orderedHeading],
        [cartWaitingPage(language), w.waitingButton],
        [unsubscribePage("<pwn>@example.com", "<pwn>", language), w.unsubscribeButton],
        [unsubscribedPage("<pwn>@example.com", language), w.unsubscribedHeading],
        [unknownLinkPage(language), w.unknownHeading],
      ] as const;
      for (const [page, expected] of pages) {
        const text = page.toString();
        expect(text).toContain(`<html lang="${language}">`);
        expect(text).toContain(expected.replaceAll("'", "&#39;"));
        expect(text).not.toContain("<pwn");
      }
    }
    expect(linkExpiredPage(1, "de").toString()).toContain("1 Tag lang");
    expect(linkExpiredPage(7, "es").toString()).toContain("durante 7 días");
  });
});

describe("language settings", () => {
  it("default to English, every built-in language, and the night quiet", () => {
    expect(DEFAULT_SETTINGS.defaultLanguage).toBe("en");
    expect(DEFAULT_SETTINGS.languages).toEqual([...LANGUAGES]);
    expect(DEFAULT_SETTINGS.quietHours).toEqual({ start: "21:00", end: "08:00" });
    expect(DEFAULT_SETTINGS.timeZone).toBe("UTC");
  });
});

describe("words a native speaker would write (issue 20)", () => {
  const base = {
    to: "ana@example.com",
    from: "shop@example.com",
    messageId: "m-1",
    shop: "Tienda",
    origins: ["https://shop.example"],
    step: 2,
    cart: { currency: "EUR", lines: [{ id: "a", name: "Té", price: 1250, quantity: 1 }] },
    restoreUrl: "https://c.example/r/t",
    unsubscribeUrl: "https://c.example/u/t",
  };

  it("writes Spain's Spanish to Spain and Latin America's to Latin America; a bare es gets the site's own Spanish, else Spain's", () => {
    const variant = (tag: string, fallback: "en" | "es" | "es-419" = "en") => chooseLanguage(tag, [...LANGUAGES], fallback).language;
    for (const tag of ["es-ES", "es-es", "es-IC", "es"]) expect(variant(tag), tag).toBe("es");
    for (const tag of ["es-MX", "es-AR", "es-CL", "es-CO", "es-419", "es-US", "es-PE"]) expect(variant(tag), tag).toBe("es-419");
    expect(variant("es", "es-419")).toBe("es-419");
    expect(variant("es-ES", "es-419")).toBe("es");
    expect(chooseLanguage(undefined, ["es"], "es-419")).toEqual({ language: "es-419", locale: "es-419" });
  });

  it("keeps each Spanish in its own register, in every string, the texts as the emails", () => {
    // Spain's present perfect and words; Latin America's preterite and words. Each in the other is a slip.
    const spain =
      /\b(has|ha|hemos) (dejado|quedado|elegido|empezado|hecho|podido|completado|habido|caducado|dado)\b|\bgastos\b|\bcaducad|\bvosotros\b/i;
    const america = /\b(dejaste|quedó|elegiste|empezaste|iniciaste|hiciste|pudimos|completó|venció|cancelaste)\b|\bcostos\b/i;
    const strings = (copy: unknown): string[] =>
      typeof copy === "string" ? [copy] : typeof copy === "object" && copy ? Object.values(copy).flatMap(strings) : [];
    expect(strings(BUILTIN_COPY.es).filter((t) => america.test(t))).toEqual([]);
    expect(strings(BUILTIN_COPY["es-419"]).filter((t) => spain.test(t))).toEqual([]);
    // The same fact in the same tense, in the email and in its text.
    expect(BUILTIN_COPY.es.templates.payment_failed.subject).toContain("no hemos podido");
    expect(BUILTIN_COPY.es.smsText.payment_failed).toContain("No hemos podido");
    expect(BUILTIN_COPY["es-419"].templates.payment_failed.subject).toContain("no pudimos");
    expect(BUILTIN_COPY["es-419"].smsText.payment_failed).toContain("No pudimos");
  });

  it("capitalises the first letter after ¿ or ¡, and keeps French's narrow no-break space before ? and !", () => {
    const settings = readSettings("{}");
    const subject = (language: "es" | "es-419" | "fr", name?: string) =>
      renderRecovery({ ...base, settings, reason: "question", language, name }).subject;
    expect(subject("es")).toBe("¿Te ha quedado alguna duda?");
    expect(subject("es", "Ana")).toBe("Ana, ¿te ha quedado alguna duda?");
    expect(subject("es-419")).toBe("¿Te quedó alguna duda?");
    expect(subject("fr")).toBe("Une question avant de commander\u202f?");
    expect(subject("fr", "Ana")).toBe("Ana, une question avant de commander\u202f?");
  });

  it("makes the merchant's offer a sentence, and ends a date in an abbreviation with one stop", () => {
    const settings = readSettings(
      JSON.stringify({ incentive: { code: "TEA10", description: "un 10 % de descuento", expiresInHours: 48 } }),
    );
    const mail = renderRecovery({
      ...base,
      settings,
      reason: "extra_costs",
      language: "es-419",
      locale: "es-MX",
      timeZone: "America/Mexico_City",
      now: Date.UTC(2026, 11, 1, 14, 26),
    });
    expect(mail.text).toContain(
      "Un 10 % de descuento. Usa el código TEA10 al finalizar tu compra. Válido por 48 horas, hasta el 3 dic 2026, 8:26",
    );
    expect(mail.text).toMatch(/8:26\sa\.\s?m\.\n/);
    expect(mail.text).not.toMatch(/m\.\./);
  });

  it("names nothing a shop may not sell, and promises a reply only when the site has a Reply-To", () => {
    for (const language of COPY_LANGUAGES) {
      const words = BUILTIN_COPY[language];
      const render = (replyTo?: string) =>
        renderRecovery({
          ...base,
          settings: readSettings(JSON.stringify({ chatUrl: "https://shop.example/chat", ...(replyTo && { replyTo }) })),
          reason: "question",
          language,
        });
      const without = render();
      expect(without.text, language).not.toContain(words.reply);
      expect(without.html, language).not.toContain(words.chatOr.slice(0, 10));
      expect(without.replyTo, language).toBeUndefined();
      const withReply = render("owner@shop.example");
      expect(withReply.text, language).toContain(words.reply.slice(0, 20));
      expect(withReply.html, language).toContain(words.chatOr.slice(0, 10));
      expect(withReply.replyTo, language).toBe("owner@shop.example");
      expect(without.text, language).not.toMatch(/ingredient|Inhaltsstoffe|composition|ingrediënt/i);
    }
  });

  it("shows no bidi control from a product or shop name, in the email's HTML and text or on a page", () => {
    const bidi = /[\u202a-\u202e\u2066-\u2069]/;
    const mail = renderRecovery({
      ...base,
      shop: "\u202eTienda\u202c",
      settings: readSettings("{}"),
      reason: "reminder",
      language: "es",
      cart: { currency: "EUR", lines: [{ id: "a", name: "\u202eexe.Té\u202c", variant: "\u2066verde\u2069", price: 1250, quantity: 1 }] },
    });
    expect(mail.html).not.toMatch(bidi);
    expect(mail.text).not.toMatch(bidi);
    expect(mail.text).toContain("- exe.Té (verde): 1 × ");
    expect(alreadyOrderedPage("\u202eTienda\u202c", "es").toString()).not.toMatch(bidi);
    expect(unsubscribePage("ana@example.com", "\u2067Tienda\u2069", "es").toString()).not.toMatch(bidi);
  });
});
