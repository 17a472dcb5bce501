// The script-tag entry: reads its data- attributes, then swaps the page's command-queue stub for
// the real thing and replays what was queued, in order.
import { type Cartback, createCartback } from "./index";
import { warn } from "./warn";

type Command = [name: keyof Cartback, ...args: unknown[]];
type Queue = ((...command: Command) => unknown) & { q?: ArrayLike<Command>[] };

declare global {
  interface Window {
    cartback?: Queue;
  }
}

try {
  const script = document.currentScript as HTMLScriptElement;
  const data = script.dataset;
  if (!/^pk_/.test(data.site || "")) warn('the script tag needs data-site="pk_…"');
  const api = createCartback({
    site: data.site as string,
    endpoint: data.endpoint || new URL(script.src).origin,
    currency: data.currency,
    ttlDays: Number(data.ttlDays) || undefined,
  });
  // Checkout pages get the micro-moment detectors, in their own file: other pages pay nothing.
  let detectors: HTMLScriptElement | undefined;
  const watchCheckout = (): void => {
    if (detectors) return;
    detectors = document.createElement("script");
    detectors.src = new URL("cartback-checkout.js", script.src).href;
    Object.assign(detectors.dataset, { captureEmail: data.captureEmail, idleSeconds: data.idleSeconds });
    document.head.append(detectors);
  };
  if (data.checkout !== undefined) watchCheckout();
  const run: Queue = (name, ...args) => {
    if (name === "checkout") watchCheckout();
    try {
      // Own properties only: `cartback("constructor")` must not reach Object.prototype.
      if (Object.hasOwn(api, name)) return (api[name] as (...a: unknown[]) => unknown)(...args);
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
