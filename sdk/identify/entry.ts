// `cartback-identify.js`: hands the core (sdk/tag.ts) what `identify` does, once the core loaded it
// on a page's first `identify`.
import type { Script } from "../extras";
import { identifyShopper } from "./index";

(document.currentScript as Script).give?.({ identify: identifyShopper });
