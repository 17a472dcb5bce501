-- Stats: the holdout group, and indexes that keep the figures quick as data grows.

-- 1 when the shopper is in the site's holdout: the sequence is recorded, no message is sent, and
-- a purchase within the attribution window of the abandonment counts as a natural recovery.
ALTER TABLE sequences ADD COLUMN holdout INTEGER NOT NULL DEFAULT 0;

CREATE INDEX sequences_site_abandoned ON sequences(site_id, abandoned_at);
CREATE INDEX events_site_type_at ON events(site_id, type, at);
