import { exports } from "cloudflare:workers";
import type { Batch, CartbackEvent } from "../../protocol/types";
import { forgetSites } from "../sites/sites";

export { eventually } from "../../test/eventually";

export const ORIGIN = "https://shop.example";
let sites = 0;

/**
 * A fresh site with its own key, allowed on `origins`. Without quiet hours unless `settings` has
 * some: the tests drive the collector on the real clock, and a step due at 22:00 UTC would wait
 * for the morning (worker/recovery/quiet.test.ts and languages.test.ts test the quiet hours).
 */
export async function seedSite(db: D1Database, origins = [ORIGIN], settings = {}): Promise<{ id: number; key: string }> {
  settings = { quietHours: null, ...settings };
  const key = `pk_test_${++sites}_${crypto.randomUUID().slice(0, 8)}`;
  const row = await db
    .prepare("INSERT INTO sites (key, secret, name, origins, settings, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id")
    .bind(key, `sk_${key}`, "Test shop", JSON.stringify(origins), JSON.stringify(settings), Date.now())
    .first<{ id: number }>();
  forgetSites();
  return { id: row?.id as number, key };
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
export const randomId = (): string => Array.from(crypto.getRandomValues(new Uint8Array(22)), (b) => ALPHABET[b % 36]).join("");

export const cartEvent = (at: number, lines: { id: string; price: number; quantity: number }[], id = randomId()): CartbackEvent => ({
  id,
  at,
  type: "cart",
  action: "set",
  cart: { currency: "EUR", lines: lines.map((l) => ({ name: `Product ${l.id}`, ...l })) },
});

export const batchOf = (events: CartbackEvent[], aid = randomId(), sentAt = Date.now()): Batch => ({ aid, sentAt, events });

/** POSTs to the collector's own fetch handler, as a browser on `origin` would. */
export function postEvents(
  key: string,
  body: unknown,
  { origin = ORIGIN as string | null, contentType = "text/plain;charset=UTF-8", ip = undefined as string | undefined } = {},
): Promise<Response> {
  const headers = new Headers({ "content-type": contentType });
  if (origin) headers.set("origin", origin);
  if (ip) headers.set("cf-connecting-ip", ip);
  return exports.default.fetch(
    new Request(`https://collector.test/v1/events?site=${encodeURIComponent(key)}`, {
      method: "POST",
      headers,
      body: typeof body === "string" || body instanceof ReadableStream ? body : JSON.stringify(body),
    }),
  );
}

export const count = async (db: D1Database, sql: string, ...binds: unknown[]): Promise<number> =>
  (await db
    .prepare(sql)
    .bind(...binds)
    .first<number>("n")) ?? 0;
