// `cartback-sync.js`: loaded by cartback.js for signed-in shoppers only. Starts the cross-device
// cart (./index.ts) with what the core handed over on this file's script element (sdk/extras.ts):
// its `transact`, so the core stays the one writer of the store, and its `emit`.
import type { Cart } from "../../protocol/types";
import { gpcOn } from "../consent";
import { endpointOf, type Script } from "../extras";
import { sync } from "./index";

type Queue = (...args: unknown[]) => unknown;
const script = document.currentScript as Script;
const data = script.dataset;
const cartback: Queue = (...args) => (window as unknown as { cartback: Queue }).cartback(...args);

sync(
  { endpoint: endpointOf(script), site: data.site as string, consent: data.consent === "required" },
  { getCart: () => cartback("getCart") as Promise<Cart | undefined>, onCart: (listener) => cartback("onCart", listener) as () => void },
  script.transact,
  script.emit,
  data.gpc != null && gpcOn(),
);
