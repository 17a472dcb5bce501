// `cartback-data.js`: hands the core (sdk/tag.ts) the checks of a line's `data`, once the core loaded
// it for the first change with a line that has some.
import type { Script } from "../extras";
import { checkData } from "./index";

(document.currentScript as Script).give?.({ data: checkData });
