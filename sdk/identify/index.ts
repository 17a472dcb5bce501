import { LOCALE_PATTERN, MAX_ID_LENGTH, PHONE_PATTERN } from "../../protocol/limits";
import { isEmail, isText, need } from "../cart";
import type { Shopper } from "../client";
import { type Lazy, Signal } from "../extras";
import type { emitter } from "../outbox";
import type { State } from "../storage";

/** Checks each field `identify` takes; a value that fails is refused, named in the warning. */
const checks = (smsConsent: unknown): Record<string, (value: never) => unknown> => ({
  email: isEmail,
  userId: (id) => isText(id, MAX_ID_LENGTH),
  name: isText,
  locale: (tag) => LOCALE_PATTERN.test(tag),
  // A number only with the shopper's yes to texts (README, SMS).
  phone: (number) => smsConsent === true && PHONE_PATTERN.test(number),
  smsConsent: (yes) => yes === !!yes,
  exclude: (yes) => yes === !!yes,
  customer: (yes) => yes === !!yes,
});

/**
 * What `identify` does to the saved state: checks the shopper, keeps the account and language on
 * this device, and records the event. In its own file for the script tag (`cartback-identify.js`,
 * loaded by the first `identify` of a page): most pages never call it.
 *
 * @example
 * await transact((s) => identifyShopper(s, { email: "ana@example.com" }, emitter(false)));
 */
export function identifyShopper(s: State, shopper: unknown, emit: ReturnType<typeof emitter>): void {
  const { email, userId, name, token, locale, phone, smsConsent, exclude, customer } = (shopper || {}) as Shopper;
  const rules = checks(smsConsent);
  let given: unknown;
  for (const k in rules) {
    const value = (shopper as never)?.[k];
    given ||= value != null;
    // Not `== null`: a null would reach the collector as null, which it refuses.
    need(value === undefined || rules[k]?.(value), `identify ${k}`);
  }
  need(given, "identify");
  need(token == null || (userId && isText(token, 2048)), "identify token");
  if (token) s.account = { userId: userId as string, token };
  s.locale = locale || s.locale;
  emit(s, { type: "identify", email, userId, name, locale, phone, smsConsent, exclude, customer });
}

/**
 * What `signOut` does to the saved state: this device leaves the account and keeps no account cart,
 * nor the shopper's language. With `identify` in its file for the script tag: a page signs out
 * rarely, and the account came from an `identify`.
 *
 * @example
 * await transact((s) => signOut(s, undefined, emitter(false), cart));
 */
export const signOut: Lazy = (s) => {
  // The sync code (when loaded) tells the collector this device left the account.
  if (s.account) dispatchEvent(new CustomEvent(Signal.SIGNED_OUT, { detail: { ...s.account, aid: s.aid } }));
  s.account = s.cart = s.sync = s.locale = s.paid = undefined;
};
