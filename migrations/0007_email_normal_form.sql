-- One form of an email address: trimmed and lower-cased as a whole (protocol/email.ts). Addresses
-- were stored as typed, so `Omar.Said@Example.com` and `omar.said@example.com` were two shoppers to
-- suppression, identity, export and erase. This rewrites every stored address into the normal form.
--
-- lower(trim(x)) here is normalEmail(x) in the code: SQLite's lower() folds only ASCII letters (and
-- trim() only spaces), but every stored address passed EMAIL_PATTERN, which admits ASCII only
-- (`\w` without the u flag is [A-Za-z0-9_]) and no whitespace, so no address holds anything else.
-- Each statement touches only rows not yet in the normal form: running it again changes nothing.

UPDATE shoppers SET email = lower(trim(email)) WHERE email IS NOT NULL AND email <> lower(trim(email));
UPDATE sequences SET email = lower(trim(email)) WHERE email <> lower(trim(email));
UPDATE messages SET email = lower(trim(email)) WHERE email <> lower(trim(email));
UPDATE links SET email = lower(trim(email)) WHERE email <> lower(trim(email));
UPDATE dev_outbox SET "to" = lower(trim("to")) WHERE "to" <> lower(trim("to"));

-- Suppressions are keyed by (site_id, email): addresses that differ only in case are one opt-out.
-- Of each such group keep the earliest (and its source), ties broken by the stored text; only
-- groups with a row not yet in the normal form are looked at. Then the survivors are rewritten.
DELETE FROM suppressions
WHERE (site_id, lower(trim(email))) IN (SELECT site_id, lower(trim(email)) FROM suppressions WHERE email <> lower(trim(email)))
  AND EXISTS (
    SELECT 1 FROM suppressions AS earlier
    WHERE earlier.site_id = suppressions.site_id
      AND lower(trim(earlier.email)) = lower(trim(suppressions.email))
      AND (earlier.created_at < suppressions.created_at
        OR (earlier.created_at = suppressions.created_at AND earlier.email < suppressions.email))
  );
UPDATE suppressions SET email = lower(trim(email)) WHERE email <> lower(trim(email));
