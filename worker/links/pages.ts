import { type Html, html, layout } from "../html";

// The pages a shopper sees after following a link from an email. Small cards, nothing to load
// (see `layout`), and nothing on them that a mail scanner's prefetch could act on.

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

const notice = (title: string, body: Html): Html => layout(title, body, { kind: "notice" });

/**
 * A restore link that is unknown or past its time (answered with 410). `days` is how long carts
 * are kept (the site's `cartTtlDays`), so the page tells what the collector does.
 *
 * @example
 * c.html(linkExpiredPage(site?.settings.cartTtlDays ?? CART_TTL_DAYS), 410, LINK_PAGE_HEADERS);
 */
export const linkExpiredPage = (days: number): Html =>
  notice(
    "Link expired",
    html`<h1>This link has expired</h1><p>Carts are kept for ${days} ${days === 1 ? "day" : "days"}. Visit the shop to start again.</p>`,
  );

/**
 * The restore link of a cart that was bought since, on any device: nothing to restore.
 *
 * @example
 * c.html(alreadyOrderedPage(site?.settings.shopName ?? site?.name), 200, LINK_PAGE_HEADERS);
 */
export const alreadyOrderedPage = (shop: string | undefined): Html =>
  notice(
    "Already ordered",
    html`<h1>You already ordered this</h1><p>Thank you! Your order at ${shop ?? "the shop"} went through, so there is nothing to restore.</p>`,
  );

/**
 * The restore link's landing page. Mail scanners prefetch links, so the GET that shows this page
 * changes nothing; in a real browser the form posts itself at once and the POST goes on to the
 * shop. Without JavaScript the shopper presses the button instead.
 *
 * @example
 * c.html(cartWaitingPage(), 200, LINK_PAGE_HEADERS);
 */
export const cartWaitingPage = (): Html =>
  notice(
    "Your cart",
    html`<h1>Your cart is waiting</h1><form method="post" id="go"><button type="submit">Open my cart</button></form><script>document.getElementById("go").submit()</script>`,
  );

/**
 * The unsubscribe link's confirmation: a prefetch must not unsubscribe anyone, so the GET asks
 * and the button posts.
 *
 * @example
 * c.html(unsubscribePage(link.email, site?.settings.shopName ?? site?.name), 200, LINK_PAGE_HEADERS);
 */
export const unsubscribePage = (email: string, shop: string | undefined): Html =>
  notice(
    "Unsubscribe",
    html`<h1>Unsubscribe?</h1><p>${email} will get no more cart reminders from ${shop ?? "this shop"}.</p><form method="post"><button type="submit">Unsubscribe</button></form>`,
  );

/**
 * After the unsubscribe button (or a mail client's one-click POST).
 *
 * @example
 * c.html(unsubscribedPage(link.email), 200, LINK_PAGE_HEADERS);
 */
export const unsubscribedPage = (email: string): Html =>
  notice("Unsubscribed", html`<h1>You are unsubscribed</h1><p>${email} will get no more cart reminders.</p>`);

/**
 * An unsubscribe link that is unknown or expired (answered with 404).
 *
 * @example
 * c.html(unknownLinkPage(), 404, LINK_PAGE_HEADERS);
 */
export const unknownLinkPage = (): Html => notice("Unknown link", html`<h1>This link is not valid</h1>`);
