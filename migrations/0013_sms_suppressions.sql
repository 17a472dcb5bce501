-- Numbers that must never get a text again from a site (issue 15): an inbound STOP (Twilio's
-- opt-out keywords), a withdrawn consent, a number the provider says cannot receive. Kept
-- forever, by design: a later consent from the same page does not undo a STOP sent by the phone.
CREATE TABLE sms_suppressions (
  site_id INTEGER NOT NULL,
  phone   TEXT    NOT NULL,
  at      INTEGER NOT NULL,
  why     TEXT    NOT NULL,
  PRIMARY KEY (site_id, phone)
) WITHOUT ROWID;
