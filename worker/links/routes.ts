import { type Context, Hono, type MiddlewareHandler } from "hono";
import * as v from "valibot";
import { normalEmail } from "../../protocol/email";
import { CART_TTL_DAYS } from "../../protocol/limits";
import { RandomId } from "../../protocol/schema";
import type { Language } from "../copy/builtin";
import { browsersOf, cartOf } from "../db/browsers";
import { noteClick } from "../db/click-ties";
import { codeOfSequence } from "../db/codes";
import { linkBought, messageLanguage, messageStep, messageTemplate, recordClick, suppress } from "../db/ledger";
import { messageChannel } from "../db/sms";
import { ApiError } from "../http/errors";
import { jsonBody } from "../http/validate";
import { isPhoneKey, PHONE_KEY } from "../recovery/person";
import { shopperStub } from "../recovery/shopper";
import { offersIncentive, REASONS, type Reason } from "../sites/settings";
import { findSite, originAllowed, type Site, siteById } from "../sites/sites";
import { sendWebhook } from "../webhooks/send";
import {
  alreadyOrderedPage,
  cartWaitingPage,
  LINK_PAGE_HEADERS,
  linkExpiredPage,
  pageLanguage,
  unknownLinkPage,
  unsubscribedPage,
  unsubscribePage,
} from "./pages";
import { findLink, type Link } from "./tokens";

type Links = { Bindings: Env; Variables: { site: Site } };

/**
 * The site of a restore request (`?site=`), from one of its origins: the token is the credential,
 * so a foreign page is refused. A same-origin GET carries no Origin and may go on (`originRequired`
 * false); the POST always does. Sets `c.var.site`, and the CORS headers for the shop's page.
 */
const linkSite =
  (originRequired: boolean): MiddlewareHandler<Links> =>
  async (c, next) => {
    const origin = c.req.header("origin");
    const site = await findSite(c.env.DB, c.req.query("site") ?? "");
    if (!site) throw new ApiError(401, "unknown_site_key", "no site has this key");
    if ((originRequired || origin !== undefined) && !originAllowed(site.origins, origin)) {
      throw new ApiError(403, "origin_not_allowed", "this origin may not restore carts of this site");
    }
    if (origin) c.header("Access-Control-Allow-Origin", origin);
    c.header("Vary", "Origin");
    c.set("site", site);
    await next();
  };

const unknownToken = () => new ApiError(404, "unknown_restore_token", "this restore link is unknown or has expired");

const OpenedSchema = v.strictObject({ token: v.pipe(v.string(), v.maxLength(100)), aid: RandomId });

// An unknown or expired token names no site (findLink returns only live links), so the page tells
// the default lifetime.
const gone = (c: Context) => c.html(linkExpiredPage(CART_TTL_DAYS), 410, LINK_PAGE_HEADERS);

/**
 * Where a restored cart lands: the site's restore URL for the message's reason, else its restore
 * URL, each only while it is on one of the site's origins; else its first origin.
 */
function restoreTarget(site: Site, token: string, template: string | null): string {
  const onOrigins = (url: string | undefined) => url && originAllowed(site.origins, new URL(url).origin) && url;
  const forReason = (REASONS as readonly string[]).includes(template ?? "") ? site.settings.restoreUrls[template as Reason] : undefined;
  const base = onOrigins(forReason) || onOrigins(site.settings.restoreUrl) || `${site.origins.find((o) => !o.includes("*")) ?? ""}/`;
  const url = new URL(base);
  url.searchParams.set("cartback_restore", token);
  return url.href;
}

const purchased = (env: Env, link: Link): Promise<boolean> => linkBought(env.DB, link.site_id, link.aid, link.sequence_id);

const alreadyOrdered = (c: Context, site: Site | null, language: Language) =>
  c.html(alreadyOrderedPage(site?.settings.shopName ?? site?.name, language), 200, LINK_PAGE_HEADERS);

/** The language of the email a link came in: its message's, else the site's default. */
const languageOf = async (env: Env, link: Link, site: Site | null): Promise<Language> =>
  pageLanguage((link.message_id ? await messageLanguage(env.DB, link.message_id) : null) ?? site?.settings.defaultLanguage);

/** The code a recovery link's message offered (the sequence's own from the pool, else the static
 * one), for a Shopify cart permalink's `?discount=`; undefined when the message offered none. */
async function discountOf(env: Env, site: Site, link: Link): Promise<string | undefined> {
  const message = link.message_id ? await messageStep(env.DB, link.message_id) : null;
  const incentive = site.settings.incentive;
  if (!message || !incentive || !offersIncentive(site.settings, message.template as Reason, message.step)) return undefined;
  if (!incentive.unique) return incentive.code;
  const own = link.sequence_id ? await codeOfSequence(env.DB, site.id, link.sequence_id) : null;
  return own ?? (incentive.whenPoolEmpty === "none" ? undefined : incentive.code);
}

export const links = new Hono<Links>()
  /**
   * GET /r/:token: mail scanners prefetch links, so a GET changes nothing. The page continues by
   * itself (a form POST) in a real browser, and has a button for one without JavaScript.
   */
  .get("/r/:token", async (c) => {
    const token = c.req.param("token");
    const link = await findLink(c.env.DB, token, "restore");
    if (!link) return gone(c);
    const site = await siteById(c.env.DB, link.site_id);
    const language = await languageOf(c.env, link, site);
    if (await purchased(c.env, link)) return alreadyOrdered(c, site, language);
    return c.html(cartWaitingPage(language), 200, LINK_PAGE_HEADERS);
  })
  /**
   * POST /r/:token: on to the shop with the cart. Not yet a click: a scanner that runs the page's
   * script gets here too. The click is the shop page's report of a person's input (below).
   */
  .post("/r/:token", async (c) => {
    const token = c.req.param("token");
    const link = await findLink(c.env.DB, token, "restore");
    if (!link) return gone(c);
    const site = await siteById(c.env.DB, link.site_id);
    if (!site) return gone(c);
    if (await purchased(c.env, link)) return alreadyOrdered(c, site, await languageOf(c.env, link, site));
    const template = link.message_id ? await messageTemplate(c.env.DB, link.message_id) : null;
    return c.redirect(restoreTarget(site, token, template), 303);
  })
  /**
   * POST /v1/restore?site=KEY `{ token, aid }`: the restored page saw a person's first input. The
   * click is counted (once per message) and the person came back; the browser's orders from now on
   * are credited to the message and end the intent. It becomes theirs only by identifying there.
   */
  .post("/v1/restore", linkSite(true), jsonBody(OpenedSchema, "invalid_open", "send { token, aid }", "schema"), async (c) => {
    const { site } = c.var;
    const { token, aid } = c.req.valid("json");
    const link = await findLink(c.env.DB, token, "restore");
    if (!link || link.site_id !== site.id) throw unknownToken();
    const now = Date.now();
    const first = await recordClick(c.env.DB, link.message_id, now);
    if (link.sequence_id) {
      // Opening a link makes no one who they did not say they are (a forwarded link): a browser
      // already the person's is looked at as theirs; any other only notes the click, so its
      // orders are credited to the message (observe.ts) while it, and its carts, stay its own.
      const [known] = await browsersOf(c.env.DB, site.id, [aid]);
      const own = known?.key !== undefined && known.key === normalEmail(link.email);
      if (!own) await noteClick(c.env.DB, site.id, aid, link.sequence_id, now);
      await shopperStub(c.env, site.id, link.email).opened(
        site.id,
        link.email,
        link.sequence_id,
        aid,
        now,
        own ? known.browser : undefined,
      );
      if (first) {
        await sendWebhook(c.env, site.id, site.settings, "click", {
          messageId: link.message_id,
          sequenceId: link.sequence_id,
          ...(isPhoneKey(link.email) ? { phone: link.email.slice(PHONE_KEY.length) } : { email: link.email }),
          // The channel of the message the link came in: a call centre tells texts from emails.
          channel: (link.message_id ? await messageChannel(c.env.DB, link.message_id) : null) ?? "email",
        });
      }
    }
    return c.json({ opened: true });
  })
  /** GET /v1/restore?site=KEY&token=…: the script fetches the cart to restore, from the shop's page. */
  .get("/v1/restore", linkSite(false), async (c) => {
    const { site } = c.var;
    c.header("Cache-Control", "no-store");
    const link = await findLink(c.env.DB, c.req.query("token") ?? "", "restore");
    if (!link || link.site_id !== site.id) throw unknownToken();
    if (await purchased(c.env, link)) return c.json({ status: "purchased" });
    const cart = link.aid ? await cartOf(c.env.DB, site.id, link.aid) : null;
    if (!cart || cart.expiresAt <= Date.now()) throw new ApiError(404, "cart_expired", "this cart has expired");
    const { restoreMode, cartPermalink } = site.settings;
    return c.json({
      status: "restored",
      cart: { currency: cart.currency, lines: cart.lines },
      restoreMode,
      ...(cartPermalink && { cartPermalink, discount: await discountOf(c.env, site, link) }),
    });
  })
  /** GET /u/:token: a confirmation page (a prefetch must not unsubscribe anyone). */
  .get("/u/:token", async (c) => {
    const link = await findLink(c.env.DB, c.req.param("token"), "unsubscribe");
    if (!link) return c.html(unknownLinkPage(), 404, LINK_PAGE_HEADERS);
    const site = await siteById(c.env.DB, link.site_id);
    const language = await languageOf(c.env, link, site);
    return c.html(unsubscribePage(link.email, site?.settings.shopName ?? site?.name, language), 200, LINK_PAGE_HEADERS);
  })
  /** POST /u/:token: the button, or a mail client's RFC 8058 one-click (List-Unsubscribe=One-Click). */
  .post("/u/:token", async (c) => {
    const link = await findLink(c.env.DB, c.req.param("token"), "unsubscribe");
    if (!link) return c.html(unknownLinkPage(), 404, LINK_PAGE_HEADERS);
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const source = form["List-Unsubscribe"] === "One-Click" ? "one_click" : "link";
    await suppress(c.env.DB, link.site_id, normalEmail(link.email), source, Date.now());
    await shopperStub(c.env, link.site_id, link.email).unsubscribed();
    const language = await languageOf(c.env, link, await siteById(c.env.DB, link.site_id));
    return c.html(unsubscribedPage(link.email, language), 200, LINK_PAGE_HEADERS);
  });
