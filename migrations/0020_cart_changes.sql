-- Carts stored as changes (docs/cart-changes.md): a cart event's row holds what changed against
-- the cart the browser's `carts` row held when it was stored, named by that row's `lines_of`: the
-- id of the event whose write set its lines (a cart event, or a purchase that made the row). A
-- purchase that closes an existing row leaves its lines, and so this label, as they were.
ALTER TABLE carts ADD COLUMN lines_of TEXT;

-- Rows written before: an open or empty cart's lines are its version's (a cart event, stored whole);
-- a purchased one's may be an older event's, so the next change after it is stored whole.
UPDATE carts SET lines_of = version WHERE status <> 'purchased' AND lines_of IS NULL;
