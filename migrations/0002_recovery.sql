-- Recovery: one sequence per shopper (site + email) and purchase intent, its messages, the links
-- in them, the permanent suppression list, and the local dev outbox.

CREATE TABLE sequences (
  id            TEXT PRIMARY KEY,
  site_id       INTEGER NOT NULL,
  email         TEXT NOT NULL,
  aid           TEXT NOT NULL,          -- the cart the sequence is about
  abandoned_at  INTEGER NOT NULL,       -- last activity before going quiet
  started_at    INTEGER NOT NULL,
  value         INTEGER NOT NULL,
  currency      TEXT NOT NULL,
  reason        TEXT NOT NULL,          -- payment_failed | extra_costs | question | reminder
  status        TEXT NOT NULL,          -- active | completed | stopped
  stop_reason   TEXT,                   -- purchased | returned | emptied | unsubscribed | expired
  stopped_at    INTEGER,
  recovered_order_id TEXT,              -- a paid order within the attribution window
  recovered_value    INTEGER,
  recovered_at       INTEGER
) WITHOUT ROWID;
CREATE INDEX sequences_site ON sequences(site_id, started_at);
CREATE INDEX sequences_email ON sequences(site_id, email);

CREATE TABLE messages (
  id            TEXT PRIMARY KEY,       -- <sequence id>-<step>: also the provider's idempotency key
  sequence_id   TEXT NOT NULL,
  site_id       INTEGER NOT NULL,
  email         TEXT NOT NULL,
  step          INTEGER NOT NULL,
  kind          TEXT NOT NULL,          -- recovery | merchant_notice | test
  template      TEXT,
  status        TEXT NOT NULL,          -- queued | sent | cancelled | failed
  due_at        INTEGER NOT NULL,
  queued_at     INTEGER NOT NULL,
  sent_at       INTEGER,
  clicked_at    INTEGER,
  cancel_reason TEXT,
  error         TEXT,
  attempts      INTEGER NOT NULL DEFAULT 0,
  provider_id   TEXT,
  subject       TEXT
) WITHOUT ROWID;
CREATE INDEX messages_sequence ON messages(sequence_id);
CREATE INDEX messages_site ON messages(site_id, queued_at);

-- Tokens are stored as SHA-256 hashes: a leaked table does not hand out working links.
CREATE TABLE links (
  token_hash    TEXT PRIMARY KEY,
  kind          TEXT NOT NULL,          -- restore | unsubscribe
  site_id       INTEGER NOT NULL,
  email         TEXT NOT NULL,
  aid           TEXT,
  message_id    TEXT,
  sequence_id   TEXT,
  expires_at    INTEGER NOT NULL,
  used_at       INTEGER
) WITHOUT ROWID;

-- Never forgotten: an unsubscribed address is not mailed again by this site.
CREATE TABLE suppressions (
  site_id     INTEGER NOT NULL,
  email       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  source      TEXT NOT NULL,            -- link | one_click | merchant | bounce
  PRIMARY KEY (site_id, email)
) WITHOUT ROWID;

-- The local mailer's outbox (MAIL_PROVIDER=outbox), readable at /dev/outbox.
CREATE TABLE dev_outbox (
  id          TEXT PRIMARY KEY,         -- the idempotency key: a resend is stored once
  site_id     INTEGER,
  created_at  INTEGER NOT NULL,
  "to"        TEXT NOT NULL,
  "from"      TEXT NOT NULL,
  subject     TEXT NOT NULL,
  headers     TEXT NOT NULL,            -- JSON
  html        TEXT NOT NULL,
  text        TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX dev_outbox_created ON dev_outbox(created_at);

CREATE TABLE webhook_deliveries (
  id           TEXT PRIMARY KEY,
  site_id      INTEGER NOT NULL,
  type         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  delivered_at INTEGER,
  attempts     INTEGER NOT NULL DEFAULT 0,
  last_status  INTEGER,
  error        TEXT
) WITHOUT ROWID;
