-- Issue 22 (6-8): who recovery writes to. What the shop says at identify about a browser's
-- shopper (`exclude`: the shop wants no recovery for them; `customer`: they bought before, for the
-- customers-only audience), newest identify winning as for the other identify fields; and the
-- merchant's own list of shoppers (an email, or `tel:` and a number) who get no recovery.
-- Merchant suppressions need no table: `suppressions` (source 'merchant') and `sms_suppressions`
-- (why 'merchant') hold them beside the opt-outs.
ALTER TABLE shoppers ADD COLUMN excluded INTEGER;
ALTER TABLE shoppers ADD COLUMN customer INTEGER;

CREATE TABLE excluded_shoppers (
  site_id    INTEGER NOT NULL,
  key        TEXT    NOT NULL, -- a normalised email, or tel:+E.164
  created_at INTEGER NOT NULL,
  PRIMARY KEY (site_id, key)
) WITHOUT ROWID;
