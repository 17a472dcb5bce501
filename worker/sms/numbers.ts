// Which phone numbers are real: the browser script only checks the E.164 shape (it stays small),
// the collector checks each number against its country's numbering plan (libphonenumber-js, its
// `min` metadata) before it is stored or texted.
import { parsePhoneNumberFromString } from "libphonenumber-js/min";
import type { CartbackEvent } from "../../protocol/types";

/**
 * The number in canonical E.164 when its country gives out such numbers, else undefined. A trunk
 * prefix typed after the country code (Russia's 8 in `+789123456789`) is dropped, as the
 * numbering plan says; a number too long or too short for its country (`+366301234567`) is none.
 *
 * @example
 * dialable("+789123456789"); // "+79123456789"
 * dialable("+366301234567"); // undefined
 */
export function dialable(phone: string): string | undefined {
  const parsed = parsePhoneNumberFromString(phone);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** An event the collector kept without its number, as the ingest answer names it. */
export interface RefusedPhone {
  event: string;
  field: "phone";
  error: string;
}

/**
 * A batch's events with each `identify` number checked: a real one kept in canonical form; one
 * that is not is dropped with the yes to texts that came with it (that yes was for that number),
 * the event keeping its other fields (an event left with nothing is dropped), and named in `refused`.
 *
 * @example
 * screenPhones([{ id, at, type: "identify", email, phone: "+366301234567", smsConsent: true }]);
 * // { events: [{ id, at, type: "identify", email }], refused: [{ event: id, field: "phone", error: "…" }] }
 */
export function screenPhones(events: CartbackEvent[]): { events: CartbackEvent[]; refused: RefusedPhone[] } {
  const refused: RefusedPhone[] = [];
  const kept = events.flatMap((event): CartbackEvent[] => {
    if (event.type !== "identify" || event.phone === undefined) return [event];
    const phone = dialable(event.phone);
    if (phone) return [{ ...event, phone }];
    refused.push({ event: event.id, field: "phone", error: `${event.phone} is not a number in use in its country: not stored` });
    const { phone: _, smsConsent: __, ...rest } = event;
    const left = rest.email || rest.userId || rest.name || rest.locale;
    return left ? [rest] : [];
  });
  return { events: kept, refused };
}
