// What the merchant names for the built-in segments (docs/segments.md): kept in the site's
// settings under `segments`, validated with the rest of them.
import * as v from "valibot";
import { MAX_TOTAL } from "../../protocol/limits";

const minor = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_TOTAL));

/** A category as lines carry it (`data.category`), compared trimmed and case-folded. */
const Category = v.pipe(v.string(), v.trim(), v.minLength(1, "must not be empty"), v.maxLength(64), v.toLowerCase());

export const SegmentSettingsSchema = v.object({
  /** The segments look back this many days (abandonments and orders since then). */
  windowDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(365)), 90),
  /** Upsell-ready: a buyer whose carts held a line of one of these categories… */
  upsellCategories: v.optional(v.pipe(v.array(Category), v.maxLength(50)), []),
  /** …or who paid at least this much in one order (minor units); unset, no value qualifies. */
  upsellMinOrder: v.optional(minor),
  /** High-value abandoner: a lost cart worth at least this much (minor units). */
  highValueMin: v.optional(minor, 10_000),
});

export type SegmentSettings = v.InferOutput<typeof SegmentSettingsSchema>;
