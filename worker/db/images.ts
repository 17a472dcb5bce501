// The `image_drops` table: product images left out of recovery emails, counted per site, host and
// why. The mail path adds to it once per email sent; the dashboard reads it; retention prunes it.
import type { ImageDrop } from "./schema";

export interface ImageDropRow extends ImageDrop {
  count: number;
  first_at: number;
  last_at: number;
}

/** Adds one email's dropped images to the site's counts: one batch, one upsert per host and why. */
export async function countDroppedImages(db: D1Database, site: number, drops: (ImageDrop & { count: number })[], at: number) {
  if (!drops.length) return;
  const upsert = db.prepare(
    `INSERT INTO image_drops (site_id, host, reason, count, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (site_id, host, reason) DO UPDATE SET count = count + excluded.count, last_at = max(last_at, excluded.last_at)`,
  );
  await db.batch(drops.map((d) => upsert.bind(site, d.host, d.reason, d.count, at, at)));
}

/** A site's dropped images, the most dropped first. */
export const droppedImageRows = (db: D1Database, site: number, limit = 20) =>
  droppedImagesStatement(db, site, limit)
    .all<ImageDropRow>()
    .then((r) => r.results);

/** The statement of `droppedImageRows`, for a batch of reads (the dashboard's). */
export const droppedImagesStatement = (db: D1Database, site: number, limit = 20) =>
  db
    .prepare("SELECT host, reason, count, first_at, last_at FROM image_drops WHERE site_id = ? ORDER BY count DESC, host LIMIT ?")
    .bind(site, limit);

/** Forgets the hosts that dropped nothing since `before` (ms): a fixed host stops being listed. */
export const forgetDroppedImages = (db: D1Database, before: number) =>
  db.prepare("DELETE FROM image_drops WHERE last_at < ?").bind(before).run();
