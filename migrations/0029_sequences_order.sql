-- Crediting an order checks that no other sequence of the site has it (db/ledger.ts CREDIT). Without
-- this index that check walked every sequence of the site, so each credit cost more than the one
-- before (seen seeding the stats bench: the credit was the slowest write, growing with the site).
CREATE INDEX sequences_recovered_order ON sequences (site_id, recovered_order_id) WHERE recovered_order_id IS NOT NULL;
