-- Messages that fit the person (issue 15). A browser's language preferences (its Accept-Language,
-- as canonical BCP 47 tags best first, comma-separated) and its time zone (Cloudflare's
-- IP-based request.cf.timezone), both as of its latest batch: the collector reads them at ingest,
-- so the script spends no bytes on them. A message keeps the language it was written in, so the
-- link, unsubscribe and "already ordered" pages it leads to speak it too.
ALTER TABLE shoppers ADD COLUMN locale TEXT;
ALTER TABLE shoppers ADD COLUMN time_zone TEXT;
ALTER TABLE messages ADD COLUMN language TEXT;
