// `cartback-identify.js`: hands the core (sdk/tag.ts) what `identify` and `signOut` do, once the
// core loaded it on a page's first call of either.
import type { Script } from "../extras";
import { identifyShopper, signOut } from "./index";

const script = document.currentScript as Script;
script.give?.({
  identify: (s, shopper, emit) => {
    identifyShopper(s, shopper, emit);
    // A signed-in shopper: their devices' shared cart comes with the sync file.
    if (s.account) script.load("sync");
  },
  signOut,
});
