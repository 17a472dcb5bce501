import {
  EMAIL_PATTERN,
  MAX_EMAIL_LENGTH,
  MAX_ID_LENGTH,
  MAX_LINES,
  MAX_PRICE,
  MAX_QUANTITY,
  MAX_TEXT_LENGTH,
  MAX_URL_LENGTH,
} from "../protocol/limits";
import type { Cart, Line, LineData } from "../protocol/types";
import { need } from "./warn";

// Hand-written checks rather than the collector's schema library: it would triple the script.
// test/protocol.test.ts proves these accept nothing the collector's schemas refuse.
// A refusal is a thrown string: the caller turns it into one console warning.

export { need } from "./warn";

export const isText = (value: unknown, max = MAX_TEXT_LENGTH): value is string =>
  typeof value === "string" && value.length > 0 && value.length <= max;

export const isInt = (value: unknown, min: number, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

export const isCurrency = (value: unknown): value is string => typeof value === "string" && /^[A-Z]{3}$/.test(value);

export const isEmail = (value: unknown): value is string =>
  typeof value === "string" && value.length <= MAX_EMAIL_LENGTH && EMAIL_PATTERN.test(value);

/** Relative URLs are resolved against the page, so a shop can pass `/products/tea`. */
function absoluteUrl(value: unknown, what: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value as string, location.href);
  } catch {}
  need(url && /^https?:$/.test(url.protocol) && url.href.length <= MAX_URL_LENGTH, what);
  return url.href;
}

/** Checks a shop's line `data` as the collector's LineDataSchema takes it, and returns it as it will
 * be sent; throws why not (sdk/data). Not in the core script: most shops' lines carry no data. */
export type CheckData = (input: unknown) => LineData;

/** Returns a clean copy of a shop's line (unknown keys left behind), or throws why not. */
export function checkLine(input: unknown, check?: CheckData): Line {
  const raw = (input || {}) as Record<string, unknown>;
  need(isText(raw.id, MAX_ID_LENGTH), "line.id");
  need(isText(raw.name), "line.name");
  need(isInt(raw.price, 0, MAX_PRICE), "line.price");
  need(isInt(raw.quantity, 1, MAX_QUANTITY), "line.quantity");
  const line: Line = { id: raw.id, name: raw.name, price: raw.price, quantity: raw.quantity };
  if (raw.url != null) line.url = absoluteUrl(raw.url, "line.url");
  if (raw.image != null) line.image = absoluteUrl(raw.image, "line.image");
  if (raw.variant != null) {
    need(isText(raw.variant), "line.variant");
    line.variant = raw.variant;
  }
  if (raw.data != null) {
    // The core then loads the checks and runs the change again, with them (sdk/client.ts `record`).
    if (!check) throw "needs cartback-data.js";
    line.data = check(raw.data);
  }
  return line;
}

function checkCart(cart: Cart): Cart {
  need(isCurrency(cart.currency), "currency");
  need(cart.lines.length <= MAX_LINES, "cart.lines: too many");
  need(new Set(cart.lines.map((l) => l.id)).size === cart.lines.length, "cart.lines: duplicate id");
  return cart;
}

const find = (cart: Cart, id: unknown): number => {
  const i = cart.lines.findIndex((l) => l.id === id);
  need(i >= 0, "line.id: not in cart");
  return i;
};

// Each change takes the cart, the checker of lines' `data` where there is one, then the call's arguments.

/** Replaces the whole cart. */
export function setCart(_: Cart, check: CheckData | undefined, input: unknown): Cart {
  const raw = (input || {}) as Partial<Cart>;
  need(Array.isArray(raw.lines), "cart.lines");
  return checkCart({ currency: raw.currency as string, lines: raw.lines.map((line) => checkLine(line, check)) });
}

/** Adds a line; adding an id already in the cart adds to its quantity. */
export function addLine(cart: Cart, check: CheckData | undefined, input: unknown): Cart {
  const line = checkLine(input, check);
  const lines = cart.lines.slice();
  const i = lines.findIndex((l) => l.id === line.id);
  if (i < 0) lines.push(line);
  else {
    line.quantity += (lines[i] as Line).quantity;
    need(line.quantity <= MAX_QUANTITY, "line.quantity");
    // Where it was, so the shop's cart doesn't reorder as the shopper clicks "+".
    lines[i] = line;
  }
  return checkCart({ ...cart, lines });
}

/** Changes fields of a line; a quantity of 0 removes it. */
export function updateLine(cart: Cart, check: CheckData | undefined, id: unknown, changes: unknown): Cart {
  const i = find(cart, id);
  const patch = (changes || {}) as Partial<Line>;
  if (patch.quantity === 0) return removeLine(cart, check, id);
  const lines = cart.lines.slice();
  lines[i] = checkLine({ ...lines[i], ...patch, id }, check);
  return { ...cart, lines };
}

export function removeLine(cart: Cart, _: unknown, id: unknown): Cart {
  const i = find(cart, id);
  return { ...cart, lines: cart.lines.filter((_, j) => j !== i) };
}

export const clearCart = (cart: Cart): Cart => ({ ...cart, lines: [] });
