-- Sites: a shop that uses Cartback. The key is public (it is in the script tag); the secret is
-- the merchant's, for the stats and for signing shopper tokens.
CREATE TABLE sites (
  id          INTEGER PRIMARY KEY,
  key         TEXT NOT NULL UNIQUE,
  secret      TEXT NOT NULL,
  name        TEXT NOT NULL,
  origins     TEXT NOT NULL DEFAULT '[]',  -- JSON array of allowed origins
  settings    TEXT NOT NULL DEFAULT '{}',  -- JSON object
  created_at  INTEGER NOT NULL
);

-- A browser, identified by the random id the script keeps (aid), and who it says it is.
CREATE TABLE shoppers (
  site_id       INTEGER NOT NULL REFERENCES sites(id),
  aid           TEXT NOT NULL,
  email         TEXT,
  user_id       TEXT,
  name          TEXT,
  identified_at INTEGER,
  first_seen    INTEGER NOT NULL,
  last_seen     INTEGER NOT NULL,
  PRIMARY KEY (site_id, aid)
) WITHOUT ROWID;
CREATE INDEX shoppers_email ON shoppers(site_id, email) WHERE email IS NOT NULL;

-- Every event, once: the primary key makes a replayed event a no-op.
CREATE TABLE events (
  site_id      INTEGER NOT NULL,
  id           TEXT NOT NULL,
  aid          TEXT NOT NULL,
  type         TEXT NOT NULL,
  at           INTEGER NOT NULL,  -- corrected to the collector's clock
  client_at    INTEGER NOT NULL,  -- as the browser said
  received_at  INTEGER NOT NULL,
  data         TEXT NOT NULL,     -- the event as validated, JSON
  PRIMARY KEY (site_id, id)
) WITHOUT ROWID;
CREATE INDEX events_shopper ON events(site_id, aid, at);
CREATE INDEX events_at ON events(at);

-- The latest cart per shopper. A change only lands if it is newer than what is stored, by
-- (browser time, event id): both are fixed per event, so a replay changes nothing and a late
-- event cannot roll a cart back. (The corrected time may differ between deliveries.)
CREATE TABLE carts (
  site_id             INTEGER NOT NULL,
  aid                 TEXT NOT NULL,
  status              TEXT NOT NULL,    -- active | empty | purchased
  currency            TEXT NOT NULL,
  lines               TEXT NOT NULL,    -- JSON array of lines
  item_count          INTEGER NOT NULL,
  value               INTEGER NOT NULL, -- minor units
  updated_at          INTEGER NOT NULL, -- corrected to the collector's clock
  client_at           INTEGER NOT NULL, -- the browser's time of the event that wrote this row
  version             TEXT NOT NULL,    -- id of that event
  expires_at          INTEGER NOT NULL,
  checkout_started_at INTEGER,
  order_id            TEXT,
  PRIMARY KEY (site_id, aid)
) WITHOUT ROWID;
CREATE INDEX carts_expires ON carts(expires_at);
CREATE INDEX carts_site_updated ON carts(site_id, updated_at);

CREATE TABLE orders (
  site_id   INTEGER NOT NULL,
  order_id  TEXT NOT NULL,
  aid       TEXT,
  total     INTEGER NOT NULL,
  currency  TEXT NOT NULL,
  at        INTEGER NOT NULL,
  source    TEXT NOT NULL,  -- script | server
  PRIMARY KEY (site_id, order_id)
) WITHOUT ROWID;
