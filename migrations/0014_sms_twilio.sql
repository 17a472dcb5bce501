-- Texts (issue 15), the provider side: the local SMS outbox, the provider's id of each text sent,
-- and each text's delivery status as the provider reports it.

-- The local SMS outbox (`SMS_PROVIDER=outbox`, the default for `npm start`), read at /dev/outbox.
-- The text's id is the key, so a redelivered job stores its text once.
CREATE TABLE dev_sms_outbox (
  id         TEXT    PRIMARY KEY,
  site_id    INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  "to"       TEXT    NOT NULL,
  body       TEXT    NOT NULL
);
CREATE INDEX dev_sms_outbox_created ON dev_sms_outbox(created_at);

-- One row per text handed to a real provider, written before the provider is called: a job that
-- finds its row with a provider id returns it without calling again; one that finds its row
-- without (the last attempt died, or its answer was lost) looks the message up at the provider
-- before creating it, because Twilio's create call has no idempotency key.
CREATE TABLE sms_sends (
  id          TEXT    PRIMARY KEY,
  site_id     INTEGER NOT NULL,
  "to"        TEXT    NOT NULL,
  started_at  INTEGER NOT NULL,
  provider_id TEXT,
  sent_at     INTEGER
);
CREATE UNIQUE INDEX sms_sends_provider ON sms_sends(provider_id) WHERE provider_id IS NOT NULL;

-- The latest status the provider reported per message, by rank: callbacks arrive in any order and
-- more than once, and a lower rank never replaces a higher one (a late `sent` after `delivered`).
CREATE TABLE sms_statuses (
  provider_id TEXT    PRIMARY KEY,
  site_id     INTEGER NOT NULL,
  status      TEXT    NOT NULL,
  rank        INTEGER NOT NULL,
  error_code  INTEGER,
  at          INTEGER NOT NULL
) WITHOUT ROWID;
