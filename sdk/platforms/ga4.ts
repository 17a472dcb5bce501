// `cartback-ga4.js`: loaded by cartback.js on a shop whose analytics pushes GA4 ecommerce events
// (`data-platform="ga4"`, or "auto" where the page has a dataLayer, gtag or a Google tag). Hears
// every push to the page's data layers, renamed ones included (`names`) (gtag's calls too: gtag
// pushes its `arguments`), after reading what was pushed before it loaded, and turns the ecommerce
// events into the page's `cartback(...)` calls.
// GA4 events say nothing a recovery link could rebuild the shop's cart with: that stays the
// shop's `onRestore`, so this does not use `connect`.
import type { Cart } from "../../protocol/types";
import type { Script } from "../extras";
import { warn } from "../warn";
import { cartback } from "./common";
import { apply, type Ga4Event, GOOGLE_TAGS, readEntry } from "./ga4-events";

type Layer = unknown[] & { cartback?: 1 };

// Null when a bundler's page imports this file rather than the core loading it.
const script = document.currentScript as Script | null;
const seen = new WeakSet<object>();
let chain: Promise<unknown> = Promise.resolve();

// One event at a time, in push order: each delta applies to the cart the one before left.
const take = (entry: unknown): void => {
  if (!entry || typeof entry !== "object" || seen.has(entry)) return;
  seen.add(entry);
  const event = readEntry(entry) as Ga4Event;
  if (!event) return;
  chain = chain
    .then(async () => {
      const { cart, calls } = apply((await cartback("getCart")) as Cart | undefined, event, script?.dataset.currency);
      if (cart) await cartback("setCart", cart);
      for (const call of calls) await cartback(...call);
    })
    .catch(warn);
};

/**
 * The data layers Google's tags read on this page, by name: the tag's `data-datalayer` alone when
 * set; else the one GTM4WP names (`gtm4wp_datalayer_name`), and each GTM or gtag.js loader's
 * (its `l` parameter, as Google's snippet passes a renamed layer: `gtm.js?id=…&l=shopLayer`;
 * `dataLayer` without one); `dataLayer` when the page shows none of them.
 */
const names = (): string[] => {
  const own = script?.dataset.datalayer;
  if (own) return [own];
  const found = new Set<string>();
  const gtm4wp = (window as { gtm4wp_datalayer_name?: unknown }).gtm4wp_datalayer_name;
  if (typeof gtm4wp === "string" && gtm4wp) found.add(gtm4wp);
  for (const tag of document.querySelectorAll<HTMLScriptElement>(GOOGLE_TAGS))
    found.add(new URL(tag.src, location.href).searchParams.get("l") || "dataLayer");
  return found.size ? [...found] : ["dataLayer"];
};

const hook = (): void => {
  const w = window as unknown as Record<string, unknown>;
  for (const name of names()) {
    w[name] ||= [];
    const layer = w[name] as Layer;
    if (!Array.isArray(layer) || layer.cartback) continue;
    layer.cartback = 1;
    for (const entry of layer) take(entry);
    const push = layer.push;
    layer.push = function (this: Layer, ...entries: unknown[]) {
      const length = push.apply(this, entries);
      for (const entry of entries) take(entry);
      return length;
    };
  }
};
hook();
// A page (or a tag manager) that replaces its data layer array, or a loader added later, is hooked then.
setInterval(hook, 1000);
