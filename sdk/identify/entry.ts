// `cartback-identify.js`: hands the core (sdk/tag.ts) what `identify` and `signOut` do, once the
// core loaded it on a page's first call of either.
import type { Script } from "../extras";
import { identifyShopper, signOut } from "./index";

(document.currentScript as Script).give?.({ identify: identifyShopper, signOut });
