// The pasted pixel's body: the two settings come from the first lines of examples/shopify/pixel.js.
import { type PixelApi, startPixel } from "./pixel";

declare const CARTBACK_SITE: string;
declare const CARTBACK_ENDPOINT: string;
// A Custom Pixel's globals (https://shopify.dev/docs/apps/build/marketing-analytics/pixels#sandbox-environments).
declare const analytics: PixelApi["analytics"];
declare const browser: PixelApi["browser"];
declare const init: PixelApi["init"];
declare const api: { customerPrivacy?: PixelApi["customerPrivacy"] } | undefined;

startPixel(
  { analytics, browser, init, customerPrivacy: typeof api === "undefined" ? undefined : api.customerPrivacy },
  { site: CARTBACK_SITE, endpoint: CARTBACK_ENDPOINT },
);
