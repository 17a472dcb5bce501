// The dashboard page's reads, in one D1 batch (one round trip): the range's rollups, a page of
// interrupted orders, the dropped images, the code pool and whether a platform secret is set.

import { poolCountsStatement } from "./codes";
import { droppedImagesStatement, type ImageDropRow } from "./images";
import { platformSecretStatement } from "./platforms";
import { type RollupRow, rollupStatement } from "./rollups";
import { type InterruptedOrder, interruptedOrdersStatement } from "./stats";

/**
 * Everything `/dashboard` shows from D1 for one site, range (ms) and search, read at once.
 *
 * @example
 * const { rollups, orders } = await dashboardRows(env.DB, site.id, [from, to], { search: "ana", limit: 100 });
 */
export async function dashboardRows(db: D1Database, site: number, [from, to]: [number, number], list: { search?: string; limit?: number }) {
  const DAY = 86_400_000;
  const [rollups, orders, drops, pool, secret] = await db.batch([
    rollupStatement(db, site, from / DAY, to / DAY),
    interruptedOrdersStatement(db, site, [from, to], list),
    droppedImagesStatement(db, site),
    poolCountsStatement(db, site),
    platformSecretStatement(db, site),
  ]);
  const rows = <T>(r: D1Result | undefined) => (r?.results ?? []) as T[];
  return {
    rollups: rows<RollupRow>(rollups),
    orders: rows<InterruptedOrder>(orders),
    drops: rows<ImageDropRow>(drops),
    pool: rows<{ available: number; claimed: number }>(pool)[0] ?? { available: 0, claimed: 0 },
    platformSecret: rows<{ platform_secret: string | null }>(secret)[0]?.platform_secret ?? null,
  };
}
