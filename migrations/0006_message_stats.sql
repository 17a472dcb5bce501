-- Per-step message figures read the messages of carts abandoned in a range. Joining 100,000
-- sequences to their messages took most of the stats request (216 of 480 ms, bench:stats), so each
-- recovery message carries its sequence's abandonment time and is read from one index instead.
ALTER TABLE messages ADD COLUMN abandoned_at INTEGER;
UPDATE messages SET abandoned_at = (SELECT abandoned_at FROM sequences WHERE sequences.id = messages.sequence_id);
CREATE INDEX messages_step_stats ON messages(site_id, kind, abandoned_at, step, sent_at, clicked_at);
