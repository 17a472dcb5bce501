-- Single-use incentive codes (issue 15): a site's pool, uploaded by the merchant. A code is free
-- while sequence_id is NULL; a sequence that reaches an incentive step takes one in one UPDATE
-- (worker/db/codes.ts claimCode) and keeps it for its later steps. The unique index makes "one
-- code per sequence" a fact of the table, not of the code that writes it.
CREATE TABLE codes (
  site_id     INTEGER NOT NULL,
  code        TEXT    NOT NULL,
  added_at    INTEGER NOT NULL,
  sequence_id TEXT,
  claimed_at  INTEGER,
  PRIMARY KEY (site_id, code)
) WITHOUT ROWID;
CREATE UNIQUE INDEX codes_sequence ON codes(site_id, sequence_id) WHERE sequence_id IS NOT NULL;
CREATE INDEX codes_free ON codes(site_id, added_at, code) WHERE sequence_id IS NULL;

-- The merchant was told the pool runs low: once, until an upload fills it above the mark again.
CREATE TABLE code_pool_low (
  site_id     INTEGER PRIMARY KEY,
  notified_at INTEGER NOT NULL
);
