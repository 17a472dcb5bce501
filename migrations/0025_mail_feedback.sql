-- Issue 22.1 and 22.3: what the mail providers say back (worker/mail/feedback/).
--
-- A message's outcome as the provider reported it, by rank (worker/mail/feedback/outcome.ts):
-- delayed < delivered < soft_bounce < hard_bounce < complained. Reports come in any order and
-- more than once; the stored one is the highest seen, so a late "delivered" never undoes a bounce.
-- The rollups count recovery emails by outcome (kind `outcome`, worker/db/rollups.ts).
ALTER TABLE messages ADD COLUMN outcome TEXT;
ALTER TABLE messages ADD COLUMN outcome_at INTEGER;

-- The keys each site's feedback is checked with, set through the merchant API and never shown
-- again: Resend's webhook signing secret (whsec_…), the Basic auth credentials pasted into
-- Postmark's webhook URL, and the SNS topics (JSON array of ARNs) whose notifications are taken.
CREATE TABLE mail_feedback_keys (
  site_id           INTEGER PRIMARY KEY,
  resend_secret     TEXT,
  postmark_user     TEXT,
  postmark_password TEXT,
  ses_topics        TEXT
);

-- Each feedback delivery taken, once: (provider, its own id) with a hash of what it said. The
-- same id with the same body is a redelivery (answered, nothing changes); with another body, a replay.
CREATE TABLE mail_feedback_receipts (
  provider   TEXT NOT NULL,
  event_id   TEXT NOT NULL,
  site_id    INTEGER NOT NULL,
  body_hash  TEXT NOT NULL,
  at         INTEGER NOT NULL,
  PRIMARY KEY (provider, event_id)
) WITHOUT ROWID;

-- Soft bounces of an address, one row per provider report: three within 30 days suppress it.
CREATE TABLE mail_soft_bounces (
  site_id   INTEGER NOT NULL,
  email     TEXT NOT NULL,
  event_id  TEXT NOT NULL,
  at        INTEGER NOT NULL,
  PRIMARY KEY (site_id, email, event_id)
) WITHOUT ROWID;

-- Sending paused by the complaint rate (a site flag): set when a complaint takes the 7-day rate over
-- 0.3 %, cleared by the merchant; `resumed_at` keeps the complaints before a resume from pausing again.
CREATE TABLE mail_pauses (
  site_id     INTEGER PRIMARY KEY,
  paused_at   INTEGER,
  why         TEXT,
  resumed_at  INTEGER
);
