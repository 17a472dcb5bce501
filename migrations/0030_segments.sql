-- Segments and ad audiences (docs/segments.md).
--
-- A shopper's yes (or no) to being shown ads from the shop's customer lists (Meta Custom Audiences,
-- Google Customer Match), as the merchant recorded it: neither a recovery email nor an SMS consent
-- (which covers recovery texts only) covers an ad audience, so nobody is in one without a row here.
-- One row a person (the normal email, or `tel:` and the number for a person known by phone only);
-- the latest `at` wins, so a late retry of an old yes cannot undo a later no.
CREATE TABLE ad_consents (
  site_id INTEGER NOT NULL,
  person  TEXT    NOT NULL,
  phone   TEXT,             -- E.164, when the consent covers a number too
  ads     INTEGER NOT NULL, -- 1 given, 0 withdrawn
  at      INTEGER NOT NULL,
  PRIMARY KEY (site_id, person)
) WITHOUT ROWID;

-- The segments read a window of abandonments grouped by person: this index holds every column they
-- read, so the query walks the window's range of it and never the table.
CREATE INDEX sequences_people ON sequences(site_id, abandoned_at, email, value, recovered_order_id, recovered_value, recovered_at, reason, holdout);
