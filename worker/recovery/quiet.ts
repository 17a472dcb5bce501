// Quiet hours: a pure function of an instant, a time zone and a window of wall-clock time. No
// offsets are computed by hand: Intl says what the clock on the shopper's wall shows, and the
// end of the night is found by asking it, so daylight-saving changes (a night an hour shorter or
// longer, a wall time that does not exist or comes twice) need no special case.
import { MINUTE_MS } from "../../protocol/limits";
import { clockMinutes, type QuietHours } from "../sites/settings";

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * Minutes after local midnight on the wall clock of `timeZone` at `at` (UTC for a zone Intl does not know).
 *
 * @example
 * wallMinutes(Date.UTC(2026, 0, 14, 22, 30), "Europe/Madrid"); // 1410 (23:30)
 */
export function wallMinutes(at: number, timeZone: string): number {
  let format = formats.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat("en-GB", { timeZone, hourCycle: "h23", hour: "2-digit", minute: "2-digit" });
    } catch {
      format = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", hourCycle: "h23", hour: "2-digit", minute: "2-digit" });
    }
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part("hour") * 60 + part("minute");
}

/**
 * Whether `at` falls inside the quiet hours on the wall clock of `timeZone`: from `start`
 * (included) to `end` (excluded), across midnight when `start` is later than `end`.
 *
 * @example
 * isQuiet(Date.UTC(2026, 0, 1, 22), "UTC", { start: "21:00", end: "08:00" }); // true
 * isQuiet(Date.UTC(2026, 0, 1, 22), "America/New_York", { start: "21:00", end: "08:00" }); // false: 17:00 there
 */
export function isQuiet(at: number, timeZone: string, quiet: QuietHours): boolean {
  const m = wallMinutes(at, timeZone);
  const start = clockMinutes(quiet.start);
  const end = clockMinutes(quiet.end);
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/**
 * The first moment at or after `at` outside the quiet hours in `timeZone`: `at` itself when it is
 * outside, else the end of the night (the first minute the wall clock shows `end` or later, so a
 * night shortened by a clock change ends when the clock says so). `quiet` null: `at`.
 *
 * @example
 * const night = { start: "21:00", end: "08:00" };
 * awake(Date.UTC(2026, 0, 1, 23, 10), "Europe/Madrid", night); // Date.UTC(2026, 0, 2, 7, 0): 08:00 in Madrid
 * awake(Date.UTC(2026, 0, 1, 12), "Europe/Madrid", night); // unchanged
 */
export function awake(at: number, timeZone: string, quiet: QuietHours | null): number {
  if (!quiet || !Number.isFinite(at) || !isQuiet(at, timeZone, quiet)) return at;
  // Clocks change only on a quarter hour of UTC (every zone's offset is a whole number of quarter
  // hours, and changes at a whole local hour or half hour). Inside a quarter the wall clock runs
  // straight, so the night ends there only where it shows `end`; at the quarter's edge a clock
  // change can end it too (spring: 02:00 becomes 03:00), or take the shopper back into it (autumn:
  // an hour repeats), which is why each quarter is looked inside, not only at its edge.
  const QUARTER = 15 * MINUTE_MS;
  const end = clockMinutes(quiet.end);
  let low = Math.floor(at / MINUTE_MS) * MINUTE_MS;
  // A valid window leaves at least two awake hours a day (settings.ts): 24 h of quarters suffice.
  for (let i = 0; i < 24 * 4 + 8; i++) {
    const high = (Math.floor(low / QUARTER) + 1) * QUARTER;
    const inside = low + ((end - wallMinutes(low, timeZone) + 1440) % 1440) * MINUTE_MS;
    if (inside > low && inside < high) return Math.max(inside, at);
    if (!isQuiet(high, timeZone, quiet)) return Math.max(high, at);
    low = high;
  }
  return low; // unreachable with a valid window: never loops for ever
}
