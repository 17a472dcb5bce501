-- Issue 21.3: the retention job purges a site a slice of shoppers at a time (worker/db/retention.ts);
-- where its pass over a site stands, so a run cut short resumes there the next time.
CREATE TABLE retention_cursors (
  site_id INTEGER PRIMARY KEY,
  aid     TEXT NOT NULL -- the last shopper (aid order) of the last slice purged
);
