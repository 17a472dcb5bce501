// `cartback-ga4.js`: loaded by cartback.js on a shop whose analytics pushes GA4 ecommerce events
// (`data-platform="ga4"`, or "auto" where the page has a dataLayer or gtag). Hears every
// `dataLayer.push` (gtag's calls included: gtag pushes its `arguments`), after reading what was
// pushed before it loaded, and turns the ecommerce events into the page's `cartback(...)` calls.
// GA4 events say nothing a recovery link could rebuild the shop's cart with: that stays the
// shop's `onRestore`, so this does not use `connect`.
import type { Cart } from "../../protocol/types";
import type { Script } from "../extras";
import { warn } from "../warn";
import { cartback } from "./common";
import { apply, type Ga4Event, readEntry } from "./ga4-events";

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

const hook = (): void => {
  const w = window as unknown as { dataLayer?: Layer };
  w.dataLayer ||= [];
  const layer = w.dataLayer;
  if (layer.cartback) return;
  layer.cartback = 1;
  for (const entry of layer) take(entry);
  const push = layer.push;
  layer.push = function (this: Layer, ...entries: unknown[]) {
    const length = push.apply(this, entries);
    for (const entry of entries) take(entry);
    return length;
  };
};
hook();
// A page (or a tag manager) that replaces its dataLayer array is hooked again.
setInterval(hook, 1000);
