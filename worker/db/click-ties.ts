// `shoppers.clicked_sequence`: a recovery link opened on a browser nobody had identified, kept for
// attribution only (migration 0023). The browser stays nobody's; its orders reach the person the
// sequence belongs to (recovery/observe.ts), so the message that brought the order is credited.

/**
 * Notes that a link of `sequence` was opened on the browser at `at`. The first such click stays:
 * a second, later link opened on the same browser does not move the attribution.
 *
 * @example
 * await noteClick(env.DB, site.id, aid, link.sequence_id, Date.now());
 */
export const noteClick = (db: D1Database, site: number, aid: string, sequence: string, at: number) =>
  db
    .prepare(
      `INSERT INTO shoppers (site_id, aid, clicked_sequence, clicked_at, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4, ?4)
       ON CONFLICT (site_id, aid) DO UPDATE SET clicked_sequence = coalesce(clicked_sequence, excluded.clicked_sequence),
         clicked_at = coalesce(clicked_at, excluded.clicked_at), last_seen = max(last_seen, excluded.last_seen)`,
    )
    .bind(site, aid, sequence, at)
    .run();

/**
 * For each of these browsers on which a link was opened: the key of the sequence's person (their
 * email, or `tel:` and the number) and when it was opened. A sequence erased since ties nothing.
 *
 * @example
 * const ties = await clickTies(env.DB, site.id, ["aid1"]); // [{ aid: "aid1", key: "ana@example.com", at: 1795000000000 }]
 */
export const clickTies = (db: D1Database, site: number, aids: string[]) =>
  db
    .prepare(
      `SELECT s.aid, q.email AS key, s.clicked_at AS at FROM shoppers s JOIN sequences q ON q.id = s.clicked_sequence AND q.site_id = s.site_id
       WHERE s.site_id = ?1 AND s.aid IN (SELECT value FROM json_each(?2))`,
    )
    .bind(site, JSON.stringify(aids))
    .all<{ aid: string; key: string; at: number }>()
    .then((r) => r.results);
