// Who recovery writes to (issue 22, points 7 and 8): the site's exclusion rules and its audience
// mode, as pure functions of a cart, what the shop said about the shopper and the settings. The
// person's object (person.ts `maybeStart`) asks once per purchase intent, when the cart went quiet;
// a cart they exclude gets no sequence and is counted as excluded, never as abandoned.
import type { Browser } from "../db/schema";
import type { Exclusions, SiteSettings } from "../sites/settings";

/** Why a cart gets no recovery, in the order the rules are read (the first that applies is counted). */
export const EXCLUDED_WHY = ["shopper", "product", "line_data", "under_min_value", "over_max_value", "not_customer"] as const;
export type ExcludedWhy = (typeof EXCLUDED_WHY)[number];

/** What the rules read of a cart. */
export interface CartView {
  /** In the currency's minor units. */
  value: number;
  currency: string;
  lines: { id: string; data?: Record<string, string | number | boolean> }[];
}

/** What the rules read of the shopper. */
export interface ShopperView {
  /** The shop asked for no recovery for them: `identify({ exclude: true })` or its list (merchant API). */
  excluded: boolean;
  /** They bought from the shop before: an order on record, or `identify({ customer: true })`. */
  customer: boolean;
}

/**
 * The cart rule that excludes a cart, if one does: a product (a line's id or `data.productId`),
 * a line `data` field, a value under the currency's minimum or over its maximum.
 *
 * @example
 * cartRule({ value: 900, currency: "EUR", lines: [] }, { minValue: { EUR: 1000 }, maxValue: {}, productIds: [], lineData: [] }); // "under_min_value"
 */
export function cartRule(cart: CartView, rules: Exclusions): Exclude<ExcludedWhy, "shopper" | "not_customer"> | undefined {
  const products = new Set(rules.productIds);
  if (cart.lines.some((l) => products.has(l.id) || (l.data?.productId !== undefined && products.has(String(l.data.productId)))))
    return "product";
  const tagged = (data: CartView["lines"][number]["data"]) =>
    rules.lineData.some((r) => data !== undefined && Object.hasOwn(data, r.key) && (r.value === undefined || data[r.key] === r.value));
  if (cart.lines.some((l) => tagged(l.data))) return "line_data";
  const min = rules.minValue[cart.currency];
  if (min !== undefined && cart.value < min) return "under_min_value";
  const max = rules.maxValue[cart.currency];
  if (max !== undefined && cart.value > max) return "over_max_value";
}

/**
 * Why this cart of this shopper gets no recovery, or undefined when it may get one: the shop's
 * word about the shopper first, then the cart rules, then the audience (`customers_only` writes
 * only to customers).
 *
 * @example
 * exclusionOf(cart, { excluded: false, customer: false }, { ...settings, audience: "customers_only" }); // "not_customer"
 */
export function exclusionOf(
  cart: CartView,
  shopper: ShopperView,
  settings: Pick<SiteSettings, "exclusions" | "audience">,
): ExcludedWhy | undefined {
  if (shopper.excluded) return "shopper";
  const rule = cartRule(cart, settings.exclusions);
  if (rule) return rule;
  if (settings.audience === "customers_only" && !shopper.customer) return "not_customer";
}

/**
 * What the shop said at identify about the shopper of these browsers: the freshest browser that
 * said whether to exclude them wins (an `exclude: false` lifts an earlier `true`); any browser that
 * said they are a customer makes them one (having bought is not undone).
 *
 * @example
 * shopSaid([laptop, phone]); // { excluded: false, customer: true }
 */
export function shopSaid(browsers: Browser[]): { excluded: boolean; customer: boolean } {
  const freshest = [...browsers].sort((a, b) => b.lastActivity - a.lastActivity).find((b) => b.excluded !== undefined);
  return { excluded: freshest?.excluded === true, customer: browsers.some((b) => b.customer === true) };
}
