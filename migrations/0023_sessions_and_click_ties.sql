-- A merchant's dashboard session, server-side: the cookie is still signed with the site's secret
-- (a changed secret ends every session), and it also names a row here, so signing out ends that
-- session on every copy of the cookie. The id is kept as its SHA-256: the table alone opens nothing.
CREATE TABLE dashboard_sessions (
  id TEXT PRIMARY KEY,
  site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX dashboard_sessions_site ON dashboard_sessions (site_id, expires_at);

-- A browser on which someone opened a recovery link without being known there (a forwarded link,
-- or the shopper's own new device before they type anything): the sequence it came from and when.
-- For attribution only: its orders from then on reach that sequence's person, to be credited and
-- to end the intent, but the browser does not become theirs (its carts, its later activity and
-- its privacy export stay its own). It names a sequence, not a person: erasing the person's
-- sequences leaves nothing of them on someone else's row.
ALTER TABLE shoppers ADD COLUMN clicked_sequence TEXT;
ALTER TABLE shoppers ADD COLUMN clicked_at INTEGER;
