-- The sending-domain check's last result per site, domain and provider (worker/mail/domain):
-- a site's From address must be on a domain whose check passed for the provider it sends with.
CREATE TABLE sending_domains (
  site_id    INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  domain     TEXT    NOT NULL,
  provider   TEXT    NOT NULL,
  passed     INTEGER NOT NULL,
  checked_at INTEGER NOT NULL,
  -- The report as JSON (findings in words), shown again in the dashboard.
  report     TEXT    NOT NULL,
  PRIMARY KEY (site_id, domain, provider)
);
