import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MINUTE_MS } from "../../protocol/limits";
import { DEFAULT_SETTINGS, type QuietHours, type SiteSettings } from "../sites/settings";
import { type Browser, decide, type Facts, newPerson, type PersonState } from "./person";
import { awake, isQuiet, wallMinutes } from "./quiet";

const ZONES = ["Europe/Madrid", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"] as const;
const NIGHT: QuietHours = { start: "21:00", end: "08:00" };
const HOUR = 60 * MINUTE_MS;

/** The reference: minute by minute from `at` to the first one outside the quiet hours. Slow and obviously right. */
function reference(at: number, zone: string, quiet: QuietHours): number {
  if (!isQuiet(at, zone, quiet)) return at;
  let t = Math.floor(at / MINUTE_MS) * MINUTE_MS;
  while (isQuiet(t, zone, quiet)) t += MINUTE_MS;
  return Math.max(t, at);
}

const clockArb = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
const quietArb = fc.record({ start: clockArb, end: clockArb }).filter(({ start, end }) => {
  const length =
    (Number(end.slice(0, 2)) * 60 + Number(end.slice(3)) - Number(start.slice(0, 2)) * 60 - Number(start.slice(3)) + 1440) % 1440;
  return length > 0 && length <= 22 * 60;
});

// The nights the clocks change in 2026, in each zone that changes them (Kolkata does not).
const DST = [
  Date.UTC(2026, 2, 29, 1), // Madrid: 02:00 → 03:00
  Date.UTC(2026, 9, 25, 1), // Madrid: 03:00 → 02:00
  Date.UTC(2026, 2, 8, 7), // New York: 02:00 → 03:00
  Date.UTC(2026, 10, 1, 6), // New York: 02:00 → 01:00
  Date.UTC(2026, 3, 4, 14), // Auckland: 03:00 → 02:00 (5 April local)
  Date.UTC(2026, 8, 26, 14), // Auckland: 02:00 → 03:00 (27 September local)
];
const instantArb = fc.oneof(
  fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
  // Near a clock change, where a night is an hour shorter or longer.
  fc.tuple(fc.constantFrom(...DST), fc.integer({ min: -20 * HOUR, max: 20 * HOUR })).map(([t, d]) => t + d),
);

describe("quiet hours", () => {
  it("move a moment inside them to the first minute after them, as the wall clock says, in any zone and across clock changes", () => {
    fc.assert(
      fc.property(instantArb, fc.constantFrom(...ZONES), fc.oneof(fc.constant(NIGHT), quietArb), (at, zone, quiet) => {
        const moved = awake(at, zone, quiet);
        expect(moved).toBe(reference(at, zone, quiet));
        expect(isQuiet(moved, zone, quiet)).toBe(false);
        expect(moved).toBeGreaterThanOrEqual(at);
        if (!isQuiet(at, zone, quiet)) expect(moved).toBe(at);
      }),
      { numRuns: 2000 },
    );
  });

  it("end at 08:00 on the shopper's wall clock, in each zone, on ordinary nights and on the nights the clocks change", () => {
    const cases: [string, number, number][] = [
      // zone, a moment in the night (UTC), where it must land (UTC)
      ["Europe/Madrid", Date.UTC(2026, 0, 14, 22, 30), Date.UTC(2026, 0, 15, 7)], // 23:30 CET → 08:00 CET
      ["Europe/Madrid", Date.UTC(2026, 2, 28, 22), Date.UTC(2026, 2, 29, 6)], // 23:00 CET → 08:00 CEST: a night of 7 h
      ["Europe/Madrid", Date.UTC(2026, 9, 24, 21), Date.UTC(2026, 9, 25, 7)], // 23:00 CEST → 08:00 CET: a night of 10 h
      ["America/New_York", Date.UTC(2026, 2, 8, 3), Date.UTC(2026, 2, 8, 12)], // 22:00 EST → 08:00 EDT
      ["America/New_York", Date.UTC(2026, 10, 1, 3), Date.UTC(2026, 10, 1, 13)], // 23:00 EDT → 08:00 EST
      ["Asia/Kolkata", Date.UTC(2026, 5, 1, 18), Date.UTC(2026, 5, 2, 2, 30)], // 23:30 IST → 08:00 IST
      ["Pacific/Auckland", Date.UTC(2026, 8, 26, 10), Date.UTC(2026, 8, 26, 19)], // 22:00 NZST → 08:00 NZDT (27 Sep)
      ["Pacific/Auckland", Date.UTC(2026, 3, 4, 9), Date.UTC(2026, 3, 4, 20)], // 22:00 NZDT → 08:00 NZST (5 Apr)
    ];
    for (const [zone, at, want] of cases) {
      expect(new Date(awake(at, zone, NIGHT)).toISOString(), `${zone} ${new Date(at).toISOString()}`).toBe(new Date(want).toISOString());
      expect(wallMinutes(want, zone)).toBe(8 * 60);
    }
    // A night whose end does not exist (02:30 on the Auckland night the clocks skip 02:00-03:00):
    // it ends when the clock shows a time past it, 03:00.
    const skip = { start: "21:00", end: "02:30" };
    expect(awake(Date.UTC(2026, 8, 26, 10), "Pacific/Auckland", skip)).toBe(Date.UTC(2026, 8, 26, 14));
    // The night ends inside a quarter whose end falls back into it (Auckland, 5 April: 02:47 NZDT
    // is awake, 14:00 UTC is 02:00 NZST again, quiet): the first awake minute is 02:47 NZDT, not
    // 02:47 NZST an hour later (found by fast-check in a full run).
    expect(awake(1775310419999, "Pacific/Auckland", { start: "00:00", end: "02:47" })).toBe(1775310420000);
    // The hour that comes twice (Auckland, 5 April: 03:00 NZDT becomes 02:00 NZST) steps out of a
    // window of 02:01-03:01 for one minute, at 02:00 NZST: the first moment outside it (found by fast-check).
    const twice = { start: "02:01", end: "03:01" };
    expect(awake(Date.UTC(2026, 3, 4, 13, 59, 59, 999), "Pacific/Auckland", twice)).toBe(Date.UTC(2026, 3, 4, 14));
    expect(awake(Date.UTC(2026, 0, 14, 12), "Europe/Madrid", NIGHT)).toBe(Date.UTC(2026, 0, 14, 12));
    expect(awake(Date.UTC(2026, 0, 14, 23), "Europe/Madrid", null)).toBe(Date.UTC(2026, 0, 14, 23));
  });
});

// ── The sequence, with a driven clock ─────────────────────────────────────────────────────────

const settings: SiteSettings = { ...DEFAULT_SETTINGS, abandonAfterMinutes: 30, holdoutPercent: 0 };
const facts = (newId: string): Facts => ({ suppressed: false, siteSentToday: 0, holdout: false, newId });

function shopper(lastActivity: number, timeZone?: string): PersonState {
  const browser: Browser = {
    aid: "aid-1",
    points: [{ at: lastActivity, value: 2500 }],
    currency: "EUR",
    expiresAt: lastActivity + 7 * 24 * HOUR,
    lastActivity,
    moments: [],
    orders: [],
    ...(timeZone && { timeZone }),
  };
  return decide(newPerson(1, "ana@example.com"), settings, lastActivity, { type: "browsers", browsers: [browser] }, facts("x")).state;
}

/** Runs the person's alarms as the Durable Object would, and returns when each step was claimed. */
function claims(person: PersonState, config: SiteSettings, until: number): number[] {
  let state = person;
  let alarm: number | null = decide(state, config, state.browsers["aid-1"]?.lastActivity ?? 0, { type: "alarm" }, facts("seq")).alarm;
  const at: number[] = [];
  for (let i = 0; i < 20 && alarm !== null && alarm <= until; i++) {
    const d = decide(state, config, alarm, { type: "alarm" }, facts("seq"));
    state = d.state;
    for (const e of d.effects)
      if (e.do === "claim") {
        at.push(alarm);
        // The consumer sends it and tells the object, as it does (the object stops waiting for it).
        state = decide(state, config, alarm, { type: "sent", messageId: e.claim.id, at: alarm }, facts("seq")).state;
      }
    alarm = d.alarm;
  }
  return at;
}

describe("a sequence and the quiet hours", () => {
  it("sends the first message within minutes by day, and waits for 08:00 in the shopper's zone by night", () => {
    // Gone quiet at 14:00 in Madrid: the first step at 14:30, in minutes as promised.
    const day = Date.UTC(2026, 0, 14, 13);
    expect(claims(shopper(day, "Europe/Madrid"), settings, day + 5 * 24 * HOUR)[0]).toBe(day + 30 * MINUTE_MS);
    // Gone quiet at 23:00 in Madrid: the first step at 08:00 there, not at 23:30.
    const night = Date.UTC(2026, 0, 14, 22);
    const sent = claims(shopper(night, "Europe/Madrid"), settings, night + 5 * 24 * HOUR);
    expect(sent).toHaveLength(3);
    expect(sent[0]).toBe(Date.UTC(2026, 0, 15, 7));
    // The second step (~24 h after the abandonment) would be 23:00 again: moved to the morning too.
    expect(sent.every((t) => !isQuiet(t, "Europe/Madrid", NIGHT))).toBe(true);
    // Asia/Kolkata's 23:30 is Madrid's 19:00 (awake); the same clock, a different shopper.
    const india = Date.UTC(2026, 0, 14, 17, 30);
    expect(claims(shopper(india, "Asia/Kolkata"), settings, india + HOUR)).toEqual([]);
    expect(claims(shopper(india, "Asia/Kolkata"), settings, india + 24 * HOUR)[0]).toBe(Date.UTC(2026, 0, 15, 2, 30));
  });

  it("reads the night in the site's zone when the shopper's is not known, and not at all when quiet hours are off", () => {
    const at = Date.UTC(2026, 6, 1, 2); // 22:00 in New York, 04:00 in Madrid
    const ny = { ...settings, timeZone: "America/New_York" };
    expect(claims(shopper(at), ny, at + 24 * HOUR)[0]).toBe(Date.UTC(2026, 6, 1, 12)); // 08:00 EDT
    expect(claims(shopper(at), { ...ny, quietHours: null }, at + 24 * HOUR)[0]).toBe(at + 30 * MINUTE_MS);
    // The shopper's zone wins over the site's.
    expect(claims(shopper(at, "Pacific/Auckland"), ny, at + 24 * HOUR)[0]).toBe(at + 30 * MINUTE_MS); // 14:30 in Auckland
  });

  it("never claims a step inside the shopper's quiet hours, whatever the zone, window and time of abandonment", () => {
    fc.assert(
      fc.property(instantArb, fc.constantFrom(...ZONES), quietArb, (at, zone, quiet) => {
        const config = { ...settings, quietHours: quiet };
        const sent = claims(shopper(at, zone), config, at + 5 * 24 * HOUR);
        expect(sent).toHaveLength(3);
        for (const t of sent) expect(isQuiet(t, zone, quiet)).toBe(false);
        // Each step no earlier than due, and no later than the end of the night it fell in.
        settings.steps.forEach((step, i) => {
          const due = at + 30 * MINUTE_MS + step.afterMinutes * MINUTE_MS;
          expect(sent[i]).toBe(reference(due, zone, quiet));
        });
      }),
      { numRuns: 150 },
    );
  });
});
