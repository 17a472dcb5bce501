-- Product images left out of recovery emails, counted per site, host and why (worker/mail/render.ts
-- emailImage): an image must be https, on a host of the site's origins or of its `imageHosts`.
-- `reason` is 'host' (the host is not allowed) or 'http' (not https). One upsert per email sent
-- (worker/db/images.ts); the dashboard lists them ("3 images dropped: host cdn.example is not
-- allowed"); the retention job forgets a row 30 days after its last drop. Hosts only: nothing
-- about a shopper.
CREATE TABLE image_drops (
  site_id  INTEGER NOT NULL,
  host     TEXT    NOT NULL,
  reason   TEXT    NOT NULL CHECK (reason IN ('host', 'http')),
  count    INTEGER NOT NULL,
  first_at INTEGER NOT NULL,
  last_at  INTEGER NOT NULL,
  PRIMARY KEY (site_id, host, reason)
);
