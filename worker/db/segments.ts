// The rows the segments are made of (worker/segments/): a window of abandonments and orders read
// by person, never the events table. Each read walks an index range of the window (sequences_people,
// orders_day) and looks the rest up by key; docs/segments.md says which and why.

/** One person's abandonments in the window: `person` is the normal email, or `tel:` and a number. */
export interface AbandonRow {
  person: string;
  abandoned: number;
  /** The largest value of a cart in the window that no order recovered (minor units), 0 if none. */
  top_lost: number;
  recovered: number;
  /** The largest recovered order (minor units), 0 if none. */
  top_recovered: number;
}

/** A recovered abandonment: whether the sequence took a code from the pool, and the steps sent before the order. */
export interface RecoveredRow {
  person: string;
  reason: string;
  pool_code: number;
  /** The steps sent at or before the recovery, comma-separated, or null. */
  steps: string | null;
}

/** One person's paid orders in the window, placed from a browser they identified on. */
export interface OrderRow {
  person: string;
  orders: number;
  top_order: number;
}

/** The distinct line categories of the carts behind a person's abandonments and orders: a JSON array. */
export interface CategoryRow {
  person: string;
  categories: string;
}

export interface ContactRow {
  person: string;
  name: string | null;
  phone: string | null;
}

export interface ConsentRow {
  person: string;
  phone: string | null;
  ads: number;
}

/** Per person, grouped in the covering index `sequences_people`. */
export const ABANDON_SQL = `SELECT s.email AS person, count(*) AS abandoned,
    coalesce(max(iif(s.recovered_order_id IS NULL, s.value, NULL)), 0) AS top_lost,
    count(s.recovered_order_id) AS recovered, coalesce(max(s.recovered_value), 0) AS top_recovered
  FROM sequences s WHERE s.site_id = ?1 AND s.abandoned_at >= ?2 GROUP BY s.email`;

// The messages of each recovered sequence by `messages_stats` (sequence_id first); its code by `codes_sequence`.
export const RECOVERED_SQL = `SELECT s.email AS person, s.reason,
    EXISTS (SELECT 1 FROM codes c WHERE c.site_id = s.site_id AND c.sequence_id = s.id) AS pool_code,
    (SELECT group_concat(m.step) FROM messages m WHERE m.sequence_id = s.id AND m.kind = 'recovery'
      AND m.sent_at IS NOT NULL AND m.sent_at <= s.recovered_at) AS steps
  FROM sequences s WHERE s.site_id = ?1 AND s.abandoned_at >= ?2 AND s.recovered_order_id IS NOT NULL AND s.holdout = 0`;

export const ORDER_SQL = `SELECT sh.email AS person, count(*) AS orders, max(o.total) AS top_order
  FROM orders o JOIN shoppers sh ON sh.site_id = o.site_id AND sh.aid = o.aid
  WHERE o.site_id = ?1 AND o.at >= ?2 AND sh.email IS NOT NULL GROUP BY sh.email`;

// A Shopify line property named `category` arrives as `p:category` (sdk/platforms/shopify-cart.ts).
export const CATEGORY_SQL = `WITH browsers AS (
    SELECT s.email AS person, s.aid FROM sequences s WHERE s.site_id = ?1 AND s.abandoned_at >= ?2
    UNION
    SELECT sh.email, o.aid FROM orders o JOIN shoppers sh ON sh.site_id = o.site_id AND sh.aid = o.aid
      WHERE o.site_id = ?1 AND o.at >= ?2 AND sh.email IS NOT NULL
  ), tagged AS (
    SELECT b.person, coalesce(json_extract(l.value, '$.data.category'), json_extract(l.value, '$.data."p:category"')) AS category
    FROM browsers b JOIN carts c ON c.site_id = ?1 AND c.aid = b.aid, json_each(c.lines) l
  )
  SELECT person, json_group_array(DISTINCT category) AS categories FROM tagged WHERE category IS NOT NULL GROUP BY person`;

// The people are a JSON array (?2): one statement whatever their number, each looked up by key.
// CROSS JOIN keeps the people as the outer loop (SQLite never reorders it): else the planner may
// walk every consent or shopper of the site and look each up among the people. `email IS NOT NULL`
// lets it use the partial index shoppers_email (named for the name: without it, on few rows, SQLite took every shopper of the site).
export const CONTACT_SQL = `SELECT p.value AS person,
    (SELECT max(sh.name) FROM shoppers sh INDEXED BY shoppers_email WHERE sh.site_id = ?1 AND sh.email = p.value AND sh.email IS NOT NULL) AS name,
    coalesce(iif(p.value LIKE 'tel:%', substr(p.value, 5), NULL),
      (SELECT k.phone FROM shoppers x CROSS JOIN sms_consents k ON k.site_id = x.site_id AND k.aid = x.aid
        WHERE x.site_id = ?1 AND x.email = p.value AND x.email IS NOT NULL ORDER BY k.given_at DESC LIMIT 1)) AS phone
  FROM json_each(?2) p`;

// Consented people whose address is not suppressed, and the number only while it is not.
export const CONSENT_SQL = `SELECT a.person, iif(EXISTS (SELECT 1 FROM sms_suppressions z WHERE z.site_id = a.site_id
      AND z.phone = coalesce(a.phone, iif(a.person LIKE 'tel:%', substr(a.person, 5), NULL))), NULL,
      coalesce(a.phone, iif(a.person LIKE 'tel:%', substr(a.person, 5), NULL))) AS phone, a.ads
  FROM json_each(?2) p CROSS JOIN ad_consents a ON a.site_id = ?1 AND a.person = p.value
  WHERE a.ads = 1 AND NOT EXISTS (SELECT 1 FROM suppressions u WHERE u.site_id = a.site_id AND u.email = a.person)`;

const all = async <T>(db: D1Database, sql: string, ...binds: unknown[]): Promise<T[]> =>
  (
    await db
      .prepare(sql)
      .bind(...binds)
      .all<T>()
  ).results;

/**
 * Everything the segments need of a site's window, read in one round trip.
 *
 * @example
 * const rows = await segmentRows(env.DB, site.id, Date.now() - 90 * DAY_MS);
 */
export async function segmentRows(db: D1Database, site: number, since: number) {
  const results = await db.batch([
    db.prepare(ABANDON_SQL).bind(site, since),
    db.prepare(RECOVERED_SQL).bind(site, since),
    db.prepare(ORDER_SQL).bind(site, since),
    db.prepare(CATEGORY_SQL).bind(site, since),
  ]);
  const rows = <T>(i: number) => (results[i]?.results ?? []) as T[];
  return { abandons: rows<AbandonRow>(0), recovered: rows<RecoveredRow>(1), orders: rows<OrderRow>(2), categories: rows<CategoryRow>(3) };
}

/** At most this many people a statement: the JSON array stays far below D1's size of a bound value. */
const CHUNK = 2000;

const chunked = async <T>(people: string[], read: (slice: string) => Promise<T[]>): Promise<T[]> => {
  const out: T[] = [];
  for (let i = 0; i < people.length; i += CHUNK) out.push(...(await read(JSON.stringify(people.slice(i, i + CHUNK)))));
  return out;
};

/**
 * The name and number a site knows for each person.
 *
 * @example
 * await contactsOf(env.DB, site.id, ["ana@example.com"]); // [{ person: "ana@example.com", name: "Ana", phone: null }]
 */
export const contactsOf = (db: D1Database, site: number, people: string[]) =>
  chunked(people, (slice) => all<ContactRow>(db, CONTACT_SQL, site, slice));

/**
 * The people among `people` whose ad consent is given and whose address is not suppressed, with
 * the number the consent covers unless that number is suppressed.
 *
 * @example
 * await adConsentsOf(env.DB, site.id, ["ana@example.com"]); // [{ person: "ana@example.com", phone: "+34600111222", ads: 1 }]
 */
export const adConsentsOf = (db: D1Database, site: number, people: string[]) =>
  chunked(people, (slice) => all<ConsentRow>(db, CONSENT_SQL, site, slice));

/** One ad consent as the merchant recorded it. */
export interface AdConsent {
  person: string;
  phone: string | null;
  ads: boolean;
  at: number;
}

/**
 * Records ad consents, all in one batch; a row older than the stored one changes nothing.
 *
 * @example
 * await saveAdConsents(env.DB, site.id, [{ person: "ana@example.com", phone: null, ads: true, at: Date.now() }]);
 */
export async function saveAdConsents(db: D1Database, site: number, consents: AdConsent[]): Promise<void> {
  if (consents.length === 0) return;
  const upsert = db.prepare(
    `INSERT INTO ad_consents (site_id, person, phone, ads, at) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (site_id, person) DO UPDATE SET phone = excluded.phone, ads = excluded.ads, at = excluded.at
     WHERE excluded.at >= ad_consents.at`,
  );
  await db.batch(consents.map((c) => upsert.bind(site, c.person, c.phone, c.ads ? 1 : 0, c.at)));
}
