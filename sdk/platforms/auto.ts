// `cartback-auto.js`: loaded by cartback.js for `data-platform="auto"`. Looks at what the page
// shows and loads that platform's adapter through the core's loader: Shopify's `window.Shopify`,
// WooCommerce's settings (`wcSettings`, `wc_add_to_cart_params`, the blocks' Store API nonce),
// else a GA4 `dataLayer` or `gtag`. Nothing is loaded on a page that shows none of them.
import type { Script } from "../extras";

const script = document.currentScript as Script;

/**
 * The adapter for what `page` shows, or undefined.
 *
 * @example
 * detect({ Shopify: { shop: "x.myshopify.com" } }); // "shopify"
 */
export const detect = (page: Record<string, unknown>): string | undefined =>
  page.Shopify
    ? "shopify"
    : page.wcSettings || page.wc_add_to_cart_params || page.wcBlocksMiddlewareConfig
      ? "woocommerce"
      : page.dataLayer || page.gtag
        ? "ga4"
        : undefined;

const pick = (): void => {
  const name = detect(window as never);
  if (name && script) script.load(name);
};
// The page's own settings are inline scripts: all of them have run once the document is parsed.
if (document.readyState === "loading") addEventListener("DOMContentLoaded", pick);
else pick();
