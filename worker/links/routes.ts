import { type Context, Hono } from "hono";
import * as v from "valibot";
import { normalEmail } from "../../protocol/email";
import { RandomId } from "../../protocol/schema";
import type { Line } from "../../protocol/types";
import { browsersOf, cartOf, tieBrowser } from "../db/browsers";
import { linkBought, recordClick, suppress } from "../db/ledger";
import { findLink, type Link } from "../db/links";
import { findSite, type Site, siteById } from "../db/sites";
import { describeIssues, jsonError } from "../http/errors";
import { escapeHtml } from "../mail/render";
import { shopperStub } from "../recovery/shopper";
import { originAllowed } from "../sites/sites";
import { sendWebhook } from "../webhooks/send";

type Links = { Bindings: Env };

const OpenedSchema = v.strictObject({ token: v.pipe(v.string(), v.maxLength(100)), aid: RandomId });

/** A small, self-contained page: no external assets, nothing a scanner could follow. */
function page(c: Context, status: 200 | 404 | 410, title: string, body: string, script = ""): Response {
  c.header("Cache-Control", "no-store");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Robots-Tag", "noindex");
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;color:#1d1d1f;background:#f6f5f2;margin:0;display:grid;place-items:center;min-height:100vh}main{background:#fff;border-radius:12px;padding:32px;max-width:440px;margin:16px}button{font:inherit;padding:12px 24px;border:0;border-radius:8px;background:#345995;color:#fff;cursor:pointer}</style></head>
<body><main>${body}</main>${script}</body></html>`,
    status,
  );
}

const gone = (c: Context) =>
  page(c, 410, "Link expired", "<h1>This link has expired</h1><p>Carts are kept for 7 days. Visit the shop to start again.</p>");

/** Where a restored cart lands: the site's restore URL if it is on one of its origins, else its first origin. */
function restoreTarget(site: Site, token: string): string {
  const configured = site.settings.restoreUrl;
  const base =
    configured && originAllowed(site.origins, new URL(configured).origin)
      ? configured
      : `${site.origins.find((o) => !o.includes("*")) ?? ""}/`;
  const url = new URL(base);
  url.searchParams.set("cartback_restore", token);
  return url.href;
}

const purchased = (env: Env, link: Link): Promise<boolean> => linkBought(env.DB, link.site_id, link.aid, link.sequence_id);

const alreadyOrdered = (c: Context, site: Site | null) =>
  page(
    c,
    200,
    "Already ordered",
    `<h1>You already ordered this</h1><p>Thank you! Your order at ${escapeHtml(site?.settings.shopName ?? site?.name ?? "the shop")} went through, so there is nothing to restore.</p>`,
  );

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
    if (await purchased(c.env, link)) return alreadyOrdered(c, site);
    return page(
      c,
      200,
      "Your cart",
      `<h1>Your cart is waiting</h1><form method="post" id="go"><button type="submit">Open my cart</button></form>`,
      `<script>document.getElementById("go").submit()</script>`,
    );
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
    if (await purchased(c.env, link)) return alreadyOrdered(c, site);
    return c.redirect(restoreTarget(site, token), 303);
  })
  /**
   * POST /v1/restore?site=KEY `{ token, aid }`: the restored page saw a person's first input. The
   * click is counted (once per message), and the browser is tied to the person: from now on it is
   * one of theirs, so its activity means they came back and its purchase ends their intent.
   */
  .post("/v1/restore", async (c) => {
    const origin = c.req.header("origin");
    const site = await findSite(c.env.DB, c.req.query("site") ?? "");
    if (!site) return jsonError(c, 401, "unknown_site_key", "no site has this key");
    if (!originAllowed(site.origins, origin)) return jsonError(c, 403, "origin_not_allowed", "this origin may not open links of this site");
    c.header("Access-Control-Allow-Origin", origin);
    c.header("Vary", "Origin");
    const body = v.safeParse(OpenedSchema, await c.req.json().catch(() => undefined));
    if (!body.success) return jsonError(c, 422, "invalid_open", "send { token, aid }", describeIssues(body.issues));
    const link = await findLink(c.env.DB, body.output.token, "restore");
    if (!link || link.site_id !== site.id) return jsonError(c, 404, "unknown_restore_token", "this restore link is unknown or has expired");
    const now = Date.now();
    const { aid } = body.output;
    const first = await recordClick(c.env.DB, link.message_id, now);
    await tieBrowser(c.env.DB, site.id, aid, link.email, now).run();
    if (link.sequence_id) {
      const [tied] = await browsersOf(c.env.DB, site.id, [aid]);
      await shopperStub(c.env, site.id, link.email).opened(site.id, link.email, link.sequence_id, aid, now, tied?.browser);
      if (first) {
        await sendWebhook(c.env, site.id, site.settings, "click", {
          messageId: link.message_id,
          sequenceId: link.sequence_id,
          email: link.email,
        });
      }
    }
    return c.json({ opened: true });
  })
  /** GET /v1/restore?site=KEY&token=…: the script fetches the cart to restore, from the shop's page. */
  .get("/v1/restore", async (c) => {
    const origin = c.req.header("origin");
    const site = await findSite(c.env.DB, c.req.query("site") ?? "");
    if (!site) return jsonError(c, 401, "unknown_site_key", "no site has this key");
    // The token is the credential. A foreign page is refused; a same-origin GET carries no Origin.
    if (origin !== undefined && !originAllowed(site.origins, origin)) {
      return jsonError(c, 403, "origin_not_allowed", "this origin may not restore carts of this site");
    }
    if (origin) c.header("Access-Control-Allow-Origin", origin);
    c.header("Vary", "Origin");
    c.header("Cache-Control", "no-store");
    const link = await findLink(c.env.DB, c.req.query("token") ?? "", "restore");
    if (!link || link.site_id !== site.id) return jsonError(c, 404, "unknown_restore_token", "this restore link is unknown or has expired");
    if (await purchased(c.env, link)) return c.json({ status: "purchased" });
    const cart = link.aid ? await cartOf(c.env.DB, site.id, link.aid) : null;
    if (!cart || cart.expiresAt <= Date.now()) return jsonError(c, 404, "cart_expired", "this cart has expired");
    return c.json({ status: "restored", cart: { currency: cart.currency, lines: cart.lines } });
  })
  /** GET /u/:token: a confirmation page (a prefetch must not unsubscribe anyone). */
  .get("/u/:token", async (c) => {
    const link = await findLink(c.env.DB, c.req.param("token"), "unsubscribe");
    if (!link) return page(c, 404, "Unknown link", "<h1>This link is not valid</h1>");
    const site = await siteById(c.env.DB, link.site_id);
    return page(
      c,
      200,
      "Unsubscribe",
      `<h1>Unsubscribe?</h1><p>${escapeHtml(link.email)} will get no more cart reminders from ${escapeHtml(site?.settings.shopName ?? site?.name ?? "this shop")}.</p><form method="post"><button type="submit">Unsubscribe</button></form>`,
    );
  })
  /** POST /u/:token: the button, or a mail client's RFC 8058 one-click (List-Unsubscribe=One-Click). */
  .post("/u/:token", async (c) => {
    const link = await findLink(c.env.DB, c.req.param("token"), "unsubscribe");
    if (!link) return page(c, 404, "Unknown link", "<h1>This link is not valid</h1>");
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const source = form["List-Unsubscribe"] === "One-Click" ? "one_click" : "link";
    await suppress(c.env.DB, link.site_id, normalEmail(link.email), source, Date.now());
    await shopperStub(c.env, link.site_id, link.email).unsubscribed();
    return page(c, 200, "Unsubscribed", `<h1>You are unsubscribed</h1><p>${escapeHtml(link.email)} will get no more cart reminders.</p>`);
  });
