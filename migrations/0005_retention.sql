-- What the stats funnel keeps of purged events: per site, day and stage, how many shoppers reached
-- it. A shopper's events are folded in here when the retention job deletes them (7 days after
-- their cart's last change), so the funnel of any past range still adds up.
CREATE TABLE funnel_daily (
  site_id   INTEGER NOT NULL,
  day       INTEGER NOT NULL, -- days since 1970-01-01 (UTC)
  stage     TEXT NOT NULL,    -- cart | checkout | purchase | step:<name>
  shoppers  INTEGER NOT NULL,
  PRIMARY KEY (site_id, day, stage)
) WITHOUT ROWID;
