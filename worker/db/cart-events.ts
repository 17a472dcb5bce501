// Cart events stored as changes (docs/cart-changes.md): `carts` keeps each browser's latest cart
// whole, and each cart event's row only what changed against the cart that row held when the
// event was stored. The format is protocol/cart-changes.ts; the SQL that writes and reads it is here.
import {
  type CartHeadLabel,
  cartValue,
  eventsAsSent,
  readLines,
  type StoredEventRow,
  storedCartChange,
  writeLines,
} from "../../protocol/cart-changes";
import { DAY_MS } from "../../protocol/limits";
import type { Cart, CartEvent, PurchaseEvent } from "../../protocol/types";
import { type Row, row, rowSql } from "./rows";
import type { IngestMessage } from "./schema";

/** A browser's `carts` row as a change is made against it: its label, its order key and its cart. */
export interface CartHead {
  /** The id of the event whose write set the row's lines; null for a row written before labels
   * and purchased since (its lines may be an older event's): a change against it goes whole. */
  label: string | null;
  cart: Cart;
  /** The row's place in (browser time, event id): only a later event replaces it. */
  clientAt: number;
  version: string;
}

/** The heads of the browsers a consumer batch is about, by `site:aid`; a browser without a row has none. */
export type CartHeads = Map<string, CartHead>;

const headKey = (site: number, aid: string) => `${site}:${aid}`;

interface HeadRow {
  site_id: number;
  aid: string;
  lines_of: string | null;
  client_at: number;
  version: string;
  currency: string;
  lines: string;
}

/**
 * Reads the `carts` rows the cart events of these messages will be stored against, in one
 * statement (none when no message has a cart event). Read before the write, outside its transaction: a
 * row another writer changes in between costs bytes, never correctness (see `cartEventStatements`).
 *
 * @example
 * const heads = await cartHeads(env.DB, [message]);
 * await env.DB.batch(statementsFor(env.DB, message, heads));
 */
export async function cartHeads(db: D1Database, messages: Pick<IngestMessage, "site" | "aid" | "events">[]): Promise<CartHeads> {
  const pairs = new Map<string, [number, string]>();
  for (const m of messages) if (m.events.some((e) => e.type === "cart")) pairs.set(headKey(m.site, m.aid), [m.site, m.aid]);
  const heads: CartHeads = new Map();
  if (!pairs.size) return heads;
  // One statement for the whole batch, each row by its primary key.
  const { results } = await db
    .prepare(
      `SELECT c.site_id, c.aid, c.lines_of, c.client_at, c.version, c.currency, c.lines FROM json_each(?1) p
       JOIN carts c ON c.site_id = (p.value ->> 0) AND c.aid = (p.value ->> 1)`,
    )
    .bind(JSON.stringify([...pairs.values()]))
    .all<HeadRow>();
  for (const r of results) {
    heads.set(headKey(r.site_id, r.aid), {
      label: r.lines_of,
      clientAt: r.client_at,
      version: r.version,
      cart: { currency: r.currency, lines: readLines(r.lines) },
    });
  }
  return heads;
}

const newer = (event: { at: number; id: string }, head: CartHead) =>
  event.at > head.clientAt || (event.at === head.clientAt && event.id > head.version);

// A cart event's row statements (rows.ts), in this order: its row as a change against the head it
// was read with, only if the `carts` row still carries that label; the refusal when it does not; the `carts` row.
const CART_EVENT = rowSql(
  `INSERT OR IGNORE INTO events (site_id, id, aid, type, at, client_at, received_at, data)
   SELECT ?1, ?2, ?3, 'cart', ?4, ?5, ?6, ?7 FROM ROWS WHERE (SELECT lines_of FROM carts WHERE site_id = ?1 AND aid = ?3) IS ?8`,
);
const HEAD_MOVED = rowSql(
  // The head moved since it was read: a row with no data, refused by its NOT NULL, fails the batch.
  `INSERT INTO events (site_id, id, aid, type, at, client_at, received_at, data) SELECT ?1, ?2, ?3, 'cart', 0, 0, 0, NULL FROM ROWS
   WHERE (SELECT lines_of FROM carts WHERE site_id = ?1 AND aid = ?3) IS NOT ?4 AND NOT EXISTS (SELECT 1 FROM events WHERE site_id = ?1 AND id = ?2)`,
);
const CART_ROW = rowSql(
  // A checkout already stored for a time after this cart (it arrived first) counts for it.
  `INSERT INTO carts (site_id, aid, status, currency, lines, item_count, value, updated_at, client_at, version, expires_at, checkout_started_at, lines_of)
   SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,
     (SELECT max(at) FROM events WHERE site_id = ?1 AND aid = ?2 AND type = 'checkout' AND client_at >= ?9), ?10 FROM ROWS WHERE true
   ON CONFLICT (site_id, aid) DO UPDATE SET
     status = excluded.status, currency = excluded.currency, lines = excluded.lines,
     item_count = excluded.item_count, value = excluded.value, updated_at = excluded.updated_at,
     client_at = excluded.client_at, version = excluded.version, expires_at = excluded.expires_at, order_id = NULL,
     lines_of = excluded.lines_of,
     checkout_started_at = CASE WHEN carts.status = 'active'
       THEN coalesce(carts.checkout_started_at, excluded.checkout_started_at) ELSE excluded.checkout_started_at END
   WHERE (excluded.client_at, excluded.version) > (carts.client_at, carts.version)`,
);

/**
 * A cart event's steps (rows.ts): its row as a change against the head it was read with, and only
 * if the `carts` row still carries that label when the batch runs. If another writer moved it in
 * between, the batch fails (`isHeadMoved`) and is stored again with the heads read afresh: so each
 * label is reached from the one before by a stored change, and a purge of older events never cuts
 * a newer one off from the head (docs/cart-changes.md). Then the `carts` row, which only moves
 * forward in (browser time, event id). `heads` follows what the statements do, for the batch's next event.
 *
 * @example
 * steps.push(...cartEventSteps(message, event, at, heads));
 */
export function cartEventSteps(message: IngestMessage, event: CartEvent, at: number, heads: CartHeads): Row[] {
  const { site, aid, receivedAt, ttlDays } = message;
  const key = headKey(site, aid);
  const head = heads.get(key);
  const base: CartHeadLabel | null = head?.label ? { label: head.label, cart: head.cart } : null;
  const label = base?.label ?? null;
  const items = event.cart.lines.reduce((n, l) => n + l.quantity, 0);
  const steps = [
    row(CART_EVENT, site, event.id, aid, at, event.at, receivedAt, storedCartChange(event, base), label),
    row(HEAD_MOVED, site, event.id, aid, label),
    row(
      CART_ROW,
      site,
      aid,
      items ? "active" : "empty",
      event.cart.currency,
      writeLines(event.cart.lines),
      items,
      cartValue(event.cart),
      at,
      event.at,
      event.id,
      at + ttlDays * DAY_MS,
    ),
  ];
  if (!head || newer(event, head)) heads.set(key, { label: event.id, clientAt: event.at, version: event.id, cart: event.cart });
  return steps;
}

/**
 * Whether a batch failed because a browser's `carts` row moved between the read of its head and
 * the write (another writer stored a change of the same browser in between): store it again.
 *
 * @example
 * if (isHeadMoved(e)) heads = await cartHeads(env.DB, [message]);
 */
export const isHeadMoved = (e: unknown): boolean => String(e).includes("NOT NULL constraint failed: events.data");

/** What a purchase's `carts` statement does to the head: closes it (same lines, same label), or makes it. */
export function purchaseHead(message: IngestMessage, event: PurchaseEvent, cart: Cart, heads: CartHeads): void {
  const key = headKey(message.site, message.aid);
  const head = heads.get(key);
  if (!head) heads.set(key, { label: event.id, clientAt: event.at, version: event.id, cart });
  else if (newer(event, head)) heads.set(key, { ...head, clientAt: event.at, version: event.id });
}

interface EventRow {
  id: string;
  aid: string;
  type: string;
  at: number;
  client_at: number;
  data: string;
}

/**
 * Every event of these browsers of a site (all of the site's without `aids`), oldest first, each
 * as the browser sent it: cart changes rebuilt into their carts (both stored forms read).
 *
 * @example
 * const [first] = await storedEvents(env.DB, site.id, [aid]); // { id, aid, type, at, data: { id, at, type: "cart", action, cart } }
 */
export async function storedEvents(db: D1Database, site: number, aids?: string[]) {
  const only = aids ? "AND aid IN (SELECT value FROM json_each(?2))" : "AND ?2 IS NOT NULL";
  const [events, carts] = await db.batch<EventRow & { lines_of: string | null; lines: string; currency: string }>([
    db
      .prepare(`SELECT id, aid, type, at, client_at, data FROM events WHERE site_id = ?1 ${only} ORDER BY at, id`)
      .bind(site, JSON.stringify(aids ?? [])),
    db.prepare(`SELECT aid, lines_of, currency, lines FROM carts WHERE site_id = ?1 ${only}`).bind(site, JSON.stringify(aids ?? [])),
  ]);
  return asSent((events?.results ?? []) as EventRow[], carts?.results ?? []);
}

/**
 * Event rows (id, aid, type, at, client_at, data) as the browser sent them, given the browsers'
 * `carts` rows (aid, lines_of, currency, lines): what a privacy export shows.
 */
export function asSent(
  rows: EventRow[],
  carts: { aid: string; lines_of: string | null; currency: string; lines: string }[],
): { id: string; aid: string; type: string; at: number; data: unknown }[] {
  const byAid = new Map<string, EventRow[]>();
  for (const r of rows) byAid.set(r.aid, [...(byAid.get(r.aid) ?? []), r]);
  const sent = new Map<EventRow, unknown>();
  for (const [aid, list] of byAid) {
    const heads = carts.flatMap((c) =>
      c.aid === aid && c.lines_of ? [{ label: c.lines_of, cart: { currency: c.currency, lines: readLines(c.lines) } }] : [],
    );
    const parsed: StoredEventRow[] = list.map((r) => ({ id: r.id, type: r.type, clientAt: r.client_at, data: JSON.parse(r.data) }));
    eventsAsSent(parsed, heads).forEach((data, i) => {
      sent.set(list[i] as EventRow, data);
    });
  }
  return rows.map((r) => ({ id: r.id, aid: r.aid, type: r.type, at: r.at, data: sent.get(r) }));
}
