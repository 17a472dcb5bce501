import {
  EMAIL_PATTERN,
  MAX_DATA_BYTES,
  MAX_DATA_KEY_LENGTH,
  MAX_DATA_KEYS,
  MAX_EMAIL_LENGTH,
  MAX_ID_LENGTH,
  MAX_LINES,
  MAX_PRICE,
  MAX_QUANTITY,
  MAX_TEXT_LENGTH,
  MAX_URL_LENGTH,
} from "../protocol/limits";
import type { Cart, Line, LineData } from "../protocol/types";
import { byteSize } from "./outbox";
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

/**
 * The shop's own fields on a line, as the collector's LineDataSchema takes them (keys sorted).
 * Through JSON and back, so what is checked is what will be sent: a nested value, a null, NaN or
 * Infinity (both become null) is refused rather than mangled.
 */
function checkData(input: unknown): LineData {
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
}

/** Returns a clean copy of a shop's line (unknown keys left behind), or throws why not. */
export function checkLine(input: unknown): Line {
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
  if (raw.data != null) line.data = checkData(raw.data);
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

/** Replaces the whole cart. */
export function setCart(_: Cart, input: unknown): Cart {
  const raw = (input || {}) as Partial<Cart>;
  need(Array.isArray(raw.lines), "cart.lines");
  return checkCart({ currency: raw.currency as string, lines: raw.lines.map(checkLine) });
}

/** Adds a line; adding an id already in the cart adds to its quantity. */
export function addLine(cart: Cart, input: unknown): Cart {
  const line = checkLine(input);
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
export function updateLine(cart: Cart, id: unknown, changes: unknown): Cart {
  const i = find(cart, id);
  const patch = (changes || {}) as Partial<Line>;
  if (patch.quantity === 0) return removeLine(cart, id);
  const lines = cart.lines.slice();
  lines[i] = checkLine({ ...lines[i], ...patch, id });
  return { ...cart, lines };
}

export function removeLine(cart: Cart, id: unknown): Cart {
  const i = find(cart, id);
  return { ...cart, lines: cart.lines.filter((_, j) => j !== i) };
}

export const clearCart = (cart: Cart): Cart => ({ ...cart, lines: [] });
