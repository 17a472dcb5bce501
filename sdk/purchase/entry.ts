// `cartback-purchase.js`: hands the core (sdk/tag.ts) what `purchase` does, once the core loaded it
// on a page's first `purchase` (a shop's order confirmation).
import type { Script } from "../extras";
import { purchase } from "./index";

(document.currentScript as Script).give?.({ purchase });
