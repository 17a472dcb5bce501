import { BUILTIN_COPY, COPY_LANGUAGES, type Copy, fillCopy, type Language } from "../copy/builtin";
import { plainText, typeset } from "../copy/typography";
import { formatUnit, type Html, html, layout } from "../html";

// The pages a shopper sees after following a link from an email, in the language of that email.
// Small cards, nothing to load (see `layout`), and nothing on them that a mail scanner's prefetch
// could act on.

/**
 * The headers of every link page: the URL holds a token, so the page is not cached, the token is
 * not sent on as a Referer to wherever the shopper goes next, and no search engine keeps it.
 *
 * @example
 * return c.html(unknownLinkPage(), 404, LINK_PAGE_HEADERS);
 */
export const LINK_PAGE_HEADERS = {
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Robots-Tag": "noindex",
} as const satisfies Record<string, string>;

/**
 * A stored language (a message's, a site's), as one with built-in copy: English for anything else.
 *
 * @example
 * pageLanguage("es-419"); // "es-419"
 * pageLanguage(null); // "en"
 */
export const pageLanguage = (value: string | null | undefined): Language =>
  (COPY_LANGUAGES as readonly string[]).includes(value ?? "") ? (value as Language) : "en";

/** The page's words in a language, each spaced as the language spaces punctuation. */
const wordsOf = (language: Language): Copy =>
  Object.fromEntries(Object.entries(BUILTIN_COPY[language]).map(([k, v]) => [k, typeof v === "string" ? typeset(v, language) : v])) as Copy;
/** A shop's name as a page shows it: one line, no controls, nothing that turns the text around. */
const shopShown = (shop: string | undefined, language: Language) => plainText(shop ?? "") || BUILTIN_COPY[language].theShop;

const notice = (language: Language, title: string, body: Html): Html => layout(title, body, { kind: "notice", lang: language });

/**
 * A restore link that is unknown or past its time (answered with 410). `days` is how long carts
 * are kept (the site's `cartTtlDays`), so the page tells what the collector does.
 *
 * @example
 * c.html(linkExpiredPage(site?.settings.cartTtlDays ?? CART_TTL_DAYS, "es"), 410, LINK_PAGE_HEADERS);
 */
export const linkExpiredPage = (days: number, language: Language = "en"): Html => {
  const w = wordsOf(language);
  const body = fillCopy(w.expiredBody, { duration: formatUnit(days, "day", language) });
  return notice(language, w.expiredTitle, html`<h1>${w.expiredHeading}</h1><p>${body}</p>`);
};

/**
 * The restore link of a cart that was bought since, on any device: nothing to restore.
 *
 * @example
 * c.html(alreadyOrderedPage(site?.settings.shopName ?? site?.name, "es"), 200, LINK_PAGE_HEADERS);
 */
export const alreadyOrderedPage = (shop: string | undefined, language: Language = "en"): Html => {
  const w = wordsOf(language);
  return notice(
    language,
    w.orderedTitle,
    html`<h1>${w.orderedHeading}</h1><p>${fillCopy(w.orderedBody, { shop: shopShown(shop, language) })}</p>`,
  );
};

/**
 * The restore link's landing page. Mail scanners prefetch links, so the GET that shows this page
 * changes nothing; in a real browser the form posts itself at once and the POST goes on to the
 * shop. Without JavaScript the shopper presses the button instead.
 *
 * @example
 * c.html(cartWaitingPage("es"), 200, LINK_PAGE_HEADERS);
 */
export const cartWaitingPage = (language: Language = "en"): Html => {
  const w = wordsOf(language);
  return notice(
    language,
    w.waitingTitle,
    html`<h1>${w.waitingHeading}</h1><form method="post" id="go"><button type="submit">${w.waitingButton}</button></form><script>document.getElementById("go").submit()</script>`,
  );
};

/**
 * The unsubscribe link's confirmation: a prefetch must not unsubscribe anyone, so the GET asks
 * and the button posts.
 *
 * @example
 * c.html(unsubscribePage(link.email, site?.settings.shopName ?? site?.name, "es"), 200, LINK_PAGE_HEADERS);
 */
export const unsubscribePage = (email: string, shop: string | undefined, language: Language = "en"): Html => {
  const w = wordsOf(language);
  return notice(
    language,
    w.unsubscribeTitle,
    html`<h1>${w.unsubscribeHeading}</h1><p>${fillCopy(w.unsubscribeBody, { email, shop: shopShown(shop, language) })}</p><form method="post"><button type="submit">${w.unsubscribeButton}</button></form>`,
  );
};

/**
 * After the unsubscribe button (or a mail client's one-click POST).
 *
 * @example
 * c.html(unsubscribedPage(link.email, "es"), 200, LINK_PAGE_HEADERS);
 */
export const unsubscribedPage = (email: string, language: Language = "en"): Html => {
  const w = wordsOf(language);
  return notice(language, w.unsubscribedTitle, html`<h1>${w.unsubscribedHeading}</h1><p>${fillCopy(w.unsubscribedBody, { email })}</p>`);
};

/**
 * An unsubscribe link that is unknown or expired (answered with 404).
 *
 * @example
 * c.html(unknownLinkPage(), 404, LINK_PAGE_HEADERS);
 */
export const unknownLinkPage = (language: Language = "en"): Html => {
  const w = wordsOf(language);
  return notice(language, w.unknownTitle, html`<h1>${w.unknownHeading}</h1>`);
};
