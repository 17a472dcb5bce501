-- Covering indexes for the stats: a 90-day range over 100,000 carts is read from the indexes alone
-- (measured with `npm run bench:stats`). They replace the narrower indexes added in 0003.
DROP INDEX sequences_site_abandoned;
CREATE INDEX sequences_stats ON sequences(site_id, abandoned_at, holdout, reason, currency, value, recovered_order_id, recovered_value, recovered_at);
CREATE INDEX messages_stats ON messages(sequence_id, kind, step, sent_at, clicked_at);
DROP INDEX events_site_type_at;
CREATE INDEX events_funnel ON events(site_id, type, at, aid);
