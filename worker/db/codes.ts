// Incentive code pools: `codes` and `code_pool_low`. The merchant API and the dashboard add codes;
// the mail path claims one per sequence. Every write is one statement, so D1 (one writer) makes
// each atomic: two sequences claiming at once never get the same code, and one sequence claiming
// twice (a redelivered job, a later step) gets the code it already has.

/**
 * Adds codes to a site's pool (one statement, so all or none); a code the pool already has, free
 * or taken, is left as it is. Then, when the pool is above `lowAt` again, the low notice is reset.
 *
 * @example
 * await addCodes(env.DB, site.id, ["TEA-1A2B", "TEA-3C4D"], Date.now(), 20); // { added: 2 }
 */
export async function addCodes(db: D1Database, site: number, codes: string[], at: number, lowAt: number): Promise<{ added: number }> {
  const [insert] = await db.batch([
    db
      .prepare("INSERT OR IGNORE INTO codes (site_id, code, added_at) SELECT ?1, value, ?2 FROM json_each(?3)")
      .bind(site, at, JSON.stringify(codes)),
    db
      .prepare(
        "DELETE FROM code_pool_low WHERE site_id = ?1 AND (SELECT count(*) FROM codes WHERE site_id = ?1 AND sequence_id IS NULL) > ?2",
      )
      .bind(site, lowAt),
  ]);
  return { added: insert?.meta.changes ?? 0 };
}

/**
 * The code of a sequence: the one it took before, else the oldest free one, taken now; null when
 * the pool is empty. One UPDATE takes it, so concurrent claims cannot share a code.
 *
 * @example
 * const code = await claimCode(env.DB, site.id, sequenceId, Date.now()); // "TEA-1A2B", or null
 */
export async function claimCode(db: D1Database, site: number, sequenceId: string, at: number): Promise<string | null> {
  const [, read] = await db.batch<{ code: string }>([
    db
      .prepare(
        `UPDATE codes SET sequence_id = ?2, claimed_at = ?3
         WHERE site_id = ?1 AND sequence_id IS NULL
           AND code = (SELECT code FROM codes WHERE site_id = ?1 AND sequence_id IS NULL ORDER BY added_at, code LIMIT 1)
           AND NOT EXISTS (SELECT 1 FROM codes WHERE site_id = ?1 AND sequence_id = ?2)`,
      )
      .bind(site, sequenceId, at),
    db.prepare("SELECT code FROM codes WHERE site_id = ?1 AND sequence_id = ?2").bind(site, sequenceId),
  ]);
  return read?.results[0]?.code ?? null;
}

/** The code a sequence took, if it took one (read only: the restore answer must not take one). */
export const codeOfSequence = (db: D1Database, site: number, sequenceId: string) =>
  db.prepare("SELECT code FROM codes WHERE site_id = ? AND sequence_id = ?").bind(site, sequenceId).first<string | null>("code");

/**
 * A site's pool: codes still free, and taken.
 *
 * @example
 * await poolCounts(env.DB, site.id); // { available: 180, claimed: 20 }
 */
export const poolCounts = async (db: D1Database, site: number): Promise<{ available: number; claimed: number }> =>
  (await poolCountsStatement(db, site).first<{ available: number; claimed: number }>()) ?? { available: 0, claimed: 0 };

/** The statement of `poolCounts`, for a batch of reads (the dashboard's). */
export const poolCountsStatement = (db: D1Database, site: number) =>
  db.prepare("SELECT count(*) - count(sequence_id) AS available, count(sequence_id) AS claimed FROM codes WHERE site_id = ?").bind(site);

/**
 * Records that the pool is at or below `lowAt` free codes: true for the one call that records it
 * (the merchant is told then), false while it stays recorded or the pool is above the mark.
 *
 * @example
 * if (await markPoolLow(env.DB, site.id, 20, Date.now())) await tellMerchant();
 */
export async function markPoolLow(db: D1Database, site: number, lowAt: number, at: number): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT OR IGNORE INTO code_pool_low (site_id, notified_at)
       SELECT ?1, ?3 WHERE (SELECT count(*) FROM codes WHERE site_id = ?1 AND sequence_id IS NULL) <= ?2`,
    )
    .bind(site, lowAt, at)
    .run();
  return result.meta.changes > 0;
}

/**
 * Undoes `markPoolLow` of the moment `at` when the notice it allowed could not be sent, so the
 * next claim that finds the pool low tries again. A later mark (another claim's) stays.
 *
 * @example
 * if (!(await sent())) await clearPoolLow(env.DB, site.id, markedAt);
 */
export const clearPoolLow = (db: D1Database, site: number, at: number) =>
  db.prepare("DELETE FROM code_pool_low WHERE site_id = ? AND notified_at = ?").bind(site, at).run();
