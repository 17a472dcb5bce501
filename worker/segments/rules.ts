// The built-in segments as pure rules over what a person did in the window (docs/segments.md).
// `factsOf` folds the stored rows into one record a person; `inSegment` decides from it alone.
import type { AbandonRow, CategoryRow, OrderRow, RecoveredRow } from "../db/segments";
import type { SegmentSettings } from "../sites/segments";
import { offersIncentive, type Reason, type SiteSettings } from "../sites/settings";

export const SEGMENTS = ["upsell-ready", "high-value-abandoners", "repeat-abandoners", "recovered-by-code"] as const;
export type SegmentName = (typeof SEGMENTS)[number];

/** What one person did in the window, as far as the segments look. Values in minor units. */
export interface Facts {
  /** The normal email, or `tel:` and the number of a person known by phone only. */
  person: string;
  /** Abandoned carts (recovery sequences started), whatever became of them. */
  abandoned: number;
  /** The largest abandoned cart no order recovered; 0 if none. */
  topLost: number;
  /** Abandoned carts a paid order recovered. */
  recovered: number;
  /** Recovered carts whose messages offered an incentive code before the order. */
  recoveredByCode: number;
  /** Paid orders placed from a browser the person identified on. */
  orders: number;
  /** The largest of those orders and of the recovered orders; 0 if none. */
  topOrder: number;
  /** The categories (trimmed, lower-case) of the lines of the carts behind their abandonments and orders. */
  categories: string[];
}

const empty = (person: string): Facts => ({
  person,
  abandoned: 0,
  topLost: 0,
  recovered: 0,
  recoveredByCode: 0,
  orders: 0,
  topOrder: 0,
  categories: [],
});

/**
 * Whether a recovered cart's messages offered a code before its order: one from the pool, or the
 * site's static code at a step that offers the incentive (a pool-only site with `whenPoolEmpty:
 * "none"` offered nothing without a pool code).
 *
 * @example
 * offeredCode(settings, { reason: "extra_costs", pool_code: 0, steps: "0" }); // true with a static code
 */
export function offeredCode(settings: SiteSettings, row: Pick<RecoveredRow, "reason" | "pool_code" | "steps">): boolean {
  if (row.pool_code) return true;
  const incentive = settings.incentive;
  if (!incentive || (incentive.unique && incentive.whenPoolEmpty === "none")) return false;
  const steps = row.steps ? row.steps.split(",").map(Number) : [];
  return steps.some((step) => offersIncentive(settings, row.reason as Reason, step));
}

/** The categories a line's `category` names: several may be given comma-separated. */
export const categoriesIn = (value: unknown): string[] =>
  typeof value === "string"
    ? value
        .split(",")
        .map((c) => c.trim().toLowerCase())
        .filter(Boolean)
    : [];

/**
 * One record a person from the window's rows.
 *
 * @example
 * factsOf(settings, { abandons: [{ person: "a@x.io", abandoned: 2, top_lost: 900, recovered: 0, top_recovered: 0 }], recovered: [], orders: [], categories: [] });
 */
export function factsOf(
  settings: SiteSettings,
  rows: { abandons: AbandonRow[]; recovered: RecoveredRow[]; orders: OrderRow[]; categories: CategoryRow[] },
): Facts[] {
  const people = new Map<string, Facts>();
  const of = (person: string) => people.get(person) ?? (people.set(person, empty(person)).get(person) as Facts);
  for (const r of rows.abandons)
    Object.assign(of(r.person), { abandoned: r.abandoned, topLost: r.top_lost, recovered: r.recovered, topOrder: r.top_recovered });
  for (const r of rows.recovered) if (offeredCode(settings, r)) of(r.person).recoveredByCode += 1;
  for (const r of rows.orders) {
    const facts = of(r.person);
    facts.orders = r.orders;
    facts.topOrder = Math.max(facts.topOrder, r.top_order);
  }
  for (const r of rows.categories) {
    const values = JSON.parse(r.categories) as unknown[];
    of(r.person).categories = [...new Set(values.flatMap(categoriesIn))].sort();
  }
  return [...people.values()].sort((a, b) => (a.person < b.person ? -1 : 1));
}

/**
 * Whether a person belongs to a segment (docs/segments.md defines each):
 * - upsell-ready: a buyer (a recovered cart, or two paid orders or more) whose carts held a line
 *   of a category the merchant names, or who paid at least `upsellMinOrder` in one order;
 * - high-value-abandoners: an abandoned cart worth at least `highValueMin` that no order recovered;
 * - repeat-abandoners: two abandoned carts or more;
 * - recovered-by-code: a recovered cart whose messages offered an incentive code before the order.
 *
 * @example
 * inSegment("repeat-abandoners", { ...facts, abandoned: 2 }, settings.segments); // true
 */
export function inSegment(name: SegmentName, f: Facts, rules: SegmentSettings): boolean {
  switch (name) {
    case "upsell-ready": {
      if (f.recovered < 1 && f.orders < 2) return false;
      const named = f.categories.some((c) => rules.upsellCategories.includes(c));
      return named || (rules.upsellMinOrder !== undefined && f.topOrder >= rules.upsellMinOrder);
    }
    case "high-value-abandoners":
      return f.topLost > 0 && f.topLost >= rules.highValueMin;
    case "repeat-abandoners":
      return f.abandoned >= 2;
    case "recovered-by-code":
      return f.recoveredByCode >= 1;
  }
}

/** The figures that put a person in a segment, as CSV columns after the contact's. */
export const FIGURES: Record<SegmentName, (keyof Facts)[]> = {
  "upsell-ready": ["recovered", "orders", "topOrder", "categories"],
  "high-value-abandoners": ["topLost", "abandoned"],
  "repeat-abandoners": ["abandoned", "recovered"],
  "recovered-by-code": ["recoveredByCode", "recovered"],
};

/**
 * What each segment means, in words, with the site's own values (minor units) filled in.
 *
 * @example
 * definitionOf("repeat-abandoners", settings.segments); // "two abandoned carts or more in the last 90 days"
 */
export function definitionOf(name: SegmentName, rules: SegmentSettings): string {
  const window = `in the last ${rules.windowDays} days`;
  switch (name) {
    case "upsell-ready": {
      const by = [
        rules.upsellCategories.length > 0 ? `whose carts held a line of category ${rules.upsellCategories.join(", ")}` : "",
        rules.upsellMinOrder !== undefined ? `who paid at least ${rules.upsellMinOrder} (minor units) in one order` : "",
      ].filter(Boolean);
      const which = by.length > 0 ? by.join(", or ") : "(no category or order value set: nobody yet)";
      return `buyers ${window} (a recovered cart, or two paid orders or more) ${which}`;
    }
    case "high-value-abandoners":
      return `an abandoned cart worth at least ${rules.highValueMin} (minor units) ${window} that no order recovered`;
    case "repeat-abandoners":
      return `two abandoned carts or more ${window}`;
    case "recovered-by-code":
      return `a cart ${window} recovered after its messages offered an incentive code (discount-sensitive)`;
  }
}
