// Webhook deliveries: one row per webhook id, with its attempts and the last answer.

/** Whether a webhook with this id was delivered already (a retried effect queues the same id). */
export const wasDelivered = async (db: D1Database, id: string): Promise<boolean> =>
  Boolean(await db.prepare("SELECT delivered_at FROM webhook_deliveries WHERE id = ?").bind(id).first<number | null>("delivered_at"));

/** One attempt: delivered (no error) or not, and what the receiver answered. */
export const recordAttempt = (
  db: D1Database,
  job: { id: string; site: number; type: string; createdAt: number },
  status: number,
  error: string | null,
  at: number,
) =>
  db
    .prepare(
      `INSERT INTO webhook_deliveries (id, site_id, type, created_at, delivered_at, attempts, last_status, error) VALUES (?, ?, ?, ?, ?, 1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET attempts = attempts + 1, last_status = excluded.last_status, error = excluded.error, delivered_at = excluded.delivered_at`,
    )
    .bind(job.id, job.site, job.type, job.createdAt, error ? null : at, status, error)
    .run();
