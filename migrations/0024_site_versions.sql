-- A version that moves at every change of a site (its key, name, origins or settings) and at every
-- new site, whoever writes it (the merchant API, the dashboard, `npm run site:create`, plain SQL):
-- each isolate keeps sites in memory and asks "what changed since version N?" with one indexed
-- read every few seconds (worker/sites/sites.ts), instead of re-reading every site each minute.
ALTER TABLE sites ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sites_version ON sites (version);

CREATE TRIGGER sites_version_on_insert AFTER INSERT ON sites
BEGIN
  UPDATE sites SET version = (SELECT max(version) FROM sites) + 1 WHERE id = NEW.id;
END;

-- `version` is not among the columns watched, so the trigger's own write does not fire it again.
CREATE TRIGGER sites_version_on_update AFTER UPDATE OF key, name, origins, settings ON sites
BEGIN
  UPDATE sites SET version = (SELECT max(version) FROM sites) + 1 WHERE id = NEW.id;
END;
