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
