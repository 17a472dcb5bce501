// The browsers' tables: `shoppers` (a browser and who it says it is), `carts` (its latest cart),
// `events` (each event once) and `orders`. Ingest writes them; recovery, links, mail, the merchant
// API and the dashboard read them through the functions here.

import { readLines, writeLines } from "../../protocol/cart-changes";
import { normalEmail } from "../../protocol/email";
import { DAY_MS } from "../../protocol/limits";
import { refKey } from "../../protocol/refs";
import type { Cart, CartbackEvent, MomentKind } from "../../protocol/types";
import { type CartHeads, cartEventSteps, purchaseHead } from "./cart-events";
import { lateRefStatement, refStatement } from "./platforms";
import { recountOrderDay } from "./rollups";
import { mergedStatements, row, rowSql, type Step } from "./rows";
import { type Browser, correctedAt, type IngestMessage, KEEP_MOMENTS, KEEP_POINTS, PHONE_KEY } from "./schema";

export type { Browser, CartPoint, IngestMessage, PaidOrder } from "./schema";

// Every statement here is idempotent and order-independent: an event id is stored once, and a
// cart row only moves forward in (browser time, event id), values fixed per event. So a redelivered message, or batches that
// arrive out of order, leave the same rows as one clean delivery.

/** A yes/no of an identify as a column: 1, 0, or NULL when it said nothing. */
const flag = (yes: boolean | undefined): number | null => (yes === undefined ? null : Number(yes));

const cartValue = (cart: Cart): [items: number, value: number] =>
  cart.lines.reduce(([items, value], l) => [items + l.quantity, value + l.price * l.quantity], [0, 0]);

// The statements every batch of every browser has, as row statements (rows.ts): a queue batch of
// a hundred browsers runs each of them once over all its rows.
const SHOPPER = rowSql(
  // The latest batch's language and zone win; an older batch arriving late fills only what
  // is still unknown, so the row is the same whatever order batches are stored in.
  `INSERT INTO shoppers (site_id, aid, first_seen, last_seen, locale, time_zone) SELECT ?1, ?2, ?3, ?4, ?5, ?6 FROM ROWS WHERE true
   ON CONFLICT (site_id, aid) DO UPDATE SET
     locale = CASE WHEN excluded.last_seen >= shoppers.last_seen THEN coalesce(excluded.locale, shoppers.locale)
       ELSE coalesce(shoppers.locale, excluded.locale) END,
     time_zone = CASE WHEN excluded.last_seen >= shoppers.last_seen THEN coalesce(excluded.time_zone, shoppers.time_zone)
       ELSE coalesce(shoppers.time_zone, excluded.time_zone) END,
     first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
);
const EVENT = rowSql(
  "INSERT OR IGNORE INTO events (site_id, id, aid, type, at, client_at, received_at, data) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 FROM ROWS",
);
const CHECKOUT = rowSql(
  `UPDATE carts SET checkout_started_at = max(coalesce(checkout_started_at, 0), ?3) FROM ROWS
   WHERE site_id = ?1 AND aid = ?2 AND status = 'active' AND client_at <= ?4`,
);

/**
 * The statements that store one accepted batch. They run in one D1 batch, so all or none land.
 * `heads` (cart-events.ts `cartHeads`) are the browser's `carts` rows its cart changes are stored against.
 */
export const statementsFor = (db: D1Database, message: IngestMessage, heads: CartHeads): D1PreparedStatement[] =>
  mergedStatements(db, [stepsFor(db, message, heads)]);

/**
 * The statements that store many accepted batches (a queue batch), in one D1 batch: each
 * browser's in the order of its messages, the same statement of different browsers run once over
 * all their rows (rows.ts), so their number follows the kinds of events, not their count.
 *
 * @example
 * await env.DB.batch(batchStatementsFor(env.DB, messages, await cartHeads(env.DB, messages)));
 */
export function batchStatementsFor(db: D1Database, messages: IngestMessage[], heads: CartHeads): D1PreparedStatement[] {
  const browsers = new Map<string, Step[]>();
  for (const message of messages) {
    const key = `${message.site}:${message.aid}`;
    browsers.set(key, [...(browsers.get(key) ?? []), ...stepsFor(db, message, heads)]);
  }
  return mergedStatements(db, [...browsers.values()]);
}

/** One message's steps, in order (`heads` follows them, for the browser's next message). */
function stepsFor(db: D1Database, message: IngestMessage, heads: CartHeads): Step[] {
  const { site, aid, receivedAt, ttlDays } = message;
  const times = message.events.map((e) => correctedAt(message, e));
  const steps: Step[] = [row(SHOPPER, site, aid, Math.min(...times), Math.max(...times), message.locale ?? null, message.timeZone ?? null)];
  message.events.forEach((event, i) => {
    const at = times[i] as number;
    if (event.type === "cart") {
      steps.push(...cartEventSteps(message, event, at, heads));
      return;
    }
    steps.push(row(EVENT, site, event.id, aid, event.type, at, event.at, receivedAt, JSON.stringify(event)));
    if (event.type === "checkout") steps.push(row(CHECKOUT, site, aid, at, event.at));
    else steps.push(...effectOf(db, message, event, at, ttlDays, heads));
  });
  return steps;
}

/** What an event other than a cart change changes beyond its own row. */
function effectOf(
  db: D1Database,
  message: IngestMessage,
  event: Exclude<CartbackEvent, { type: "cart" }>,
  at: number,
  ttlDays: number,
  heads: CartHeads,
): D1PreparedStatement[] {
  const { site, aid } = message;
  switch (event.type) {
    case "identify":
      return [
        db
          .prepare(
            // The newest identify wins each field it carries; an older one, arriving late, still
            // fills the fields nobody gave since (an email before a later name-only identify).
            `UPDATE shoppers SET
               email = CASE WHEN coalesce(identified_at, 0) <= ?6 THEN coalesce(?3, email) ELSE coalesce(email, ?3) END,
               user_id = CASE WHEN coalesce(identified_at, 0) <= ?6 THEN coalesce(?4, user_id) ELSE coalesce(user_id, ?4) END,
               name = CASE WHEN coalesce(identified_at, 0) <= ?6 THEN coalesce(?5, name) ELSE coalesce(name, ?5) END,
               excluded = CASE WHEN coalesce(identified_at, 0) <= ?6 THEN coalesce(?7, excluded) ELSE coalesce(excluded, ?7) END,
               -- Having bought is not undone: a yes stays whatever a later identify says.
               customer = CASE WHEN ?8 = 1 OR customer = 1 THEN 1 ELSE coalesce(customer, ?8) END,
               identified_at = max(coalesce(identified_at, 0), ?6)
             WHERE site_id = ?1 AND aid = ?2`,
          )
          .bind(
            site,
            aid,
            event.email === undefined ? null : normalEmail(event.email),
            event.userId ?? null,
            event.name ?? null,
            at,
            flag(event.exclude),
            flag(event.customer),
          ),
        ...consentStatements(db, message, event, at),
      ];
    case "checkout":
      return []; // a row statement of stepsFor
    case "moment":
      return []; // kept in events; the shopper's Durable Object derives the reason from it
    case "ref":
      // Where the platform's order webhook, which names the token, finds this browser.
      return [
        refStatement(db, site, event.id, event.platform, refKey(event.ref), aid),
        lateRefStatement(db, site, event.platform, refKey(event.ref), aid),
      ];
    case "purchase": {
      // An upsert, not an update: a purchase that arrives before its cart (a retried batch, or
      // events out of time order) must still win over that older cart when it comes.
      const cart = event.cart ?? { currency: event.currency, lines: [] };
      const [items, value] = cartValue(cart);
      purchaseHead(message, event, cart, heads);
      return [
        db
          .prepare(
            `INSERT OR IGNORE INTO orders (site_id, order_id, aid, total, currency, at, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'script')`,
          )
          .bind(site, event.orderId, aid, event.total, event.currency, at),
        db
          .prepare(
            // A row it makes holds its cart, labelled by it; one it closes keeps its lines and label.
            `INSERT INTO carts (site_id, aid, status, currency, lines, item_count, value, updated_at, client_at, version, expires_at, order_id, lines_of)
             VALUES (?1, ?2, 'purchased', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?9)
             ON CONFLICT (site_id, aid) DO UPDATE SET
               status = 'purchased', order_id = excluded.order_id, updated_at = excluded.updated_at,
               client_at = excluded.client_at, version = excluded.version
             WHERE (excluded.client_at, excluded.version) > (carts.client_at, carts.version)`,
          )
          .bind(
            site,
            aid,
            cart.currency,
            writeLines(cart.lines),
            items,
            value,
            at,
            event.at,
            event.id,
            at + ttlDays * DAY_MS,
            event.orderId,
          ),
      ];
    }
  }
}

/**
 * An identify's SMS consent, given or withdrawn (schema.ts refuses a phone without `smsConsent:
 * true`). A withdrawal suppresses, for good, every number this browser consented with before it
 * (README, SMS): a shopper who says no must not be texted by another device's older yes. Both
 * statements look at each other's rows, so a consent stored after a later withdrawal (batches out
 * of order) is suppressed all the same.
 */
function consentStatements(db: D1Database, { site, aid, origin }: IngestMessage, event: CartbackEvent, at: number): D1PreparedStatement[] {
  if (event.type !== "identify" || event.smsConsent === undefined) return [];
  if (event.smsConsent && event.phone) {
    return [
      db
        .prepare(
          `INSERT INTO sms_consents (site_id, aid, phone, given_at, origin, event_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
           ON CONFLICT (site_id, aid, phone) DO UPDATE SET given_at = excluded.given_at, origin = excluded.origin, event_id = excluded.event_id
           WHERE excluded.given_at > sms_consents.given_at`,
        )
        .bind(site, aid, event.phone, at, origin ?? null, event.id),
      db
        .prepare(
          `INSERT OR IGNORE INTO sms_suppressions (site_id, phone, at, why)
           SELECT ?1, ?3, sms_withdrawn_at, 'withdrawn' FROM shoppers WHERE site_id = ?1 AND aid = ?2 AND sms_withdrawn_at >= ?4`,
        )
        .bind(site, aid, event.phone, at),
    ];
  }
  if (event.smsConsent) return [];
  return [
    db
      .prepare("UPDATE shoppers SET sms_withdrawn_at = max(coalesce(sms_withdrawn_at, 0), ?3) WHERE site_id = ?1 AND aid = ?2")
      .bind(site, aid, at),
    db
      .prepare(
        `INSERT OR IGNORE INTO sms_suppressions (site_id, phone, at, why)
         SELECT site_id, phone, ?3, 'withdrawn' FROM sms_consents WHERE site_id = ?1 AND aid = ?2 AND given_at <= ?3`,
      )
      .bind(site, aid, at),
  ];
}

/** A browser of a site as D1 knows it: who it belongs to, and what it did. */
interface BrowserRow {
  aid: string;
  /** The person: the browser's own email, else the email of another browser of the same signed-in user. */
  email: string | null;
  name: string | null;
  user_id: string | null;
  last_seen: number;
  currency: string | null;
  expires_at: number | null;
  status: string | null;
  value: number | null;
  updated_at: number | null;
  points: string;
  moments: string;
  checkout_at: number | null;
  orders: string;
  locale: string | null;
  time_zone: string | null;
  phone: string | null;
  phone_at: number | null;
  phone_tie: string | null;
  lines: string | null;
  excluded: number | null;
  customer: number | null;
}

// One statement per browser, everything the person's object needs: it reads what is stored, not
// what one batch said, so the same events give the same snapshot however they were batched.
const BROWSER_SQL = `
SELECT s.aid, coalesce(s.email, (SELECT o.email FROM shoppers o WHERE o.site_id = s.site_id AND o.user_id = s.user_id
           AND o.email IS NOT NULL ORDER BY o.identified_at DESC LIMIT 1)) AS email,
       s.name, s.user_id, s.last_seen, s.locale, s.time_zone, s.phone_tie, s.excluded, s.customer,
       c.currency, c.expires_at, c.status, c.value, c.updated_at, c.lines,
       (SELECT json_group_array(json_array(at, v)) FROM (
          SELECT e.at, coalesce(json_extract(e.data, '$.v'),
                   (SELECT coalesce(sum(json_extract(l.value, '$.price') * json_extract(l.value, '$.quantity')), 0)
                    FROM json_each(e.data, '$.cart.lines') l)) AS v
          FROM events e WHERE e.site_id = ?1 AND e.aid = ?2 AND e.type = 'cart' ORDER BY e.at DESC, e.id DESC LIMIT ${KEEP_POINTS})) AS points,
       (SELECT json_group_array(json_array(at, json_extract(data, '$.kind'), json_extract(data, '$.code'), json_extract(data, '$.value'))) FROM (
          SELECT at, data FROM events WHERE site_id = ?1 AND aid = ?2 AND type = 'moment' ORDER BY at DESC LIMIT ${KEEP_MOMENTS})) AS moments,
       (SELECT max(at) FROM events WHERE site_id = ?1 AND aid = ?2 AND type = 'checkout') AS checkout_at,
       (SELECT json_group_array(json_array(order_id, total, at)) FROM orders WHERE site_id = ?1 AND aid = ?2) AS orders,
       p.phone, p.given_at AS phone_at
FROM shoppers s LEFT JOIN (SELECT phone, given_at FROM sms_consents k WHERE k.site_id = ?1 AND k.aid = ?2
         AND k.given_at > coalesce((SELECT sms_withdrawn_at FROM shoppers w WHERE w.site_id = ?1 AND w.aid = ?2), 0)
         ORDER BY k.given_at DESC LIMIT 1) p ON 1 LEFT JOIN carts c ON c.site_id = s.site_id AND c.aid = s.aid
WHERE s.site_id = ?1 AND s.aid = ?2`;

/** Browsers that share a signed-in user with this one: a person's other devices. */
const SIBLINGS_SQL = `
SELECT DISTINCT o.aid FROM shoppers s JOIN shoppers o ON o.site_id = s.site_id AND o.aid <> s.aid
  AND s.user_id IS NOT NULL AND o.user_id = s.user_id
WHERE s.site_id = ?1 AND s.aid = ?2 LIMIT 10`;

/** The other browsers of the signed-in users of these browsers (one list per browser given). */
export async function siblingsOf(db: D1Database, browsers: { site: number; aid: string }[]): Promise<string[][]> {
  if (!browsers.length) return [];
  const results = await db.batch<{ aid: string }>(browsers.map((b) => db.prepare(SIBLINGS_SQL).bind(b.site, b.aid)));
  return results.map((r) => r.results.map((row) => row.aid));
}

function toBrowser(row: BrowserRow): Browser {
  const points = (JSON.parse(row.points) as [number, number][]).reverse().map(([at, value]) => ({ at, value }));
  // The cart row is the cart now, also where its events are gone (purged, or never sent: a
  // server-side import); it has the last word when it is newer than the last event seen.
  // A purchased cart is closed by its order instead.
  if (row.updated_at !== null && row.status !== "purchased" && row.updated_at > (points.at(-1)?.at ?? 0)) {
    points.push({ at: row.updated_at, value: row.status === "active" ? (row.value ?? 0) : 0 });
  }
  const moments = (JSON.parse(row.moments) as [number, MomentKind, string | null, number | null][])
    .reverse()
    .map(([at, kind, code, value]) => ({ at, kind, ...(code !== null && { code }), ...(value !== null && { value }) }));
  const orders = (JSON.parse(row.orders) as [string, number, number][]).map(([orderId, total, at]) => ({ orderId, total, at }));
  // What the exclusion rules read of the cart now (recovery/audience.ts), not the whole line.
  const lines =
    row.lines && row.status === "active" ? readLines(row.lines).map((l) => ({ id: l.id, ...(l.data && { data: l.data }) })) : [];
  return {
    aid: row.aid,
    points,
    currency: row.currency ?? "EUR",
    expiresAt: row.expires_at ?? 0,
    lastActivity: row.last_seen,
    moments,
    checkoutAt: row.checkout_at ?? undefined,
    orders,
    ...(row.locale && { locale: row.locale }),
    ...(row.time_zone && { timeZone: row.time_zone }),
    sms: row.phone ? { phone: row.phone, at: row.phone_at ?? 0 } : null,
    ...(lines.length > 0 && { lines }),
    ...(row.excluded !== null && { excluded: row.excluded === 1 }),
    ...(row.customer !== null && { customer: row.customer === 1 }),
  };
}

/**
 * What D1 holds about these browsers of a site, with the person each belongs to: `key`, their email,
 * else `tel:` and the number the browser consented with or a text's link tied it to (`phone`). A
 * browser nobody has identified yet comes back without one.
 *
 * @example
 * const [laptop] = await browsersOf(env.DB, site.id, [aid]);
 */
export async function browsersOf(
  db: D1Database,
  site: number,
  aids: string[],
): Promise<
  { key: string | null; email: string | null; phone: string | null; name: string | null; userId: string | null; browser: Browser }[]
> {
  if (!aids.length) return [];
  const results = await db.batch<BrowserRow>(aids.map((aid) => db.prepare(BROWSER_SQL).bind(site, aid)));
  return results.flatMap((r) => {
    const row = r.results[0];
    if (!row) return [];
    const phone = row.phone ?? row.phone_tie;
    const key = row.email ? normalEmail(row.email) : phone ? `${PHONE_KEY}${phone}` : null;
    return [{ key, email: row.email, phone, name: row.name, userId: row.user_id, browser: toBrowser(row) }];
  });
}

/** A browser's email as the shop's server may ask for it (an order reported with the script's id). */
export const emailOfBrowser = (db: D1Database, site: number, aid: string) =>
  db.prepare("SELECT email FROM shoppers WHERE site_id = ? AND aid = ?").bind(site, aid).first<string | null>("email");

/** A paid order reported by the shop's server (the script's orders are stored with their batch). */
export const recordServerOrder = (
  db: D1Database,
  site: number,
  o: { orderId: string; aid?: string; total: number; currency: string; at: number },
) =>
  db.batch([
    db
      .prepare("INSERT OR IGNORE INTO orders (site_id, order_id, aid, total, currency, at, source) VALUES (?, ?, ?, ?, ?, ?, 'server')")
      .bind(site, o.orderId, o.aid ?? null, o.total, o.currency, o.at),
    recountOrderDay(db, site, o.orderId),
  ]);

/**
 * A browser on which a person opened a recovery link becomes that person's (`key`: an email, or
 * `tel:` and the number a text went to). One that someone else identified stays theirs.
 */
export const tieBrowser = (db: D1Database, site: number, aid: string, key: string, at: number) =>
  key.startsWith(PHONE_KEY)
    ? db
        .prepare(
          `INSERT INTO shoppers (site_id, aid, phone_tie, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)
           ON CONFLICT (site_id, aid) DO UPDATE SET phone_tie = coalesce(phone_tie, excluded.phone_tie), last_seen = max(last_seen, excluded.last_seen)`,
        )
        .bind(site, aid, key.slice(PHONE_KEY.length), at)
    : db
        .prepare(
          `INSERT INTO shoppers (site_id, aid, email, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)
           ON CONFLICT (site_id, aid) DO UPDATE SET email = coalesce(email, excluded.email), last_seen = max(last_seen, excluded.last_seen)`,
        )
        .bind(site, aid, normalEmail(key), at);

export interface StoredCart extends Cart {
  expiresAt: number;
}

const toCart = (row: { currency: string; lines: string; expires_at: number } | null): StoredCart | null =>
  row && { currency: row.currency, lines: readLines(row.lines), expiresAt: row.expires_at };

/** A browser's latest cart, expired or not (null when there is none). */
export const cartOf = (db: D1Database, site: number, aid: string) =>
  db
    .prepare("SELECT currency, lines, expires_at FROM carts WHERE site_id = ? AND aid = ?")
    .bind(site, aid)
    .first<{ currency: string; lines: string; expires_at: number }>()
    .then(toCart);

/** The cart a sequence is about, and its reason (the merchant's notice of an interrupted order). */
export async function sequenceCart(db: D1Database, sequenceId: string): Promise<(StoredCart & { reason: string }) | null> {
  const row = await db
    .prepare(
      `SELECT c.lines, c.currency, c.expires_at, q.reason FROM sequences q JOIN carts c ON c.site_id = q.site_id AND c.aid = q.aid WHERE q.id = ?`,
    )
    .bind(sequenceId)
    .first<{ currency: string; lines: string; expires_at: number; reason: string }>();
  return row && { ...(toCart(row) as StoredCart), reason: row.reason };
}

/** The site's most recently changed non-empty cart (the dashboard previews templates with it). */
export const latestCart = (db: D1Database, site: number) =>
  db
    .prepare("SELECT currency, lines, 0 AS expires_at FROM carts WHERE site_id = ? AND item_count > 0 ORDER BY updated_at DESC LIMIT 1")
    .bind(site)
    .first<{ currency: string; lines: string; expires_at: number }>()
    .then(toCart);

/**
 * Browsers of reachable shoppers (an email, a consented number not withdrawn, or the number a text's
 * link tied the browser to) whose cart has
 * been quiet since before `quietSince` with no sequence of theirs started since: what the daily
 * safety net wakes.
 */
export const forgottenBrowsers = (db: D1Database, now: number, quietSince: number, limit: number) =>
  db
    .prepare(
      `WITH keyed AS (
         SELECT s.site_id, s.aid, coalesce(s.email, 'tel:' || coalesce((SELECT k.phone FROM sms_consents k WHERE k.site_id = s.site_id
               AND k.aid = s.aid AND k.given_at > coalesce(s.sms_withdrawn_at, 0) ORDER BY k.given_at DESC LIMIT 1), s.phone_tie)) AS key
         FROM shoppers s)
       SELECT s.site_id, c.aid
       FROM carts c JOIN keyed s ON s.site_id = c.site_id AND s.aid = c.aid
       WHERE c.status = 'active' AND c.value > 0 AND c.expires_at > ?1 AND c.updated_at < ?2 AND s.key IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM sequences q WHERE q.site_id = c.site_id AND q.abandoned_at >= c.updated_at AND q.email = s.key)
       LIMIT ?3`,
    )
    .bind(now, quietSince, limit)
    .all<{ site_id: number; aid: string }>()
    .then((r) => r.results);
