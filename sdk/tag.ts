// The script-tag entry: reads its data- attributes, then swaps the page's command-queue stub for
// the real thing and replays what was queued, in order.
import { type Cartback, createClient } from "./client";
import { gpcOn } from "./consent";
import { endpointOf, type Files, type Script } from "./extras";
import { emitter } from "./outbox";
import { transact } from "./storage";
import { warn } from "./warn";

type Command = [name: keyof Cartback | "connect" | "changed", ...args: unknown[]];
type Queue = ((...command: Command) => unknown) & { q?: ArrayLike<Command>[] };

declare global {
  interface Window {
    cartback?: Queue;
  }
}

try {
  const script = document.currentScript as HTMLScriptElement;
  const data = script.dataset;
  // An absent one tests as "undefined".
  if (!/^pk_/.test(data.site as string)) warn('the script tag needs data-site="pk_…"');
  // Extra code in its own file, loaded once and only where needed: the micro-moment detectors on
  // checkout pages, the cross-device sync for signed-in shoppers, the cart of a recovery link, the
  // shop's own cart (`connect`), a platform's adapter, what `identify` does. Other pages pay nothing.
  const files: Record<string, Promise<Files>> = {};
  const emit = emitter(data.gpc != null && gpcOn());
  // Calls kept for the file that takes them from here once it loads (sdk/extras.ts `takeHeld`).
  const held: unknown[][] = [];
  const restores: unknown[][] = [];
  // Settles once the file ran: with the code it gave (identify, checkout), or with no code (it gives
  // none, or could not load, and the call that needed it is refused), so no call waits forever.
  const load = (name: string): Promise<Files> =>
    (files[name] ||= new Promise((give) => {
      const extra = document.createElement("script") as Script;
      extra.src = new URL(`cartback-${name}.js`, script.src).href;
      Object.assign(extra.dataset, data);
      // Their reads and writes of the saved state go through our transact: one writer of the store.
      Object.assign(extra, { transact, held, restores, emit, load, give, onload: give, onerror: give });
      document.head.append(extra);
    }));
  const api = createClient(
    {
      // site, currency and locale as they are; the client reads only the options it knows.
      ...(data as { site: string }),
      endpoint: endpointOf(script),
      // Absent, NaN: the client falls back to its default.
      ttlDays: +(data.ttlDays as string),
      consent: data.consent === "required",
      gpc: data.gpc != null,
    },
    load,
  );
  if (data.checkout != null) load("checkout");
  // A platform's adapter: data-platform="shopify", "woocommerce", "ga4", or "auto" (a small file
  // that looks at the page and loads one of them through `load`).
  if (data.platform) load(data.platform);
  // The browser id goes to the extra files with the other data- attributes (the restore file needs it).
  transact((s) => s).then(({ aid, account }) => {
    data.aid = aid;
    if (account) load("sync");
    if (location.search.includes("cartback_restore=")) load("restore");
  }, warn);
  const run: Queue = (name, ...args) => {
    // Moments are recorded by the checkout file (sdk/moment.ts): a shop's own loads it.
    if (name === "moment") load("checkout");
    if (name === "connect") load(name);
    if (name === "connect" || name === "changed" || name === "moment") return held.push([name, ...args]);
    // For the restore file, loaded on a page opened from a recovery link (never called elsewhere).
    if (name === "onRestore") return restores.push([name, ...args]);
    try {
      // Own properties only: `cartback("constructor")` must not reach Object.prototype.
      if (Object.hasOwn(api, name)) return (api[name as keyof typeof api] as (...a: unknown[]) => unknown)(...args);
      warn("unknown command", name);
    } catch (e) {
      warn(e);
    }
  };
  const queued = window.cartback?.q || [];
  window.cartback = run;
  for (const command of queued) run(...(Array.from(command) as Command));
} catch (e) {
  warn(e);
}
