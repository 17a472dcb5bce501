-- Issue 21: every figure the stats show, per site and day, kept current by the statements that
-- change the facts (worker/db/rollups.ts says what each kind of row holds and keeps them). The
-- inserts below give a database that already holds data the rollups of what it holds now, with the
-- same rules as worker/db/rollups.ts; what earlier retention jobs folded into funnel_daily stays
-- there and is read with the rollups.
CREATE TABLE rollups (
  site_id INTEGER NOT NULL,
  day     INTEGER NOT NULL, -- days since 1970-01-01 (UTC)
  kind    TEXT    NOT NULL, -- abandoned | recovered | ttr | messages | clicked | converted | stage | rank
  dim     TEXT    NOT NULL, -- JSON array: the figure's key within its kind
  n       INTEGER NOT NULL,
  v       INTEGER NOT NULL,
  PRIMARY KEY (site_id, day, kind, dim)
) WITHOUT ROWID;

-- A day's buyers are recounted from orders by time, and a browser's orders found by its id.
CREATE INDEX orders_day ON orders(site_id, at);
CREATE INDEX orders_aid ON orders(site_id, aid);

INSERT INTO rollups (site_id, day, kind, dim, n, v)
SELECT site_id, day, kind, dim, sum(n), sum(v) FROM (
  SELECT s.site_id, s.abandoned_at / 86400000 AS day, k.value AS kind,
    CASE k.value WHEN 'ttr' THEN json_array(CASE WHEN s.recovered_at - s.abandoned_at < 7200000 THEN (s.recovered_at - s.abandoned_at) / 60000
        WHEN s.recovered_at - s.abandoned_at < 172800000 THEN (s.recovered_at - s.abandoned_at) / 360000 * 6
        ELSE (s.recovered_at - s.abandoned_at) / 8640000 * 144 END)
      ELSE json_array(s.reason, s.holdout, s.currency) END AS dim,
    CASE k.value WHEN 'abandoned' THEN 1 WHEN 'recovered' THEN s.recovered_order_id IS NOT NULL
      ELSE s.holdout = 0 AND s.recovered_at IS NOT NULL END AS n,
    CASE k.value WHEN 'abandoned' THEN s.value WHEN 'recovered' THEN iif(s.recovered_order_id IS NOT NULL, coalesce(s.recovered_value, 0), 0)
      ELSE iif(s.holdout = 0 AND s.recovered_at IS NOT NULL, s.recovered_at - s.abandoned_at, 0) END AS v
    FROM sequences s, json_each('["abandoned","recovered","ttr"]') k
  UNION ALL
  SELECT m.site_id, m.abandoned_at / 86400000, k.value, json_array(m.step, m.channel),
    iif(k.value = 'messages', count(*), count(m.clicked_at)), iif(k.value = 'messages', count(m.sent_at), 0)
    FROM messages m, json_each('["messages","clicked"]') k WHERE m.kind = 'recovery' AND m.abandoned_at IS NOT NULL
    GROUP BY m.site_id, m.abandoned_at, m.step, m.channel, k.value
  UNION ALL
  SELECT s.site_id, s.abandoned_at / 86400000, 'converted', json_array(m.step, m.channel), 1, coalesce(s.recovered_value, 0)
    FROM sequences s JOIN messages m ON m.id = (SELECT x.id FROM messages x WHERE x.sequence_id = s.id AND x.kind = 'recovery'
      AND x.sent_at IS NOT NULL AND x.sent_at <= s.recovered_at ORDER BY x.step DESC LIMIT 1)
    WHERE s.holdout = 0 AND s.recovered_order_id IS NOT NULL
) WHERE n <> 0 OR v <> 0 GROUP BY site_id, day, kind, dim;

INSERT INTO rollups (site_id, day, kind, dim, n, v)
WITH firsts AS (
  SELECT site_id, aid, CASE WHEN type IN ('cart', 'checkout') THEN type
      WHEN type = 'moment' AND json_extract(data, '$.kind') = 'step' THEN 'step:' || json_extract(data, '$.code') END AS stage, min(at) AS first_at
  FROM events WHERE type IN ('cart', 'checkout', 'moment') GROUP BY site_id, aid, stage
), steps AS (
  SELECT site_id, substr(stage, 6) AS step, first_at, rank() OVER (PARTITION BY site_id, aid ORDER BY first_at) AS position
  FROM firsts WHERE stage LIKE 'step:%'
)
SELECT site_id, first_at / 86400000, 'stage', json_array(stage), count(*), 0 FROM firsts WHERE stage IS NOT NULL GROUP BY site_id, first_at / 86400000, stage
UNION ALL
SELECT site_id, first_at / 86400000, 'rank', json_array(step), count(*), sum(position) FROM steps GROUP BY site_id, first_at / 86400000, step;

INSERT INTO rollups (site_id, day, kind, dim, n, v)
SELECT site_id, at / 86400000, 'stage', '["purchase"]', count(DISTINCT coalesce(aid, 'order:' || order_id)), 0
FROM orders GROUP BY site_id, at / 86400000;
