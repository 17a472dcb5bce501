// What the core (`cartback.js`, sdk/tag.ts) and the extra files it loads where needed
// (`cartback-checkout.js`, `cartback-sync.js`, `cartback-restore.js`, `cartback-connect.js`, the
// platform adapters) have in common.
import type { Cart } from "../protocol/types";
import type { CheckData } from "./cart";
import type { NewEvent } from "./outbox";
import type { State, transact } from "./storage";

/** The events they tell each other with, on `window` (an enum: esbuild inlines each name). */
export enum Signal {
  /** The client tells the sync file the shopper signed out: the account left and the browser id. */
  SIGNED_OUT = "cartback:signout",
  /** The sync file tells the core (which sends its event and tells the onCart listeners) and the
   * connect file that it saved another device's cart here, in its own transaction: the `Cart`. */
  SYNCED = "cartback:sync",
  /** A platform adapter tells `cartback-ref.js` its cart or checkout token: `[platform, token]`. */
  REF = "cartback:ref",
  /** `cartback-ref.js` is listening: an adapter tells it again the token it last saw. */
  REF_READY = "cartback:ref-ready",
}

/**
 * An extra file's script element, as the core creates it: the core copies its data- attributes
 * onto it and hands it `transact`, so the saved state has one writer, the core's, and the core's
 * view of it (`known`) stays true. On the element rather than on `window.cartback`: only the files
 * the core loaded get it, and a page that wraps or replaces its `cartback` cannot lose it.
 */
export interface Script extends HTMLScriptElement {
  transact: typeof transact;
  /** The page's calls that a file takes: `connect` and `changed` for `cartback-connect.js`, `moment`
   * for `cartback-checkout.js`. Each takes those made before it loaded, then hears the next ones (`takeHeld`). */
  held: unknown[][];
  /** The page's `onRestore` calls, the same way, for `cartback-restore.js`. */
  restores: unknown[][];
  /** Records an event into the shared outbox under the core's consent and GPC rule, inside the
   * caller's `transact` (the checkout file's moments, the sync file's cart from another device, each
   * saved with what it reports); the core sends it on its next round. */
  emit: Emitter;
  /** The core's loader of extra files (`cartback-<name>.js`, once each), for `cartback-auto.js`. */
  load: (name: string) => unknown;
  /** For a file whose code the core calls (`cartback-identify.js`, `cartback-checkout.js`): hands
   * the core that code, by the file's name (`Files`). */
  give?: (code: Files) => void;
}

/** What a lazy file does for one of the core's calls, inside the core's `transact`: `arg` is the
 * call's argument, `emit` the core's recorder (its consent and GPC rule), `cart` the saved cart
 * (an empty one in the page's currency when there is none or it expired). */
export type Lazy = (state: State, arg: unknown, emit: Emitter, cart?: Cart) => void;

/** The code lazy files give the core, by call (`cartback-identify.js` gives `identify` and `signOut`,
 * the others their own name's); a file that did not load (blocked, offline) gives none, and the call
 * that needed it is refused with a warning. */
export interface Files {
  identify?: Lazy;
  /** In the identify file: the shopper's account. */
  signOut?: Lazy;
  checkout?: Lazy;
  purchase?: Lazy;
  data?: CheckData;
}

/** The core's recorder of events (sdk/outbox.ts `emitter`). */
export type Emitter = (state: State, event: NewEvent) => void;

/** The collector's origin: the tag's `data-endpoint`, else the origin the script came from. */
export const endpointOf = (script: HTMLScriptElement): string => script.dataset.endpoint || new URL(script.src).origin;

/**
 * Hands an extra file the core's held calls named `names` (`Script.held`): those made before it
 * loaded, in order, then each as it comes. Other files' calls stay held for them, so any number of
 * files can take their own, loaded in any order.
 *
 * @example
 * takeHeld(script.held, ["connect", "changed"], ([name, ...args]) => run(name, args));
 */
export function takeHeld(held: unknown[][], names: string[], take: (command: unknown[]) => void): void {
  const mine = (command: unknown[]) => names.includes(command[0] as string);
  for (const command of held.filter(mine)) {
    held.splice(held.indexOf(command), 1);
    take(command);
  }
  const pass = held.push.bind(held);
  held.push = (...commands) => {
    for (const command of commands) mine(command) ? take(command) : pass(command);
    return held.length;
  };
}
