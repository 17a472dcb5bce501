// `cartback-auto.js`: loaded by cartback.js for `data-platform="auto"`. Looks at what the page
// shows and loads that platform's adapter through the core's loader: Shopify's `window.Shopify`,
// WooCommerce's settings (`wcSettings`, `wc_add_to_cart_params`, the blocks' Store API nonce),
// else a GA4 `dataLayer` or `gtag`, GTM4WP's layer name, or a Google tag (`tagged`: a GTM or
// gtag.js loader on the page, whose layer may be renamed, or the tag's own `data-datalayer`).
// Nothing is loaded on a page that shows none of them.
import type { Script } from "../extras";
import { GOOGLE_TAGS } from "./ga4-events";

const script = document.currentScript as Script;

/**
 * The adapter for what `page` shows, or undefined.
 *
 * @example
 * detect({ Shopify: { shop: "x.myshopify.com" } }); // "shopify"
 */
export const detect = (page: Record<string, unknown>, tagged = false): string | undefined =>
  page.Shopify
    ? "shopify"
    : page.wcSettings || page.wc_add_to_cart_params || page.wcBlocksMiddlewareConfig
      ? "woocommerce"
      : page.dataLayer || page.gtag || page.gtm4wp_datalayer_name || tagged
        ? "ga4"
        : undefined;

const pick = (): void => {
  const name = detect(window as never, Boolean(script?.dataset.datalayer || document.querySelector(GOOGLE_TAGS)));
  if (name && script) script.load(name);
};
// The page's own settings are inline scripts: all of them have run once the document is parsed.
if (document.readyState === "loading") addEventListener("DOMContentLoaded", pick);
else pick();
