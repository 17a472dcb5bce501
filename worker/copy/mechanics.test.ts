// Every built-in message, rendered in every language variant, for every reason and channel, with
// and without a name, a code, an incentive and a reply address, under hostile shop and product
// names; then read for what a careful native speaker (or a proof-reader) would circle in red: a
// lower-case letter opening a sentence, doubled punctuation or spaces, a placeholder left over or
// left empty, two sentences run together, a reply promised that nobody will read, a text past its
// segments, an invisible direction override shown to the shopper.
import { describe, expect, it } from "vitest";
import { formatDateTime } from "../html";
import { alreadyOrderedPage, cartWaitingPage, linkExpiredPage, unknownLinkPage, unsubscribedPage, unsubscribePage } from "../links/pages";
import { renderRecovery } from "../mail/render";
import { REASONS, readSettings } from "../sites/settings";
import { MAX_SEGMENTS, renderText } from "../sms/render";
import { BUILTIN_COPY, COPY_LANGUAGES, chooseLanguage, LANGUAGES, type Language } from "./builtin";

/** Shoppers' browsers, by language: each regional flavour a shop is likely to see (es-MX writes
 * "8:26 a.m.", a date that ends in an abbreviation). */
const LOCALES = ["en-US", "en-GB", "es-ES", "es", "es-MX", "es-AR", "es-CL", "fr-FR", "de-DE", "it-IT", "pt-PT", "pt-BR", "nl-NL"];
const SHOPS = [
  "Tea & Kettle",
  "\u202eTea\u202c \u2066Kettle\u2069",
  "<b>Tea</b> \"Kettle\" & 'Co'",
  `Té y Tetera ${"de la Abuela ".repeat(12)}`,
];
const NAMES = [undefined, "Ana", "\u202eAna\u202c María", "Ana"];
const PRODUCTS = ["Té verde", "\u202egreen tea\u202c \u2067exe.\u2069", '<i>"Sencha"</i>'];
/** What a merchant types as an offer: a sentence, a phrase with no full stop, one in lower case, one ending in a colon. */
const INCENTIVES = [undefined, "Free shipping on us.", "un 10 % de descuento", "10% off your order:"];
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;
const NOW = Date.UTC(2026, 11, 1, 14, 26);
const LINK = `https://cartback.example.workers.dev/r/${"A".repeat(22)}`;
/** The words that promise an answer to a reply, in each language. */
const REPLY = /\breply\b|respond|répond|antwort|rispond|beantwoord/i;
const OPENERS = /^[¿¡"“«(]*/;

/**
 * What a proof-reader circles in one piece of text. `french`: the language puts a (narrow
 * no-break) space before ? ! ; : (and `sms` allows a plain one there, since GSM-7 has no other).
 */
function proofread(text: string, { french = false, sms = false, dates = [] as string[] } = {}): string[] {
  const found: string[] = [];
  // A date as Intl writes it is its text: its abbreviations' stops ("dez.", "a. m.") open no
  // sentence, but a stop after its last one is still a doubled stop.
  const prose = dates.reduce((t, d) => t.replaceAll(d, d.replace(/\.(?!$)/g, "")), text).replace(/https?:\/\/\S+/g, "URL");
  if (/\{\{|\}\}/.test(prose)) found.push("unfilled placeholder");
  if (/\(\s*\)|\[\s*\]/.test(prose)) found.push("empty brackets");
  if (/[.,;:!?][\s\u202f\u00a0]*[.,;:]|[,;:][\s\u202f\u00a0]*[!?]/.test(prose.replace(/\.{3}|…/g, "…"))) found.push("doubled punctuation");
  if (/ {2,}|[ \u202f\u00a0]{2,}/.test(prose)) found.push("doubled space");
  if (/^ | $/m.test(prose)) found.push("space at a line's end");
  if (/\s[,.]/.test(prose)) found.push("space before , or .");
  if (french) {
    if (/[^\s\u202f\u00a0][?!;:](\s|$)/.test(prose)) found.push("no space before high punctuation in French");
    if (!sms && / [?!;:]/.test(prose)) found.push("a breaking space before high punctuation in French");
  } else if (/\s[?!;:]/.test(prose)) found.push("space before high punctuation");
  if (BIDI.test(text)) found.push("bidi control shown");
  // A sentence opens at a line's start and after . ! ? and a space; past any opening marks, its
  // first letter is a capital.
  for (const start of prose.split(/\n|(?<=[.!?])\s+/)) {
    const first = start.replace(OPENERS, "").match(/^\p{L}/u)?.[0];
    // An email address opens a sentence as it is written.
    if (/^\S*@/.test(start)) continue;
    if (first && first !== first.toUpperCase()) found.push(`lower-case sentence start: "${start.slice(0, 30)}"`);
  }
  return found;
}

/** The sentences the copy starts right after something filled in ("{{description}} Use code…"):
 * wherever one appears, what comes before it must have ended a sentence. */
const strings = (value: unknown): string[] =>
  typeof value === "string" ? [value] : typeof value === "object" && value !== null ? Object.values(value).flatMap(strings) : [];
const joints = (language: Language): RegExp[] =>
  strings(BUILTIN_COPY[language])
    .flatMap((t) => [...t.matchAll(/\}\} (\p{Lu}\p{L}*(?: \p{L}+)?)/gu)].map((m) => m[1] as string))
    .map((joint) => new RegExp(`(.) (${joint.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")})`, "g"));
const JOINTS = new Map(COPY_LANGUAGES.map((l) => [l, joints(l)]));

function runOn(text: string, language: Language): string[] {
  const found: string[] = [];
  for (const joint of JOINTS.get(language) ?? []) {
    for (const m of text.matchAll(joint)) if (!/[.!?:…»)]/.test(m[1] as string)) found.push(`run-on before "${m[2]}"`);
  }
  return found;
}

/** How many failures of each kind (`where => kind; kind`), for the assertion's message. */
const tally = (failures: string[]): string =>
  JSON.stringify(
    failures
      .flatMap((f) => f.slice(f.indexOf(" => ") + 4).split("; "))
      .map((k) => k.replace(/^(subject|text|html): /, "").replace(/ ?".*$/, ""))
      .reduce<Record<string, number>>((all, k) => Object.assign(all, { [k]: (all[k] ?? 0) + 1 }), {}),
  );

/** The plain text of an email without its cart lines (the shop's words, not ours). */
const prose = (text: string) =>
  text
    .split("\n")
    .filter((l) => !l.startsWith("- "))
    .join("\n");

describe("every built-in message, read by a proof-reader", () => {
  it("emails: every language variant × reason × name × shop × incentive × reply address", { timeout: 120_000 }, () => {
    const failures: string[] = [];
    let cases = 0;
    for (const locale of LOCALES) {
      const { language } = chooseLanguage(locale, LANGUAGES, "en");
      const french = language.startsWith("fr");
      for (const reason of REASONS) {
        // Each shop with one of the names: every name and every shop meet every language and reason.
        for (const [i, shop] of SHOPS.entries()) {
          const name = NAMES[i];
          for (const description of INCENTIVES) {
            for (const replyTo of [undefined, "owner@shop.example"]) {
              const settings = readSettings(
                JSON.stringify({
                  ...(description && { incentive: { code: "TEA10", description, expiresInHours: 48 } }),
                  ...(replyTo && { replyTo }),
                  chatUrl: "https://shop.example/chat",
                }),
              );
              const mail = renderRecovery({
                to: "ana@example.com",
                from: "shop@example.com",
                messageId: "m-1",
                shop,
                origins: ["https://shop.example"],
                settings,
                reason,
                step: 2,
                name,
                cart: { currency: "EUR", lines: PRODUCTS.map((p, i) => ({ id: `l${i}`, name: p, variant: p, price: 1250, quantity: 1 })) },
                restoreUrl: "https://c.example/r/t",
                unsubscribeUrl: "https://c.example/u/t",
                language,
                locale,
                timeZone: "America/Mexico_City",
                // 48 h later is 8:26 in the morning in Mexico City: "8:26 a.m." in es-MX.
                now: NOW,
              });
              const dates = [formatDateTime(NOW + 48 * 3_600_000, locale, "America/Mexico_City")];
              cases++;
              const where = `${locale} ${reason} name=${JSON.stringify(name)} shop=${JSON.stringify(shop.slice(0, 20))} offer=${JSON.stringify(description)} replyTo=${Boolean(replyTo)}`;
              const found = [
                ...proofread(mail.subject, { french, dates }).map((f) => `subject: ${f}`),
                ...proofread(prose(mail.text), { french, dates }).map((f) => `text: ${f}`),
                ...runOn(mail.text, language),
                ...(BIDI.test(mail.html) ? ["html: bidi control shown"] : []),
                ...(!replyTo && REPLY.test(mail.text) ? ["a reply is promised with no Reply-To"] : []),
                ...(/ingredient|ingrediente|Inhaltsstoffe|composition|ingrediënten/i.test(mail.text) ? ["shop-specific words"] : []),
              ];
              if (found.length) failures.push(`${where} => ${[...new Set(found)].join("; ")}`);
            }
          }
        }
      }
    }
    expect(cases).toBe(LOCALES.length * REASONS.length * SHOPS.length * INCENTIVES.length * 2);
    expect(failures.slice(0, 25), `${failures.length} of ${cases} emails fail: ${tally(failures)}`).toEqual([]);
  });

  it("texts: every language variant × reason × shop × code, within the segment budget", () => {
    const failures: string[] = [];
    let cases = 0;
    for (const locale of LOCALES) {
      const { language } = chooseLanguage(locale, LANGUAGES, "en");
      for (const reason of REASONS) {
        for (const shop of SHOPS) {
          for (const code of [undefined, "TEA10"]) {
            const { body, segments } = renderText({ language, settings: readSettings("{}"), reason, shop, link: LINK, code });
            cases++;
            const found = [...proofread(body, { french: language.startsWith("fr"), sms: true }), ...runOn(body, language)];
            if (segments > MAX_SEGMENTS) found.push(`${segments} segments`);
            if (!body.includes(LINK) || !body.includes("STOP")) found.push("no link or no opt-out");
            if (found.length) failures.push(`${locale} ${reason} ${JSON.stringify(shop.slice(0, 20))} ${code} => ${found.join("; ")}`);
          }
        }
      }
    }
    expect(failures.slice(0, 25), `${failures.length} of ${cases} texts fail: ${tally(failures)}`).toEqual([]);
  });

  it("link pages: every language variant, with hostile shop names", () => {
    const failures: string[] = [];
    for (const locale of LOCALES) {
      const { language } = chooseLanguage(locale, LANGUAGES, "en");
      for (const shop of SHOPS) {
        const pages = [
          linkExpiredPage(7, language),
          alreadyOrderedPage(shop, language),
          cartWaitingPage(language),
          unsubscribePage("ana@example.com", shop, language),
          unsubscribedPage("ana@example.com", language),
          unknownLinkPage(language),
        ];
        for (const page of pages) {
          const text = page
            .toString()
            .replace(/<style>[\s\S]*?<\/style>|<script>[\s\S]*?<\/script>/g, "")
            .replace(/<[^>]+>/g, "\n")
            .replace(/&#39;/g, "'")
            .replace(/&quot;/g, '"')
            .replace(/&amp;/g, "&")
            .replace(/&lt;|&gt;/g, "")
            .split("\n")
            .map((l) => l.trim())
            .filter(Boolean)
            .join("\n");
          const found = proofread(text, { french: language.startsWith("fr") });
          if (found.length) failures.push(`${locale} ${JSON.stringify(shop.slice(0, 20))} => ${found.join("; ")}`);
        }
      }
    }
    expect(failures.slice(0, 25), `${failures.length} pages fail: ${tally(failures)}`).toEqual([]);
  });
});
