-- SMS in the recovery sequence (issue 15). A browser's consent to recovery texts: the number, when
-- it was given (the identify's time on the collector's clock), where (the page's Origin, the site
-- and the browser) and by which event. A later consent on the same browser for the same number
-- moves the time forward; a withdrawal (identify with smsConsent: false) is kept on the browser,
-- so a consent older than it counts for nothing, whatever order the two events are stored in.
CREATE TABLE sms_consents (
  site_id    INTEGER NOT NULL,
  aid        TEXT    NOT NULL,
  phone      TEXT    NOT NULL,
  given_at   INTEGER NOT NULL,
  origin     TEXT,
  event_id   TEXT    NOT NULL,
  PRIMARY KEY (site_id, aid, phone)
) WITHOUT ROWID;
CREATE INDEX sms_consents_phone ON sms_consents(site_id, phone);
ALTER TABLE shoppers ADD COLUMN sms_withdrawn_at INTEGER;

-- The channel a recovery message went by (email | sms), and for a text the number it went to.
ALTER TABLE messages ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
ALTER TABLE messages ADD COLUMN phone TEXT;
-- A text is handed to the provider by one delivery at a time: a redelivery running beside it
-- (queues deliver at least once) finds the lease taken and retries later, when the row says sent.
ALTER TABLE messages ADD COLUMN sending_until INTEGER;
