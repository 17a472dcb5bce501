import { normalEmail } from "../../protocol/email";
import type { MomentKind } from "../../protocol/types";
import type { IngestMessage } from "../ingest/message";
import { accountStub } from "../sync/account";
import { type Browser, KEEP_MOMENTS, KEEP_POINTS } from "./person";
import { shopperStub } from "./shopper";

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
}

// One statement per browser, everything the person's object needs: it reads what is stored, not
// what one batch said, so the same events give the same snapshot however they were batched.
const BROWSER_SQL = `
SELECT s.aid, coalesce(s.email, (SELECT o.email FROM shoppers o WHERE o.site_id = s.site_id AND o.user_id = s.user_id
           AND o.email IS NOT NULL ORDER BY o.identified_at DESC LIMIT 1)) AS email,
       s.name, s.user_id, s.last_seen, c.currency, c.expires_at, c.status, c.value, c.updated_at,
       (SELECT json_group_array(json_array(at, v)) FROM (
          SELECT e.at, (SELECT coalesce(sum(json_extract(l.value, '$.price') * json_extract(l.value, '$.quantity')), 0)
                        FROM json_each(e.data, '$.cart.lines') l) AS v
          FROM events e WHERE e.site_id = ?1 AND e.aid = ?2 AND e.type = 'cart' ORDER BY e.at DESC, e.id DESC LIMIT ${KEEP_POINTS})) AS points,
       (SELECT json_group_array(json_array(at, json_extract(data, '$.kind'), json_extract(data, '$.code'), json_extract(data, '$.value'))) FROM (
          SELECT at, data FROM events WHERE site_id = ?1 AND aid = ?2 AND type = 'moment' ORDER BY at DESC LIMIT ${KEEP_MOMENTS})) AS moments,
       (SELECT max(at) FROM events WHERE site_id = ?1 AND aid = ?2 AND type = 'checkout') AS checkout_at,
       (SELECT json_group_array(json_array(order_id, total, at)) FROM orders WHERE site_id = ?1 AND aid = ?2) AS orders
FROM shoppers s LEFT JOIN carts c ON c.site_id = s.site_id AND c.aid = s.aid
WHERE s.site_id = ?1 AND s.aid = ?2`;

/** Browsers that share a signed-in user (or an email) with these: a person's other devices. */
const SIBLINGS_SQL = `
SELECT DISTINCT o.aid FROM shoppers s JOIN shoppers o ON o.site_id = s.site_id AND o.aid <> s.aid
  AND s.user_id IS NOT NULL AND o.user_id = s.user_id
WHERE s.site_id = ?1 AND s.aid = ?2 LIMIT 10`;

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
  return {
    aid: row.aid,
    points,
    currency: row.currency ?? "EUR",
    expiresAt: row.expires_at ?? 0,
    lastActivity: row.last_seen,
    moments,
    checkoutAt: row.checkout_at ?? undefined,
    orders,
  };
}

/**
 * What D1 holds about these browsers of a site, with the person (email) each belongs to. A browser
 * nobody has identified yet comes back without an email.
 *
 * @example
 * const [laptop] = await browsersOf(env.DB, site.id, [aid]);
 */
export async function browsersOf(
  db: D1Database,
  site: number,
  aids: string[],
): Promise<{ email: string | null; name: string | null; userId: string | null; browser: Browser }[]> {
  if (!aids.length) return [];
  const results = await db.batch<BrowserRow>(aids.map((aid) => db.prepare(BROWSER_SQL).bind(site, aid)));
  return results.flatMap((r) => {
    const row = r.results[0];
    return row ? [{ email: row.email, name: row.name, userId: row.user_id, browser: toBrowser(row) }] : [];
  });
}

/**
 * After batches are stored (by the queue consumer, or at once for a purchase or an identify):
 * tells each reachable person's object what their browsers now look like. A browser that just
 * identified brings along the person's other devices (same signed-in user) and everything it did
 * before it was known. Browsers of nobody cost nothing more.
 */
export async function observeBatches(env: Env, messages: Pick<IngestMessage, "site" | "aid" | "events">[]): Promise<void> {
  if (!messages.length) return;
  const bySite = new Map<number, Set<string>>();
  for (const m of messages) {
    const aids = bySite.get(m.site) ?? new Set<string>();
    aids.add(m.aid);
    bySite.set(m.site, aids);
  }
  // Identifying can tie other browsers to the person: look for them.
  const identifying = messages.filter((m) => m.events.some((e) => e.type === "identify"));
  if (identifying.length) {
    const siblings = await env.DB.batch<{ aid: string }>(identifying.map((m) => env.DB.prepare(SIBLINGS_SQL).bind(m.site, m.aid)));
    identifying.forEach((m, i) => {
      for (const row of siblings[i]?.results ?? []) bySite.get(m.site)?.add(row.aid);
    });
  }
  await Promise.all(
    [...bySite].map(async ([site, aids]) => {
      const persons = new Map<string, { name?: string; browsers: Browser[] }>();
      const found = await browsersOf(env.DB, site, [...aids]);
      // A signed-in device's order empties the account cart too, on every device.
      const buyers = new Set(messages.filter((m) => m.site === site && m.events.some((e) => e.type === "purchase")).map((m) => m.aid));
      await Promise.all(
        found.flatMap(({ userId, browser }) =>
          userId && buyers.has(browser.aid) && browser.orders.length
            ? [accountStub(env, site, userId).ordered(Math.max(...browser.orders.map((o) => o.at)))]
            : [],
        ),
      );
      for (const { email: stored, name, browser } of found) {
        if (!stored) continue;
        const email = normalEmail(stored);
        const person = persons.get(email) ?? { browsers: [] };
        person.browsers.push(browser);
        if (name) person.name = name;
        persons.set(email, person);
      }
      await Promise.all(
        [...persons].map(([email, { name, browsers }]) => shopperStub(env, site, email).observe(site, email, browsers, name)),
      );
    }),
  );
}
