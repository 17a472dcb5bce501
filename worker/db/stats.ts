// The interrupted orders list: one page of sequences at a time, newest first. Every other figure
// of the stats is read from the rollups (worker/db/rollups.ts).

export interface InterruptedOrder {
  sequenceId: string;
  email: string;
  abandonedAt: number;
  value: number;
  currency: string;
  reason: string;
  status: string;
  messagesSent: number;
  recoveredOrderId: string | null;
  recoveredValue: number | null;
}

/** Interrupted orders, newest first, optionally only those whose email contains `search`. */
export async function interruptedOrderRows(
  db: D1Database,
  site: number,
  range: [number, number],
  options: { search?: string; limit?: number; offset?: number } = {},
): Promise<InterruptedOrder[]> {
  return (await interruptedOrdersStatement(db, site, range, options).all<InterruptedOrder>()).results;
}

/** The statement of `interruptedOrderRows`, for a batch of reads (the dashboard's). */
export function interruptedOrdersStatement(
  db: D1Database,
  site: number,
  [from, to]: [number, number],
  { search, limit = 50, offset = 0 }: { search?: string; limit?: number; offset?: number } = {},
): D1PreparedStatement {
  const like = search ? `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  return db
    .prepare(
      `SELECT s.id AS sequenceId, s.email, s.abandoned_at AS abandonedAt, s.value, s.currency, s.reason,
         CASE WHEN s.recovered_order_id IS NOT NULL THEN 'recovered' WHEN s.holdout = 1 THEN 'holdout'
              WHEN s.status IN ('stopped', 'excluded') THEN s.status || ': ' || s.stop_reason ELSE s.status END AS status,
         (SELECT count(*) FROM messages m WHERE m.sequence_id = s.id AND m.sent_at IS NOT NULL) AS messagesSent,
         s.recovered_order_id AS recoveredOrderId, s.recovered_value AS recoveredValue
       FROM sequences s WHERE s.site_id = ?1 AND s.abandoned_at >= ?2 AND s.abandoned_at < ?3 AND (?4 IS NULL OR s.email LIKE ?4 ESCAPE '\\')
       ORDER BY s.abandoned_at DESC LIMIT ?5 OFFSET ?6`,
    )
    .bind(site, from, to, like, limit, offset);
}
