-- Orders from the shop's platform (worker/platforms/): Shopify's and WooCommerce's order webhooks.

-- The key the platform signs its webhooks with (HMAC-SHA256 of the raw body). Kept as written,
-- not hashed: checking a signature needs the key itself, as it does for `secret` and for the
-- outgoing webhook's secret in `settings`. NULL until the merchant generates or sets one; a
-- webhook for a site without one is refused.
ALTER TABLE sites ADD COLUMN platform_secret TEXT;

-- Which browser had which of the platform's carts or checkouts: a `ref` event from a platform
-- adapter (Shopify's cart and checkout tokens), stored by ingest with its batch, and read by the
-- order webhook, which names the token. The token is kept without any `?key=…` part
-- (protocol/refs.ts), on both sides. One token may have been reported by more than one browser.
-- Pruned with the browser's events by the retention job; exported and erased with the shopper.
CREATE TABLE platform_refs (
  site_id   INTEGER NOT NULL,
  platform  TEXT    NOT NULL CHECK (platform IN ('shopify', 'woocommerce')),
  ref       TEXT    NOT NULL,
  aid       TEXT    NOT NULL,
  at        INTEGER NOT NULL, -- the latest report, on the collector's clock
  PRIMARY KEY (site_id, platform, ref, aid)
) WITHOUT ROWID;
CREATE INDEX platform_refs_aid ON platform_refs(site_id, aid);

-- Each platform webhook delivery taken, once: a redelivery (Shopify retries with the same
-- X-Shopify-Webhook-Id; WooCommerce's key is the order, its status and its modification time) is
-- answered without acting again. Written after the delivery's effects, which are idempotent
-- themselves, so a delivery that failed half-way is acted on again in full. No shopper data: ids
-- and what was done. Pruned by the retention job 30 days after receipt.
CREATE TABLE platform_receipts (
  site_id     INTEGER NOT NULL,
  platform    TEXT    NOT NULL,
  delivery    TEXT    NOT NULL,
  received_at INTEGER NOT NULL,
  outcome     TEXT    NOT NULL, -- paid | waiting | payment_failed | ignored
  order_id    TEXT,
  PRIMARY KEY (site_id, platform, delivery)
) WITHOUT ROWID;
CREATE INDEX platform_receipts_received ON platform_receipts(received_at);

-- The tokens a paid platform order named (Shopify's cart_token and checkout_token, without
-- `?key=`): a browser that reports one only after the order's webhook came is still tied to the
-- order (ingest sets the order's browser), so the order ends that browser's purchase intent once
-- the browser is known to be someone's. Random tokens and an order id, no shopper data. Pruned
-- with the receipts.
CREATE TABLE platform_order_refs (
  site_id   INTEGER NOT NULL,
  platform  TEXT    NOT NULL,
  ref       TEXT    NOT NULL,
  order_id  TEXT    NOT NULL,
  at        INTEGER NOT NULL, -- when the webhook came
  PRIMARY KEY (site_id, platform, ref, order_id)
) WITHOUT ROWID;
CREATE INDEX platform_order_refs_at ON platform_order_refs(at);
