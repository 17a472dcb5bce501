// The checks of a line's `data`, the shop's own fields: built into the ES module and the files that
// build carts themselves (connect), and for the script tag its own file, `cartback-data.js`, which
// the core loads on the first change with a line that has data (sdk/cart.ts `UNCHECKED`).
import { MAX_DATA_BYTES, MAX_DATA_KEY_LENGTH, MAX_DATA_KEYS } from "../../protocol/limits";
import type { LineData } from "../../protocol/types";
import { type CheckData, isText, need } from "../cart";
import { byteSize } from "../outbox";

/**
 * The shop's own fields on a line, as the collector's LineDataSchema takes them (keys sorted).
 * Through JSON and back, so what is checked is what will be sent: a nested value, a null, NaN or
 * Infinity (both become null) is refused rather than mangled.
 *
 * @example
 * checkData({ size: "M", color: "blue" }); // { color: "blue", size: "M" }
 */
export const checkData: CheckData = (input) => {
  const json = JSON.stringify(input, Object.keys(input as LineData).sort());
  const data = JSON.parse(json);
  const keys = Object.keys(data);
  need(
    Object.getPrototypeOf(input) === Object.prototype &&
      keys.length <= MAX_DATA_KEYS &&
      byteSize(json) <= MAX_DATA_BYTES &&
      // Every key and value in one string: with `u`, a lone surrogate is a code point of category Cs.
      !/\p{Cs}/u.test(Object.entries(data) as never) &&
      keys.every((k) => isText(k, MAX_DATA_KEY_LENGTH) && !/^(__proto__|constructor|prototype)$/.test(k) && typeof data[k] !== "object"),
    "line.data",
  );
  return data;
};
