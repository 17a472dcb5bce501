// The segments of a site, from its stored rows to counts, CSV lists and audience files.
import { DAY_MS } from "../../protocol/limits";
import { adConsentsOf, contactsOf, segmentRows } from "../db/segments";
import type { Site } from "../sites/sites";
import { type AudienceFormat, audienceFile, type Reachable } from "./audiences";
import { csvOf } from "./csv";
import { definitionOf, type Facts, FIGURES, factsOf, inSegment, SEGMENTS, type SegmentName } from "./rules";

/**
 * Each person's facts over the site's window (`segments.windowDays` back from `now`).
 *
 * @example
 * const people = await peopleOf(env.DB, site, Date.now());
 */
export async function peopleOf(db: D1Database, site: Site, now: number): Promise<Facts[]> {
  const since = now - site.settings.segments.windowDays * DAY_MS;
  return factsOf(site.settings, await segmentRows(db, site.id, since));
}

/**
 * Every segment with its count and what it means.
 *
 * @example
 * summaryOf(site, people); // [{ name: "upsell-ready", count: 3, definition: "buyers in the last 90 days …" }, …]
 */
export const summaryOf = (site: Site, people: Facts[]) =>
  SEGMENTS.map((name) => ({
    name,
    count: people.filter((f) => inSegment(name, f, site.settings.segments)).length,
    definition: definitionOf(name, site.settings.segments),
  }));

/** The people of a segment, in person order. */
export const membersOf = (site: Site, people: Facts[], name: SegmentName): Facts[] =>
  people.filter((f) => inSegment(name, f, site.settings.segments));

const emailOf = (person: string) => (person.startsWith("tel:") ? null : person);

/**
 * A segment as CSV for the merchant: the contact (email, phone, name when known) and the figures
 * that put each person there.
 *
 * @example
 * await segmentCsv(env.DB, site, people, "repeat-abandoners"); // "email,phone,name,abandoned,recovered\r\n…"
 */
export async function segmentCsv(db: D1Database, site: Site, people: Facts[], name: SegmentName): Promise<string> {
  const members = membersOf(site, people, name);
  const contacts = new Map(
    (
      await contactsOf(
        db,
        site.id,
        members.map((m) => m.person),
      )
    ).map((c) => [c.person, c]),
  );
  const figures = FIGURES[name];
  return csvOf(
    ["email", "phone", "name", ...figures],
    members.map((m) => {
      const contact = contacts.get(m.person);
      return [emailOf(m.person), contact?.phone ?? null, contact?.name ?? null, ...figures.map((f) => m[f])];
    }),
  );
}

/**
 * A segment as an ad platform's customer-list file: only people with a recorded yes to ads and no
 * suppressed address (worker/db/segments.ts `adConsentsOf`), hashed.
 *
 * @example
 * await audienceCsv(env.DB, site, people, "upsell-ready", "meta");
 */
export async function audienceCsv(db: D1Database, site: Site, people: Facts[], name: SegmentName, format: AudienceFormat): Promise<string> {
  const members = membersOf(site, people, name).map((m) => m.person);
  const consented = await adConsentsOf(db, site.id, members);
  const reachable: Reachable[] = consented
    .map((c) => ({ email: emailOf(c.person), phone: c.phone }))
    .filter((r) => r.email !== null || r.phone !== null)
    .sort((a, b) => ((a.email ?? a.phone ?? "") < (b.email ?? b.phone ?? "") ? -1 : 1));
  return audienceFile(format, reachable);
}
