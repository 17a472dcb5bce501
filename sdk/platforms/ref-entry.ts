// `cartback-ref.js`: loaded by the Shopify and WooCommerce adapters (sdk/platforms/common.ts
// `refs`). Records each cart or checkout token they tell it as a `ref` event.
import type { Script } from "../extras";
import { Signal } from "../extras";
import { recorder } from "./ref";

const ref = recorder(document.currentScript as Script);
addEventListener(Signal.REF, (e) => ref(...((e as CustomEvent<[unknown, unknown]>).detail || [])));
dispatchEvent(new Event(Signal.REF_READY));
