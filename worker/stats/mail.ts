// The mail feedback figures of a range (issue 22.3): recovery emails sent, and what their providers
// reported of them, per day and in total, from the rollups' `messages` (email) and `outcome` rows.
import { DAY_MS } from "../../protocol/limits";
import type { RollupRow } from "../db/rollups";

/** One day's (or a range's) mail figures. `delivered` includes the emails later complained about. */
export interface MailDay {
  sent: number;
  delivered: number;
  hard: number;
  soft: number;
  complained: number;
  /** Complaints over emails sent, or null without a send. */
  complaintRate: number | null;
  /** Hard bounces over emails sent, or null without a send. */
  hardBounceRate: number | null;
}

export interface MailFigures extends MailDay {
  daily: ({ day: string } & MailDay)[];
}

type Counts = Pick<MailDay, "sent" | "delivered" | "hard" | "soft" | "complained">;

/**
 * A day's (or a total's) figures with their rates.
 *
 * @example
 * withRates({ sent: 1000, delivered: 990, hard: 6, soft: 4, complained: 2 }).complaintRate; // 0.002
 */
export const withRates = (c: Counts): MailDay => ({
  ...c,
  complaintRate: c.sent ? c.complained / c.sent : null,
  hardBounceRate: c.sent ? c.hard / c.sent : null,
});

const zero = (): Counts => ({ sent: 0, delivered: 0, hard: 0, soft: 0, complained: 0 });

/**
 * Adds per-day counts into the range's figures, days in order (only days with a send or a report).
 *
 * @example
 * mailFiguresOf(new Map([[20420, { sent: 10, delivered: 9, hard: 1, soft: 0, complained: 0 }]]));
 */
export function mailFiguresOf(days: Map<number, Counts>): MailFigures {
  const total = zero();
  const daily = [...days]
    .filter(([, d]) => d.sent || d.delivered || d.hard || d.soft || d.complained)
    .sort((a, b) => a[0] - b[0])
    .map(([day, d]) => {
      for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += d[k];
      return { day: new Date(day * DAY_MS).toISOString().slice(0, 10), ...withRates(d) };
    });
  return { ...withRates(total), daily };
}

/**
 * The mail figures of a range's rollup rows.
 *
 * @example
 * mailFigures(await rollupRows(env.DB, site.id, fromDay, toDay));
 */
export function mailFigures(rows: RollupRow[]): MailFigures {
  const days = new Map<number, Counts>();
  const at = (day: number) => days.get(day) ?? (days.set(day, zero()).get(day) as Counts);
  for (const r of rows) {
    if (r.kind === "messages" && (JSON.parse(r.dim) as unknown[])[1] === "email") at(r.day).sent += r.v;
    if (r.kind !== "outcome") continue;
    const [outcome] = JSON.parse(r.dim) as [string];
    const d = at(r.day);
    if (outcome === "delivered") d.delivered += r.n;
    else if (outcome === "complained") {
      d.complained += r.n;
      d.delivered += r.n;
    } else if (outcome === "hard_bounce") d.hard += r.n;
    else if (outcome === "soft_bounce") d.soft += r.n;
  }
  return mailFiguresOf(days);
}

/**
 * The daily mail figures as CSV (rates as fractions, 4 decimals), the last line the range's total.
 *
 * @example
 * mailCsv(stats.mail); // "day,sent,delivered,hard_bounces,soft_bounces,complaints,complaint_rate,hard_bounce_rate\r\n2026-11-01,…"
 */
export function mailCsv(m: MailFigures): string {
  const r = (x: number | null) => (x === null ? "" : x.toFixed(4));
  const line = (day: string, d: MailDay) =>
    [day, d.sent, d.delivered, d.hard, d.soft, d.complained, r(d.complaintRate), r(d.hardBounceRate)].join(",");
  const header = "day,sent,delivered,hard_bounces,soft_bounces,complaints,complaint_rate,hard_bounce_rate";
  return `${[header, ...m.daily.map((d) => line(d.day, d)), line("total", m)].join("\r\n")}\r\n`;
}
