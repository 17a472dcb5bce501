import { env } from "cloudflare:workers";
import fc from "fast-check";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readLines } from "../../../protocol/cart-changes";
import { normalEmail } from "../../../protocol/email";
import {
  MAX_BATCH_EVENTS,
  MAX_BODY_BYTES,
  MAX_ID_LENGTH,
  MAX_LINES,
  MAX_PRICE,
  MAX_QUANTITY,
  MAX_TEXT_LENGTH,
  MAX_TOTAL,
  MAX_URL_LENGTH,
  MOMENT_KINDS,
} from "../../../protocol/limits";
import { emptySync } from "../../../protocol/merge";
import { SyncCartSchema } from "../../../protocol/schema";
import type { Batch, Cart, CartbackEvent, Line } from "../../../protocol/types";
import { signShopperToken } from "../../../server/token";
import { storedEvents } from "../../db/cart-events";
import { createLink } from "../../links/tokens";
import { SettingsSchema } from "../../sites/settings";
import { accountStub } from "../../sync/account";
import { eventually, ORIGIN, randomId, seedSite } from "../helpers";
import {
  BASE,
  type Body,
  bytesOf,
  type Call,
  contentType,
  describeCall,
  encode,
  expectOneOf,
  halfWritten,
  headerText,
  hostileBody,
  INVALID_UTF8,
  METHODS,
  methodFor,
  NASTY,
  randomQuery,
  report,
  reportable,
  segment,
  send,
  sendChecked,
} from "./harness";

// Property/fuzz tests against every public endpoint of the collector. Every request, whatever it
// is, must get a non-5xx answer; every 4xx must be a JSON error (or a page, on the routes a person
// opens in a browser); and a refused request must leave D1 exactly as it was. Seeds are fixed so a
// failure replays; change SEED to explore further.
const SEED = 20_261_122;
const RUNS = { ingest: 1500, replay: 80, sync: 800, links: 600, restore: 300, stats: 400, merchant: 1200, dashboard: 600, routes: 600 };

// Each property runs a fixed number of cases, not for a time: on two cores shared with the other
// suites (CI, a developer's machine) 1,200 merchant API calls took 29–30 s, the default limit.
vi.setConfig({ testTimeout: 120_000 });

afterAll(() => {
  report();
});

// ---------------------------------------------------------------------------------------------
// The protocol, generated

const NOW = Date.now();
const CURRENCIES = ["EUR", "USD", "JPY", "GBP"];

/** Text within a protocol limit: random, any Unicode, lone surrogates, nasty, or exactly at the limit. */
const text = (max: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: Math.min(max, 24) }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 8 }) },
    { weight: 1, arbitrary: fc.constantFrom("\ud800", "a\udc00b", "\udbff\udbff", "😀\ud83d") },
    { weight: 1, arbitrary: fc.constantFrom(...NASTY.filter((s) => s.length >= 1 && s.length <= max)) },
    { weight: 1, arbitrary: fc.constant("m".repeat(max)) },
  );

const httpUrl = fc.oneof(
  fc.constantFrom("https://shop.example/p/tea", "http://shop.example:8080/p?q=1#x", "https://cdn.example/i.png"),
  fc.constant(`https://shop.example/${"u".repeat(MAX_URL_LENGTH - "https://shop.example/".length)}`),
);

/** A line's own fields within the rules (protocol/types.ts LineData): the limits too. */
const dataKey = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 10 }),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 4 }),
    fc.constant("k".repeat(64)),
  )
  .filter((k) => k.length <= 64 && !["__proto__", "constructor", "prototype", "email"].includes(k));
const lineData = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.dictionary(
      dataKey,
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.string({ unit: "grapheme", maxLength: 6 }),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
      ),
      { maxKeys: 16 },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i])),
      { k: "x".repeat(1024 - '{"k":""}'.length) },
      { k: "é".repeat((1024 - '{"k":""}'.length) / 2) },
    ),
  },
);

const line: fc.Arbitrary<Line> = fc.record(
  {
    id: text(MAX_ID_LENGTH),
    name: text(MAX_TEXT_LENGTH),
    price: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(0, MAX_PRICE)),
    quantity: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constant(MAX_QUANTITY)),
    url: httpUrl,
    image: httpUrl,
    variant: text(MAX_TEXT_LENGTH),
    data: lineData,
  },
  { requiredKeys: ["id", "name", "price", "quantity"] },
);

const cart: fc.Arbitrary<Cart> = fc.record({
  currency: fc.constantFrom(...CURRENCIES),
  lines: fc.uniqueArray(line, { selector: (l) => l.id, maxLength: 4 }),
});

const email = fc.oneof(
  fc.constantFrom("ana@example.com", "a.b+tag@sub.example.org", "UPPER@EXAMPLE.COM", `${"l".repeat(64)}@example.com`),
  fc.stringMatching(/^[a-z0-9]{1,12}@shop\.example$/),
);

type Plan = Record<string, unknown> & { type: CartbackEvent["type"]; offset: number; tag: string };

/** An event without its identity: `offset` (ms before now, on the browser's clock) and `tag` (for the id) are filled in when sent. */
const plan: fc.Arbitrary<Plan> = fc
  .tuple(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          type: fc.constant("cart" as const),
          action: fc.constantFrom("set", "add", "update", "remove", "clear"),
          cart,
        }),
      },
      {
        weight: 1,
        arbitrary: fc
          .record(
            { type: fc.constant("identify" as const), email, userId: text(MAX_ID_LENGTH), name: text(MAX_TEXT_LENGTH) },
            { requiredKeys: ["type"] },
          )
          .filter((e) => Boolean(e.email || e.userId || e.name)),
      },
      { weight: 1, arbitrary: fc.record({ type: fc.constant("checkout" as const) }) },
      {
        weight: 1,
        arbitrary: fc.record(
          {
            type: fc.constant("moment" as const),
            kind: fc.constantFrom(...MOMENT_KINDS),
            code: text(MAX_TEXT_LENGTH),
            value: fc.integer({ min: 0, max: MAX_TOTAL }),
          },
          { requiredKeys: ["type", "kind"] },
        ),
      },
      {
        weight: 2,
        arbitrary: fc.record(
          {
            type: fc.constant("purchase" as const),
            orderId: text(MAX_ID_LENGTH),
            total: fc.integer({ min: 0, max: MAX_TOTAL }),
            currency: fc.constantFrom(...CURRENCIES),
            cart,
          },
          { requiredKeys: ["type", "orderId", "total", "currency"] },
        ),
      },
    ),
    // Whole seconds, so that two events share a time now and then (the id breaks the tie).
    fc.integer({ min: 0, max: 600 }).map((s) => s * 1000),
    fc.stringMatching(/^[\w-]{1,6}$/),
  )
  .map(([event, offset, tag]) => ({ ...event, offset, tag }) as Plan);

let serial = 0;
const unique = () => (++serial).toString(36).padStart(7, "0");

/** Fresh ids for one send: every run stores new events, so replays are the only repeats. */
function materialise(plans: Plan[], skew: number): CartbackEvent[] {
  return plans.map(
    ({ offset, tag, ...event }) => ({ ...event, id: `${tag.padEnd(6, "_")}-${unique()}-ev`, at: NOW + skew - offset }) as CartbackEvent,
  );
}

const newAid = () => `aid-${unique()}-${crypto.randomUUID().slice(0, 8)}`;

// ---------------------------------------------------------------------------------------------
// What the collector must have stored for the batches it accepted

interface CartRow {
  aid: string;
  status: string;
  currency: string;
  lines: unknown;
  item_count: number;
  value: number;
  client_at: number;
  version: string;
  order_id: string | null;
}

/**
 * A string as the collector keeps it: the protocol's schemas turn each lone surrogate (valid in a
 * JS string, not in UTF-8) into one U+FFFD, so D1 columns and the event's JSON agree.
 */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");

/** A value with every string in it as the collector keeps it, and an email in its normal form (protocol/email.ts). */
const asKept = <T>(value: T): T =>
  JSON.parse(JSON.stringify(value), (key, v: unknown) =>
    typeof v === "string" ? (key === "email" ? normalEmail(v) : wellFormed(v)) : v,
  ) as T;

const later = (a: { at: number; id: string }, b: { at: number; id: string }) => a.at > b.at || (a.at === b.at && a.id > b.id);

/**
 * The cart row one clean delivery leaves: it follows the latest cart or purchase event by
 * (browser time, event id). A cart event fixes the whole row; a purchase marks it bought.
 */
function expectedCart(events: CartbackEvent[]): Partial<CartRow> | undefined {
  let latest: CartbackEvent | undefined;
  for (const e of events) if ((e.type === "cart" || e.type === "purchase") && (!latest || later(e, latest))) latest = e;
  if (!latest) return undefined;
  if (latest.type === "purchase")
    return { status: "purchased", order_id: wellFormed(latest.orderId), client_at: latest.at, version: latest.id };
  if (latest.type !== "cart") return undefined;
  const items = latest.cart.lines.reduce((n, l) => n + l.quantity, 0);
  return {
    status: items ? "active" : "empty",
    currency: latest.cart.currency,
    lines: asKept(latest.cart.lines),
    item_count: items,
    value: latest.cart.lines.reduce((n, l) => n + l.quantity * l.price, 0),
    client_at: latest.at,
    version: latest.id,
    order_id: null,
  };
}

type Site = { id: number; key: string };
type Delivered = { site: Site; batch: Batch };

/**
 * Sites for ingest, each used for at most `perSite` requests that reach the rate limiter: the
 * limit per site key (100 a minute in tests) is tested elsewhere and must not decide what the fuzz sees.
 */
class SitePool {
  private current?: Site;
  private used = 0;
  readonly all: Site[] = [];
  constructor(private readonly perSite = 60) {}
  /** A site that can take `requests` more. */
  async next(requests = 1): Promise<Site> {
    if (!this.current || this.used + requests > this.perSite) {
      this.current = await seedSite(env.DB);
      this.all.push(this.current);
      this.used = 0;
    }
    this.used += requests;
    return this.current;
  }
}

/**
 * Waits for the ingest consumer, then checks the pool's rows against the accepted batches: every
 * event exactly once and as sent, nothing from a refused batch, each cart row as the latest event
 * left it, each bought order recorded.
 */
async function verifyStored(group: string, pool: SitePool, accepted: Delivered[]): Promise<void> {
  const sent = new Map<string, { aid: string; event: CartbackEvent }>();
  const add = ({ site, batch }: Delivered) => {
    for (const event of batch.events) sent.set(`${site.id}:${event.id}`, { aid: `${site.id}:${batch.aid}`, event });
  };
  accepted.forEach(add);
  // A marker sent last: once it is stored, the queue has delivered everything sent before it.
  const marker: Delivered = {
    site: await pool.next(),
    batch: { aid: newAid(), sentAt: Date.now(), events: materialise([{ type: "checkout", offset: 0, tag: "marker" }], 0) },
  };
  const ids = pool.all.map((s) => s.id).join(",");
  const eventsOf = () =>
    env.DB.prepare(`SELECT site_id || ':' || id AS id, site_id || ':' || aid AS aid, data FROM events WHERE site_id IN (${ids})`).all<{
      id: string;
      aid: string;
      data: string;
    }>();
  const res = await send(group, ingestCall(marker.site.key, { text: JSON.stringify(marker.batch) }));
  expect(res.status, res.text).toBe(202);
  add(marker);
  await eventually(
    async () => {
      const stored = new Set((await eventsOf()).results.map((r) => r.id));
      expect([...sent.keys()].filter((id) => !stored.has(id))).toEqual([]);
    },
    20_000,
    200,
  );

  // Each event as stored, read back as the browser sent it (cart changes rebuilt into their carts).
  const stored = (await Promise.all(pool.all.map(async (s) => (await storedEvents(env.DB, s.id)).map((e) => ({ ...e, site: s.id })))))
    .flat()
    .map((e) => ({ id: `${e.site}:${e.id}`, aid: `${e.site}:${e.aid}`, data: e.data }));
  const extra = stored.filter((r) => !sent.has(r.id));
  halfWritten(
    group,
    extra.length,
    `events stored from refused batches: ${extra.map((r) => JSON.stringify(r.data).slice(0, 120)).join(", ")}`,
  );
  for (const row of stored) {
    const want = sent.get(row.id);
    expect(row.aid, `event ${row.id}`).toBe(want?.aid);
    expect(row.data, `event ${row.id} as stored`).toEqual(asKept(want?.event));
  }

  const byAid = new Map<string, CartbackEvent[]>();
  for (const { aid, event } of sent.values()) byAid.set(aid, [...(byAid.get(aid) ?? []), event]);
  const shoppers = await env.DB.prepare(`SELECT site_id || ':' || aid AS aid FROM shoppers WHERE site_id IN (${ids})`).all<{
    aid: string;
  }>();
  const strangers = shoppers.results.filter((r) => !byAid.has(r.aid));
  halfWritten(group, strangers.length, `shoppers from refused batches: ${strangers.map((r) => r.aid).join(", ")}`);
  expect(shoppers.results.length).toBe(byAid.size);

  const carts = await env.DB.prepare(
    `SELECT site_id || ':' || aid AS aid, status, currency, lines, item_count, value, client_at, version, order_id FROM carts WHERE site_id IN (${ids})`,
  ).all<CartRow>();
  const cartOf = new Map(carts.results.map((r) => [r.aid, r]));
  halfWritten(group, carts.results.filter((r) => !byAid.has(r.aid)).length, "carts from refused batches");
  for (const [aid, events] of byAid) {
    const want = expectedCart(events);
    const row = cartOf.get(aid);
    const history = events.map((e) => `${e.type}@${e.at}/${e.id}`).join(" ");
    if (!want) expect(row, `no cart or purchase event for ${aid}, yet a cart row`).toBeUndefined();
    else expect(row && { ...row, lines: readLines(row.lines as string) }, `cart of ${aid} after ${history}`).toMatchObject(want);
  }

  const orderIds = new Set(
    [...sent.entries()].flatMap(([key, { event }]) =>
      event.type === "purchase" ? [`${key.split(":")[0]}:${wellFormed(event.orderId)}`] : [],
    ),
  );
  const orders = await env.DB.prepare(`SELECT site_id || ':' || order_id AS id FROM orders WHERE site_id IN (${ids})`).all<{
    id: string;
  }>();
  const storedOrders = new Set(orders.results.map((r) => r.id));
  expect(
    [...orderIds].filter((id) => !storedOrders.has(id)),
    "purchases without an order row",
  ).toEqual([]);
  halfWritten(group, [...storedOrders].filter((id) => !orderIds.has(id)).length, "orders from refused batches");
}

// ---------------------------------------------------------------------------------------------
// POST /v1/events

let ips = 0;
/** Each request from its own address: per-IP rate limits must not decide what the fuzz sees. */
const nextIp = () => `10.${(ips >> 16) & 255}.${(ips >> 8) & 255}.${ips++ & 255}`;

function ingestCall(key: string, body: Body, headers: Record<string, string | undefined> = {}): Call {
  return {
    method: "POST",
    path: `/v1/events?site=${encodeURIComponent(key)}`,
    headers: { origin: ORIGIN, "content-type": "text/plain;charset=UTF-8", "cf-connecting-ip": nextIp(), ...headers },
    body,
  };
}

/** The `site` parameter; `{key}` stands for the site's real key. */
type SiteParam = { query: string; expect?: { status: number; code: string } };
const siteParam: fc.Arbitrary<SiteParam> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ query: "site={key}" }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        "",
        "site=",
        "site=sk_secret_key",
        "site=pk_a",
        `site=pk_${"a".repeat(65)}`,
        "site=%ff",
        "site=pk_ab%20cd",
        "site=PK_abcd",
        "x=1",
      )
      .map((query) => ({ query, expect: { status: 400, code: "invalid_site_key" } })),
  },
  {
    weight: 1,
    arbitrary: fc
      .stringMatching(/^[\w-]{4,40}$/)
      .map((s) => ({ query: `site=pk_unknown_${s}`, expect: { status: 401, code: "unknown_site_key" } })),
  },
);

type OriginParam = { value?: string; ok: boolean };
const originParam: fc.Arbitrary<OriginParam> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ value: ORIGIN, ok: true }) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        undefined,
        "null",
        "https://evil.example",
        `${ORIGIN}/`,
        "https://SHOP.example",
        "http://shop.example",
        "https://shop.example.evil.test",
        "https://shop.example:443",
      )
      .map((value) => ({ value, ok: false })),
  },
  { weight: 1, arbitrary: headerText().map((s) => ({ value: `x${s}`, ok: false })) },
);

/** A batch's body, labelled with what the collector must answer once site, origin and type are right. */
type BatchBody = { body: Body; batch?: Batch; codes: string[] };

const validBatch: fc.Arbitrary<{ plans: Plan[]; skew: number }> = fc.record({
  plans: fc.oneof(
    { weight: 8, arbitrary: fc.array(plan, { minLength: 1, maxLength: 6 }) },
    { weight: 1, arbitrary: fc.array(plan, { minLength: MAX_BATCH_EVENTS, maxLength: MAX_BATCH_EVENTS }) },
  ),
  skew: fc.integer({ min: -3_600_000, max: 3_600_000 }),
});

/** Ways to make one event invalid; each breaks exactly one rule of the protocol. */
const BAD_EVENTS: [string, (e: Record<string, unknown>) => unknown][] = [
  ["short id", (e) => ({ ...e, id: "short" })],
  ["numeric id", (e) => ({ ...e, id: 1234567890123456 })],
  ["long id", (e) => ({ ...e, id: "i".repeat(65) })],
  ["fractional time", (e) => ({ ...e, at: 1.5 + (e.at as number) })],
  ["time as text", (e) => ({ ...e, at: String(e.at) })],
  ["time before 2020", (e) => ({ ...e, at: 1_000_000 })],
  ["time after 2100", (e) => ({ ...e, at: 5_000_000_000_000 })],
  ["unknown type", (e) => ({ ...e, type: "nope" })],
  ["no type", ({ type: _, ...e }) => e],
  ["null", () => null],
  ["array", () => []],
  ["deeply nested", () => JSON.parse(`${"[".repeat(2000)}${"]".repeat(2000)}`)],
  ...(
    [
      ["lowercase currency", (c) => ({ ...c, currency: "eur" })],
      ["negative price", (c) => ({ ...c, lines: [{ id: "p", name: "p", price: -1, quantity: 1 }] })],
      ["fractional price", (c) => ({ ...c, lines: [{ id: "p", name: "p", price: 1.5, quantity: 1 }] })],
      ["price over the limit", (c) => ({ ...c, lines: [{ id: "p", name: "p", price: MAX_PRICE + 1, quantity: 1 }] })],
      ["price as text", (c) => ({ ...c, lines: [{ id: "p", name: "p", price: "100", quantity: 1 }] })],
      ["zero quantity", (c) => ({ ...c, lines: [{ id: "p", name: "p", price: 1, quantity: 0 }] })],
      ["quantity over the limit", (c) => ({ ...c, lines: [{ id: "p", name: "p", price: 1, quantity: MAX_QUANTITY + 1 }] })],
      ["empty name", (c) => ({ ...c, lines: [{ id: "p", name: "", price: 1, quantity: 1 }] })],
      ["name over the limit", (c) => ({ ...c, lines: [{ id: "p", name: "n".repeat(MAX_TEXT_LENGTH + 1), price: 1, quantity: 1 }] })],
      ["line id over the limit", (c) => ({ ...c, lines: [{ id: "i".repeat(MAX_ID_LENGTH + 1), name: "p", price: 1, quantity: 1 }] })],
      ["javascript url", (c) => ({ ...c, lines: [{ id: "p", name: "p", price: 1, quantity: 1, url: "javascript:alert(1)" }] })],
      [
        "url over the limit",
        (c) => ({ ...c, lines: [{ id: "p", name: "p", price: 1, quantity: 1, image: `https://x.example/${"u".repeat(MAX_URL_LENGTH)}` }] }),
      ],
      [
        "duplicate line ids",
        (c) => ({
          ...c,
          lines: [
            { id: "p", name: "p", price: 1, quantity: 1 },
            { id: "p", name: "q", price: 2, quantity: 1 },
          ],
        }),
      ],
      [
        "too many lines",
        (c) => ({ ...c, lines: Array.from({ length: MAX_LINES + 1 }, (_, i) => ({ id: `l${i}`, name: "p", price: 1, quantity: 1 })) }),
      ],
      ["lines as object", (c) => ({ ...c, lines: { 0: { id: "p", name: "p", price: 1, quantity: 1 } } })],
      ...(
        [
          ["17 keys", Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]))],
          ["a nested object", { size: { eu: 42 } }],
          ["an array value", { sizes: ["M"] }],
          ["a null value", { size: null }],
          ["1 KB + 1", { k: "x".repeat(1024 - '{"k":""}'.length + 1) }],
          ["a lone surrogate", { size: "M\ud800" }],
          ["a lone surrogate in a key", { "\udc00": "M" }],
          ["__proto__", JSON.parse('{"__proto__":{"polluted":true}}')],
          ["constructor", { constructor: "x" }],
          ["an empty key", { "": "x" }],
          ["a key of 65 characters", { ["k".repeat(65)]: "x" }],
          ["an array", ["M"]],
          ["text", "size=M"],
        ] as [string, unknown][]
      ).map(([name, data]): [string, (c: Record<string, unknown>) => unknown] => [
        `line data with ${name}`,
        (c) => ({ ...c, lines: [{ id: "p", name: "p", price: 1, quantity: 1, data }] }),
      ]),
    ] as [string, (c: Record<string, unknown>) => unknown][]
  ).map(([name, f]): [string, (e: Record<string, unknown>) => unknown] => [
    name,
    (e) => ({ ...e, type: "cart", action: "set", cart: f({ currency: "EUR", lines: [] }) }),
  ]),
  ["identify with nothing", (e) => ({ id: e.id, at: e.at, type: "identify" })],
  ["identify with a bad email", (e) => ({ id: e.id, at: e.at, type: "identify", email: "not-an-email" })],
  ["moment of an unknown kind", (e) => ({ id: e.id, at: e.at, type: "moment", kind: "nope" })],
  ["moment with a negative value", (e) => ({ id: e.id, at: e.at, type: "moment", kind: "idle", value: -1 })],
  ["purchase without an order id", (e) => ({ id: e.id, at: e.at, type: "purchase", total: 1, currency: "EUR" })],
  ["purchase with a negative total", (e) => ({ id: e.id, at: e.at, type: "purchase", orderId: "o", total: -1, currency: "EUR" })],
];

const BAD_FIELDS: [string, (b: Record<string, unknown>) => unknown][] = [
  ...[123, null, [], {}, true, "short", "a".repeat(65), "has space in it xx", "ünïcödé-aid-000000"].map(
    (aid): [string, (b: Record<string, unknown>) => unknown] => [`aid ${JSON.stringify(aid).slice(0, 20)}`, (b) => ({ ...b, aid })],
  ),
  ...["1700000000000", 1.5, 0, 5e12, null, -1].map((sentAt): [string, (b: Record<string, unknown>) => unknown] => [
    `sentAt ${sentAt}`,
    (b) => ({ ...b, sentAt }),
  ]),
  ["no aid", ({ aid: _, ...b }) => b],
  ["no sentAt", ({ sentAt: _, ...b }) => b],
  ["no events", ({ events: _, ...b }) => b],
  ["no events at all", (b) => ({ ...b, events: [] })],
  ["events as text", (b) => ({ ...b, events: "x" })],
  ["events as object", (b) => ({ ...b, events: { 0: (b.events as unknown[])[0] } })],
  ["not an object", (b) => [b]],
];

const batchBody: fc.Arbitrary<BatchBody> = fc.oneof(
  // Valid batches, sent plainly, streamed, with a BOM, with unknown fields (ignored), or padded with JSON whitespace to the byte limit.
  {
    weight: 6,
    arbitrary: fc
      .record({
        valid: validBatch,
        chunked: fc.boolean(),
        bom: fc.boolean(),
        extra: fc.boolean(),
        padToLimit: fc.boolean(),
      })
      .map(({ valid, chunked, bom, extra, padToLimit }) => {
        const batch: Batch = { aid: newAid(), sentAt: NOW + valid.skew, events: materialise(valid.plans, valid.skew) };
        // Unknown fields are dropped, a literal "__proto__" key included.
        const text = extra
          ? JSON.stringify({
              ...batch,
              extra: JSON.parse(`${"[".repeat(1000)}${"]".repeat(1000)}`),
              events: batch.events.map((e) => ({ ...e, unknown: "x" })),
            }).replace(/^\{/, '{"__proto__":{"polluted":true},')
          : JSON.stringify(batch);
        const body: Body = { text, chunked, bom, pad: padToLimit ? MAX_BODY_BYTES : undefined };
        return bytesOf(body).length > MAX_BODY_BYTES ? { body, codes: ["payload_too_large"] } : { body, batch, codes: [] };
      }),
  },
  // One byte over the limit, with and without a Content-Length.
  {
    weight: 1,
    arbitrary: fc.record({ valid: validBatch, chunked: fc.boolean() }).map(({ valid, chunked }) => ({
      body: { text: JSON.stringify({ aid: newAid(), sentAt: NOW, events: materialise(valid.plans, 0) }), pad: MAX_BODY_BYTES + 1, chunked },
      codes: ["payload_too_large"],
    })),
  },
  // Broken UTF-8 inside an otherwise valid batch.
  {
    weight: 1,
    arbitrary: fc
      .record({ valid: validBatch, bad: fc.constantFrom(...INVALID_UTF8), chunked: fc.boolean() })
      .map(({ valid, bad, chunked }) => ({
        body: { text: JSON.stringify({ aid: newAid(), sentAt: NOW, events: materialise(valid.plans, 0) }), inject: bad, chunked },
        codes: ["invalid_encoding", "payload_too_large"],
      })),
  },
  // A valid batch with one event or one field broken.
  {
    weight: 3,
    arbitrary: fc
      .record({
        valid: validBatch,
        event: fc.constantFrom(...BAD_EVENTS),
        field: fc.constantFrom(...BAD_FIELDS),
        which: fc.boolean(),
        at: fc.nat(),
      })
      .map(({ valid, event, field, which, at }) => {
        const events: unknown[] = materialise(valid.plans, 0);
        const raw: Record<string, unknown> = { aid: newAid(), sentAt: NOW, events };
        const i = at % events.length;
        if (!which) events[i] = event[1](events[i] as Record<string, unknown>);
        const broken = which ? field[1](raw) : raw;
        const eventsCount = Array.isArray((broken as { events?: unknown })?.events) ? (broken as { events: unknown[] }).events.length : 0;
        return {
          body: { text: JSON.stringify(broken) },
          codes: eventsCount > MAX_BATCH_EVENTS ? ["too_many_events", "payload_too_large"] : ["invalid_batch", "payload_too_large"],
        };
      }),
  },
  // More events than a batch may hold.
  {
    weight: 1,
    arbitrary: fc.integer({ min: MAX_BATCH_EVENTS + 1, max: MAX_BATCH_EVENTS + 20 }).map((n) => ({
      body: {
        text: JSON.stringify({
          aid: newAid(),
          sentAt: NOW,
          events: materialise(
            Array.from({ length: n }, () => ({ type: "checkout", offset: 0, tag: "many" })),
            0,
          ),
        }),
      },
      codes: ["too_many_events"],
    })),
  },
  // Anything at all.
  {
    weight: 3,
    arbitrary: hostileBody.map((body) => ({
      body,
      codes: ["invalid_json", "invalid_encoding", "invalid_batch", "payload_too_large", "too_many_events"],
    })),
  },
);

describe("POST /v1/events", () => {
  it(
    "answers every request with the documented status, and stores only what it accepted",
    { timeout: 90_000 },
    reportable(async () => {
      const pool = new SitePool();
      const accepted: Delivered[] = [];
      await fc.assert(
        fc.asyncProperty(
          methodFor("POST"),
          siteParam,
          originParam,
          contentType,
          batchBody,
          async (method, siteQ, origin, type, { body, batch, codes }) => {
            const site = await pool.next();
            const query = siteQ.query.replace("{key}", site.key);
            const call: Call = {
              method,
              path: `/v1/events${query ? `?${query}` : ""}`,
              headers: { origin: origin.value, "content-type": type.value, "cf-connecting-ip": nextIp() },
              body,
            };
            const answer = await send("ingest", call);
            const expected =
              method === "OPTIONS"
                ? !siteQ.expect && origin.ok
                  ? { status: 204 }
                  : { status: 403, code: "origin_not_allowed" }
                : method !== "POST"
                  ? { status: 404, code: "not_found" }
                  : (siteQ.expect ??
                    (!origin.ok
                      ? { status: 403, code: "origin_not_allowed" }
                      : !type.ok
                        ? { status: 415, code: "unsupported_content_type" }
                        : batch
                          ? { status: 202 }
                          : undefined));
            if (answer.status === 202 && batch) accepted.push({ site, batch });
            // The rate limit comes before the type and body checks: it may refuse anything not meant to be stored.
            if (answer.status === 429 && expected?.status !== 202) return;
            if (expected) {
              // A HEAD answer has no body to carry the code.
              const code = method === "HEAD" || !("code" in expected) ? undefined : expected.code;
              expect({ status: answer.status, code: answer.code }, describeCall(call)).toEqual({ status: expected.status, code });
              if (expected.status === 202) expect(answer.json).toEqual({ accepted: batch?.events.length });
            } else {
              expect(codes, `${answer.status} ${answer.code} for ${describeCall(call)}`).toContain(answer.code);
            }
          },
        ),
        { numRuns: RUNS.ingest, seed: SEED },
      );
      await verifyStored("ingest", pool, accepted);
    }),
  );

  it(
    "stores each event exactly once, and keeps the latest cart, however batches are replayed and reordered",
    reportable(async () => {
      // Shoppers' histories cut into batches, delivered in a random order with random replays, all
      // through the real endpoint and queue. Checked together at the end: the queue takes a second.
      const scenario = fc.record({
        shoppers: fc.array(
          fc.record({
            plans: fc.array(fc.tuple(plan, fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 14 }),
            skew: fc.integer({ min: -3_600_000, max: 3_600_000 }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        order: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
        replays: fc.array(fc.nat(), { maxLength: 6 }),
      });
      const pool = new SitePool();
      const accepted: Delivered[] = [];
      const lanes: Delivered[][] = [];
      for (const { shoppers, order, replays } of fc.sample(scenario, { numRuns: RUNS.replay, seed: SEED })) {
        const site = await pool.next(shoppers.length * 6 + replays.length);
        const batches: Delivered[] = [];
        for (const { plans, skew } of shoppers) {
          const aid = newAid();
          const events = materialise(
            plans.map(([p]) => p),
            skew,
          );
          for (let cut = 0; cut <= 5; cut++) {
            const part = events.filter((_, i) => plans[i]?.[1] === cut);
            if (part.length) batches.push({ site, batch: { aid, sentAt: NOW + skew, events: part } });
          }
        }
        accepted.push(...batches);
        const shuffled = batches.map((b, i) => ({ b, key: order[i % order.length] as number })).sort((x, y) => x.key - y.key);
        lanes.push([...shuffled.map((s) => s.b), ...replays.map((r) => batches[r % batches.length] as Delivered)]);
      }
      // Scenarios side by side (their shoppers are distinct), each one's deliveries in its own order.
      const sendLane = async (lane: Delivered[]) => {
        for (const { site, batch } of lane) {
          const answer = await send("ingest", ingestCall(site.key, { text: JSON.stringify(batch) }));
          expect(answer.status, answer.text).toBe(202);
        }
      };
      for (let i = 0; i < lanes.length; i += 8) await Promise.all(lanes.slice(i, i + 8).map(sendLane));
      await verifyStored("ingest", pool, accepted);
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// POST /v1/sync and /v1/sync/signout

const HLC_MIN = 1_577_836_800_000;
const hlc = fc.tuple(
  fc.integer({ min: HLC_MIN, max: HLC_MIN + 1e12 }),
  fc.integer({ min: 0, max: 1_000_000 }),
  fc.string({ maxLength: 8 }),
);
/** Line ids include names every object inherits: the account's merge must look at its own lines only. */
const lineId = fc.oneof(
  { weight: 4, arbitrary: text(MAX_ID_LENGTH) },
  { weight: 1, arbitrary: fc.constantFrom("toString", "hasOwnProperty", "valueOf", "constructor", "__proto__", "__defineGetter__") },
);
const syncCart = fc.record({
  currency: fc.constantFrom(...CURRENCIES),
  currencyAt: fc.oneof(fc.constant([0, 0, ""]), hlc),
  lines: fc
    .uniqueArray(fc.tuple(lineId, fc.record({ line, at: hlc, pos: hlc }, { requiredKeys: ["at", "pos"] })), {
      selector: ([id]) => id,
      maxLength: 4,
    })
    .map((entries) =>
      Object.fromEntries(entries.map(([id, state]) => [id, state.line ? { ...state, line: { ...state.line, id } } : state])),
    ),
});
/** Device ids the protocol allows, some of them names every object inherits. */
const deviceId = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[\w-]{16,24}$/) },
  { weight: 1, arbitrary: fc.constantFrom("__defineGetter__", "__lookupSetter__", "propertyIsEnumerable") },
);

type TokenKind = "valid" | "expired" | "forged" | "other_site" | "missing" | "malformed" | "too_long";
/** A token: signed for `user` (valid, expired, forged, for another site), or `raw` text. */
const tokenCase: fc.Arbitrary<{ kind: TokenKind; user: string; raw?: string }> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant<TokenKind>("valid"),
      user: fc.constantFrom("u1", "u2", "u3", "__proto__", "toString", "ünï 😀", "x".repeat(MAX_ID_LENGTH)),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom<TokenKind>("expired", "forged", "other_site").map((kind) => ({ kind, user: "victim" })) },
  { weight: 1, arbitrary: fc.constant({ kind: "missing" as TokenKind, user: "", raw: "" }) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.constantFrom(
          "v1",
          "v1..",
          "v1.x.y",
          "v2.e30.e30",
          "v1.!!!.x",
          `v1.${btoa("not json")}.x`,
          `v1.${btoa('{"site":1}')}.x`,
          `v1.${btoa("null")}.x`,
        ),
        fc.string({ minLength: 1, maxLength: 40 }).filter((t) => !t.startsWith("v1.")),
      )
      .map((raw) => ({ kind: "malformed" as TokenKind, user: "", raw })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "too_long" as TokenKind, user: "", raw: `v1.${"a".repeat(2100)}.b` }) },
);

const TOKEN_ERRORS: Record<Exclude<TokenKind, "valid" | "too_long">, [number, string]> = {
  expired: [401, "token_expired"],
  forged: [401, "token_forged"],
  other_site: [403, "token_other_site"],
  missing: [401, "token_missing"],
  malformed: [401, "token_malformed"],
};

/** A sync body, labelled: `valid` ones reach the token check. */
const syncBody = fc.oneof(
  { weight: 6, arbitrary: fc.record({ aid: deviceId, cart: syncCart }).map((b) => ({ ...b, valid: true as const })) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        aid: deviceId,
        cart: syncCart,
        defect: fc.constantFrom<[string, (b: Record<string, unknown>) => unknown][]>(
          ["short aid", (b) => ({ ...b, aid: "short" })],
          ["numeric token", (b) => ({ ...b, token: 12 })],
          ["no cart", ({ cart: _, ...b }) => b],
          ["lowercase currency", (b) => ({ ...b, cart: { ...(b.cart as object), currency: "eur" } })],
          ["clock as text", (b) => ({ ...b, cart: { ...(b.cart as object), currencyAt: "now" } })],
          [
            "line without a clock",
            (b) => ({ ...b, cart: { ...(b.cart as object), lines: { tea: { line: { id: "tea", name: "t", price: 1, quantity: 1 } } } } }),
          ],
          [
            "too many lines",
            (b) => ({
              ...b,
              cart: {
                ...(b.cart as object),
                lines: Object.fromEntries(
                  Array.from({ length: 301 }, (_, i) => [`l${i}`, { at: [HLC_MIN, 0, ""], pos: [HLC_MIN, 0, ""] }]),
                ),
              },
            }),
          ],
          ["cart as array", (b) => ({ ...b, cart: [] })],
        ),
      })
      .map(({ aid, cart, defect }) => ({ aid, cart, defect, valid: false as const })),
  },
  { weight: 2, arbitrary: hostileBody.map((body) => ({ body, valid: false as const })) },
);

describe("POST /v1/sync, /v1/sync/signout", () => {
  let site: Site;
  let other: Site;
  const victim = { user: "victim", aid: "victim-device-000001" };
  beforeAll(async () => {
    site = await seedSite(env.DB);
    other = await seedSite(env.DB);
    const token = await signShopperToken({ site: site.key, userId: victim.user, secret: `sk_${site.key}` });
    const body = { text: JSON.stringify({ token, aid: victim.aid, cart: emptySync("EUR") }) };
    expect((await send("sync", { method: "POST", path: `/v1/sync?site=${site.key}`, headers: { origin: ORIGIN }, body })).status).toBe(200);
  });

  it(
    "answers every request with the documented status, writes nothing to D1, and no bad token touches an account",
    reportable(async () => {
      const victimBefore = JSON.stringify(await accountStub(env, site.id, victim.user).devices());
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("/v1/sync", "/v1/sync/signout"),
          methodFor("POST"),
          siteParam,
          originParam,
          contentType,
          tokenCase,
          syncBody,
          async (path, method, siteQ, origin, type, token, request) => {
            const secret = token.kind === "forged" ? "sk_not_the_secret" : `sk_${site.key}`;
            const value =
              token.kind === "valid" || token.kind === "forged" || token.kind === "expired"
                ? await signShopperToken({
                    site: site.key,
                    userId: token.user,
                    secret,
                    expiresInSeconds: token.kind === "expired" ? -60 : 600,
                  })
                : token.kind === "other_site"
                  ? await signShopperToken({ site: other.key, userId: token.user, secret: `sk_${other.key}` })
                  : (token.raw ?? "");
            const body: Body =
              "body" in request
                ? request.body
                : {
                    text: JSON.stringify(
                      "defect" in request
                        ? request.defect[1]({ token: value, aid: request.aid, cart: request.cart })
                        : { token: value, aid: request.aid, cart: request.cart },
                    ),
                  };
            const query = siteQ.query.replace("{key}", site.key);
            const call: Call = {
              method,
              path: `${path}${query ? `?${query}` : ""}`,
              headers: { origin: origin.value, "content-type": type.value },
              body,
            };
            // Sync keeps account carts in Durable Objects: no request, taken or refused, writes to D1.
            const answer = await sendChecked("sync", call, "json", () => true);

            if (method !== "POST") return expectOneOf(answer, call, [[404, "not_found"]]);
            if (siteQ.expect) return expectOneOf(answer, call, [[siteQ.expect.status, siteQ.expect.code]]);
            if (!origin.ok) return expectOneOf(answer, call, [[403, "origin_not_allowed"]]);
            if (!type.ok) return expectOneOf(answer, call, [[415, "unsupported_content_type"]]);
            const size = bytesOf(body).length;
            if (size > 256 * 1024) return expectOneOf(answer, call, [[413, "payload_too_large"]]);
            if (!request.valid || token.kind === "too_long")
              return expectOneOf(answer, call, [
                [400, "invalid_json"],
                [400, "invalid_encoding"],
                [422, "invalid_sync"],
              ]);
            if (token.kind !== "valid") return expectOneOf(answer, call, [TOKEN_ERRORS[token.kind]]);

            expectOneOf(answer, call, [[200]]);
            const devices = (await accountStub(env, site.id, token.user).devices()).map((d) => d.aid);
            if (path === "/v1/sync/signout") {
              expect(answer.json).toEqual({ status: "signed_out" });
              expect(devices, "a signed-out device leaves the account").not.toContain(request.aid);
              return;
            }
            const result = answer.json as { status: string; cart?: { lines: Record<string, unknown> } };
            if (result.status === "retired") return;
            expect(result.status).toBe("ok");
            expect(devices, "a syncing device is one of the account's devices").toContain(request.aid);
            // valibot's record() drops these three keys on purpose (prototype pollution): such line ids never sync.
            // The account forgets tombstones, and lines it never had, from before the cart lifetime
            // (protocol/merge.ts prune): every live line newer than that must be merged.
            const fresh = ([id, state]: [string, { line?: unknown; at: [number, number, string] }]) =>
              !["__proto__", "constructor", "prototype"].includes(id) &&
              state.line !== undefined &&
              state.at[0] > Date.now() - 6 * 86_400_000;
            for (const [id] of Object.entries(request.cart.lines).filter(fresh))
              expect(Object.hasOwn(result.cart?.lines ?? {}, wellFormed(id)), `line ${id} merged`).toBe(true);
            // The device sends this cart back on its next sync: it must be one the collector takes.
            expect(v.safeParse(SyncCartSchema, result.cart).issues, "the merged cart is a valid replica").toBeUndefined();
          },
        ),
        { numRuns: RUNS.sync, seed: SEED },
      );
      expect(
        JSON.stringify(await accountStub(env, site.id, victim.user).devices()),
        "forged, expired and foreign tokens change no account",
      ).toBe(victimBefore);
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// /r/:token, /u/:token and GET /v1/restore

describe("recovery links: /r/:token, /u/:token, /v1/restore", () => {
  let site: Site;
  const tokens: Record<string, string> = {};
  const messageId = "fuzz-message-0";
  beforeAll(async () => {
    site = await seedSite(env.DB);
    const now = Date.now();
    const aid = "fuzz-restore-shopper-1";
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO messages (id, sequence_id, site_id, email, step, kind, status, due_at, queued_at) VALUES (?, 'fuzz-seq', ?, 'ana@example.com', 0, 'recovery', 'sent', ?, ?)",
      ).bind(messageId, site.id, now, now),
      env.DB.prepare(
        "INSERT INTO carts (site_id, aid, status, currency, lines, item_count, value, updated_at, client_at, version, expires_at) VALUES (?, ?, 'active', 'EUR', ?, 1, 1250, ?, ?, 'v', ?)",
      ).bind(site.id, aid, JSON.stringify([{ id: "tea", name: "Green tea", price: 1250, quantity: 1 }]), now, now, now + 86_400_000),
    ]);
    const link = { site_id: site.id, email: "ana@example.com", aid, message_id: messageId, sequence_id: null };
    tokens.restore = await createLink(env.DB, { ...link, kind: "restore", expires_at: now + 86_400_000 });
    tokens.unsubscribe = await createLink(env.DB, { ...link, kind: "unsubscribe", expires_at: now + 86_400_000 });
    tokens.expired = await createLink(env.DB, { ...link, kind: "restore", expires_at: now - 1 });
  });

  /** `{restore}` and friends stand for the live tokens; the rest is anything a client could put in a path. */
  const token = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom("{restore}", "{unsubscribe}", "{expired}", "{restore}x", "{restore}%00", "{unsubscribe}/extra"),
    },
    { weight: 4, arbitrary: segment },
  );
  const resolve = (t: string) => t.replace(/\{(\w+)\}/g, (_, name: string) => tokens[name] as string);
  const form = fc.oneof(
    hostileBody,
    fc.constant({ text: "List-Unsubscribe=One-Click" }),
    fc.constant({ text: '--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--\r\n' }),
    fc.constant({ text: "--x\r\nbroken" }),
  );
  const formType = fc.constantFrom(
    undefined,
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "multipart/form-data",
    "text/plain",
    "application/json",
  );

  it(
    "answers every link with a page or a JSON error, and writes nothing for a dead link, a GET or the restore POST (a click is the shop page's report of a person)",
    reportable(async () => {
      let posted = false;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("r", "u"),
          fc.oneof({ weight: 3, arbitrary: fc.constantFrom("GET", "POST") }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
          token,
          randomQuery,
          form,
          formType,
          async (route, method, t, query, body, type) => {
            const value = resolve(t);
            const call: Call = { method, path: `/${route}/${value}${query}`, headers: { "content-type": type }, body };
            const live = (route === "r" && t === "{restore}") || (route === "u" && t === "{unsubscribe}");
            // A dead link changes nothing, and neither does a GET: mail scanners prefetch links.
            const answer = await sendChecked("links", call, "page", (a) => a.status >= 400 || !live || method !== "POST" || route === "r");
            if (!["GET", "POST", "HEAD"].includes(method)) return expectOneOf(answer, call, [[404, "not_found"]]);
            if (value === "") return expectOneOf(answer, call, [[404, "not_found"]]);
            if (!live) return expectOneOf(answer, call, route === "r" ? [[410], [404, "not_found"]] : [[404]]);
            if (route === "r" && method === "POST") {
              expectOneOf(answer, call, [[303]]);
              expect(answer.headers.get("location")).toBe(`${ORIGIN}/?cartback_restore=${tokens.restore}`);
              // A scanner that runs the page's script posts this form too: no click.
              const clickedAt = await env.DB.prepare("SELECT clicked_at FROM messages WHERE id = ?")
                .bind(messageId)
                .first<number>("clicked_at");
              expect(clickedAt, "no click from the form post").toBeNull();
              posted = true;
            } else expectOneOf(answer, call, [[200]]);
          },
        ),
        { numRuns: RUNS.links, seed: SEED },
      );
      expect(posted, "the restore link was posted").toBe(true);
      const suppressed = await env.DB.prepare("SELECT count(*) AS n FROM suppressions WHERE site_id = ?").bind(site.id).first<number>("n");
      expect(suppressed, "one unsubscribe, however often it was posted").toBe(1);
    }),
  );

  it(
    "GET /v1/restore answers the cart for a live token and a JSON error for anything else",
    reportable(async () => {
      await fc.assert(
        fc.asyncProperty(
          methodFor("GET"),
          fc.oneof({ weight: 4, arbitrary: fc.constant("{key}") }, { weight: 1, arbitrary: segment }),
          fc.oneof(
            { weight: 2, arbitrary: fc.constant<OriginParam>({ value: undefined, ok: true }) },
            { weight: 1, arbitrary: originParam.filter((o) => o.value !== undefined) },
          ),
          token,
          randomQuery,
          async (method, key, origin, t, extra) => {
            const call: Call = {
              method,
              path: `/v1/restore?site=${key === "{key}" ? site.key : key}&token=${resolve(t)}${extra.replace("?", "&")}`,
              headers: { origin: origin.value },
            };
            const answer = await sendChecked("links", call, "json", () => method !== "POST");
            if (method === "POST") return expectOneOf(answer, call, [[401], [403], [404], [422], [200]]);
            if (method !== "GET" && method !== "HEAD") return expectOneOf(answer, call, [[404, "not_found"]]);
            if (key !== "{key}") return expectOneOf(answer, call, [[401, "unknown_site_key"]]);
            if (!origin.ok) return expectOneOf(answer, call, [[403, "origin_not_allowed"]]);
            if (t !== "{restore}") return expectOneOf(answer, call, [[404, "unknown_restore_token"]]);
            expectOneOf(answer, call, [[200]]);
            if (method === "GET")
              expect(answer.json).toMatchObject({ status: "restored", cart: { currency: "EUR", lines: [{ id: "tea" }] } });
          },
        ),
        { numRuns: RUNS.restore, seed: SEED },
      );
    }),
  );

  it(
    "POST /v1/restore (a person's input on the restored page) answers 200 only for a live token, an allowed origin and a browser id; otherwise a JSON error, and nothing written",
    reportable(async () => {
      const opening = fc.oneof(
        { weight: 3, arbitrary: fc.record({ token, aid: fc.oneof(fc.constant(randomId()), segment) }).map((o) => ({ ...o, ok: true })) },
        { weight: 1, arbitrary: hostileBody.map((body) => ({ body, ok: false })) },
        { weight: 1, arbitrary: fc.constant({ extra: true, ok: false }) },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 4, arbitrary: fc.constant("{key}") }, { weight: 1, arbitrary: segment }),
          fc.oneof({ weight: 2, arbitrary: fc.constant<OriginParam>({ value: ORIGIN, ok: true }) }, { weight: 1, arbitrary: originParam }),
          opening,
          async (key, origin, open) => {
            const o = open as { token?: string; aid?: string; body?: Body; extra?: boolean; ok: boolean };
            const json = o.extra ? { token: tokens.restore, aid: randomId(), clicks: 9 } : { token: resolve(o.token ?? ""), aid: o.aid };
            const call: Call = {
              method: "POST",
              path: `/v1/restore?site=${key === "{key}" ? site.key : key}`,
              headers: { origin: origin.value, "content-type": "text/plain" },
              body: o.body ?? { text: JSON.stringify(json) },
            };
            const live =
              key === "{key}" &&
              origin.ok &&
              origin.value !== undefined &&
              o.ok &&
              o.token === "{restore}" &&
              /^[\w-]{16,64}$/.test(o.aid ?? "");
            const answer = await sendChecked("links", call, "json", (a) => a.status >= 400 || !live);
            if (key !== "{key}") return expectOneOf(answer, call, [[401, "unknown_site_key"]]);
            if (!origin.ok || origin.value === undefined) return expectOneOf(answer, call, [[403, "origin_not_allowed"]]);
            if (!o.ok || !/^[\w-]{16,64}$/.test(o.aid ?? "")) return expectOneOf(answer, call, [[422, "invalid_open"], [404]]);
            if (o.token !== "{restore}")
              return expectOneOf(answer, call, [
                [404, "unknown_restore_token"],
                [422, "invalid_open"],
              ]);
            expectOneOf(answer, call, [[200]]);
          },
        ),
        { numRuns: RUNS.restore, seed: SEED },
      );
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// The merchant's secret: GET /v1/stats, /v1/stats/orders and /v1/sites/:key/…

/** An Authorization header; `{secret}` is the site's secret, `{other}` another site's, `{key}` its public key. */
type AuthCase = { header?: string; bearer: "right" | "other" | "wrong" | "none" };
const authCase: fc.Arbitrary<AuthCase> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom("Bearer {secret}", "bearer {secret}", "BEARER   {secret}")
      .map((header) => ({ header, bearer: "right" as const })),
  },
  { weight: 1, arbitrary: fc.constant({ header: "Bearer {other}", bearer: "other" as const }) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.constantFrom("Bearer sk_guess", "Bearer {key}", "Bearer {secret}x", "bearer sk_"),
        headerText().map((s) => `Bearer x${s.replace(/\s/g, "")}`),
      )
      .map((header) => ({ header, bearer: "wrong" as const })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.constantFrom(undefined, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "{secret}", "Bearer {secret} extra", "Token {secret}"),
        headerText().map((s) => `x${s}`),
      )
      .map((header) => ({ header, bearer: "none" as const })),
  },
);

/** Which site the path or `?site=` names; `{key}` and `{otherKey}` are filled in. */
type KeyCase = { key: string; which: "own" | "other" | "unknown" | "odd" };
const keyCase: fc.Arbitrary<KeyCase> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ key: "{key}", which: "own" as const }) },
  { weight: 1, arbitrary: fc.constant({ key: "{otherKey}", which: "other" as const }) },
  { weight: 1, arbitrary: fc.stringMatching(/^pk_[\w-]{4,20}$/).map((key) => ({ key, which: "unknown" as const })) },
  { weight: 1, arbitrary: segment.map((key) => ({ key, which: "odd" as const })) },
);

function fill(template: string | undefined, own: Site, other: Site): string | undefined {
  return template
    ?.replaceAll("{secret}", `sk_${own.key}`)
    .replaceAll("{other}", `sk_${other.key}`)
    .replaceAll("{otherKey}", other.key)
    .replaceAll("{key}", own.key);
}

/** What the secret check must answer, or undefined when the request is the merchant's own. */
function authExpectation(auth: AuthCase, key: KeyCase): [number, string?][] | undefined {
  if ((auth.bearer === "right" && key.which === "own") || (auth.bearer === "other" && key.which === "other")) return undefined;
  const refused: [number, string][] = [auth.bearer === "none" ? [401, "unauthorized"] : [403, "forbidden"]];
  // An odd key (empty, or with a slash) can leave a path no route matches.
  return key.which === "odd" ? [...refused, [404, "not_found"]] : refused;
}

const dateParam = fc.oneof(
  fc
    .date({ min: new Date("2024-01-01T00:00:00Z"), max: new Date("2027-12-31T00:00:00Z"), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom("2026-02-30", "2026-13-01", "26-01-01", "2026-1-1", "", "0000-01-01", "9999-12-31", "2026-11-01T00:00:00Z", "2020-01-01"),
  segment,
);

describe("stats API: GET /v1/stats, /v1/stats/orders", () => {
  let site: Site;
  let other: Site;
  beforeAll(async () => {
    site = await seedSite(env.DB);
    other = await seedSite(env.DB);
  });

  it(
    "answers figures or a JSON error for any secret, site and query, and writes nothing",
    reportable(async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("/v1/stats", "/v1/stats/orders", "/v1/stats/", "/v1/stats/nope"),
          methodFor("GET"),
          authCase,
          keyCase,
          fc.record(
            {
              from: dateParam,
              to: dateParam,
              limit: fc.oneof(fc.constantFrom("0", "1", "500", "501", "abc", "1e3", "-1", "007"), segment),
              offset: fc.oneof(fc.constantFrom("0", "9999999", "99999999", "-1"), segment),
              format: fc.oneof(fc.constantFrom("json", "csv", "xml", "CSV"), segment),
              q: fc.oneof(fc.string({ maxLength: 300 }).map(encode), segment),
            },
            { requiredKeys: [] },
          ),
          async (path, method, auth, key, params) => {
            const query = Object.entries({ site: key.key, ...params })
              .map(([k, v]) => `${k}=${v}`)
              .join("&");
            const call: Call = {
              method,
              path: `${path}?${fill(query, site, other)}`,
              headers: { authorization: fill(auth.header, site, other) },
            };
            const answer = await sendChecked("stats", call, "json", () => true);
            const refused = authExpectation(auth, key);
            if (refused) return expectOneOf(answer, call, refused);
            const known = path === "/v1/stats" || path === "/v1/stats/orders";
            if (!known || (method !== "GET" && method !== "HEAD")) return expectOneOf(answer, call, [[404, "not_found"]]);
            if (path === "/v1/stats") return expectOneOf(answer, call, [[200], [400, "invalid_range"]]);
            expectOneOf(answer, call, [[200], [400, "invalid_range"], [400, "invalid_query"]]);
          },
        ),
        { numRuns: RUNS.stats, seed: SEED },
      );
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// The merchant API: /v1/sites/:key/…

const order = fc.record(
  {
    orderId: text(MAX_ID_LENGTH),
    email,
    aid: fc.stringMatching(/^[\w-]{16,30}$/),
    total: fc.integer({ min: 0, max: MAX_TOTAL }),
    currency: fc.constantFrom(...CURRENCIES),
    paidAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  },
  { requiredKeys: ["orderId", "total", "currency"] },
);

const BAD_ORDERS: [string, (o: Record<string, unknown>) => unknown][] = [
  ["no shopper", ({ email: _, aid: __, ...o }) => o],
  ["empty order id", (o) => ({ ...o, orderId: "", email: "ana@example.com" })],
  ["long order id", (o) => ({ ...o, orderId: "o".repeat(MAX_ID_LENGTH + 1), email: "ana@example.com" })],
  ["bad email", (o) => ({ ...o, email: "not an email" })],
  ["short aid", (o) => ({ ...o, aid: "short" })],
  ["negative total", (o) => ({ ...o, total: -1, email: "ana@example.com" })],
  ["fractional total", (o) => ({ ...o, total: 1.5, email: "ana@example.com" })],
  ["total as text", (o) => ({ ...o, total: "10", email: "ana@example.com" })],
  ["lowercase currency", (o) => ({ ...o, currency: "eur", email: "ana@example.com" })],
  ["negative paidAt", (o) => ({ ...o, paidAt: -1, email: "ana@example.com" })],
  ["array", (o) => [o]],
  ["null", () => null],
];

const settingsPatch = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          abandonAfterMinutes: fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double(), fc.string({ maxLength: 4 })),
          holdoutPercent: fc.oneof(fc.integer({ min: -1, max: 60 }), fc.constant(null)),
          steps: fc.array(fc.record({ afterMinutes: fc.integer({ min: -1, max: 30_000 }), incentive: fc.boolean() }), { maxLength: 6 }),
          shopName: fc.oneof(text(100), fc.constant("s".repeat(101))),
          replyTo: fc.oneof(email, fc.constant("nope")),
          restoreUrl: fc.constantFrom(`${ORIGIN}/cart`, "https://evil.example/cart", "javascript:alert(1)"),
          templates: fc.dictionary(
            fc.constantFrom("reminder", "question", "junk", "__proto__"),
            fc.record({ subject: text(200), heading: text(200), body: text(2000), cta: text(60), junk: fc.string() }, { requiredKeys: [] }),
          ),
          webhook: fc.record({ url: httpUrl, secret: fc.string({ maxLength: 40 }) }),
          // Lists of origins and image hosts: good, bad, repeated, too many, not lists at all.
          origins: fc.oneof(
            fc.constant([ORIGIN]),
            fc.array(
              fc.constantFrom(ORIGIN, "https://*.Shop.example", `${ORIGIN}/`, "not a url", `${ORIGIN}/path`, "", "ftp://x.example"),
              {
                maxLength: 22,
              },
            ),
            fc.array(fc.webUrl(), { maxLength: 3 }),
            fc.jsonValue({ maxDepth: 1 }),
          ),
          imageHosts: fc.oneof(
            fc.array(
              fc.constantFrom("cdn.example", "*.img.example", "CDN.example", "https://cdn.example", "cdn.example/x", "cdn.example:1", ""),
              {
                maxLength: 22,
              },
            ),
            fc.array(fc.domain(), { maxLength: 21 }),
            fc.jsonValue({ maxDepth: 1 }),
          ),
          holdoutPercnt: fc.integer(),
          junk: fc.jsonValue({ maxDepth: 3 }),
        },
        { requiredKeys: [] },
      )
      .map((patch) => ({ text: JSON.stringify(patch) }) as Body),
  },
  { weight: 2, arbitrary: hostileBody },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Body>(
      { text: '{"__proto__":{"abandonAfterMinutes":1},"constructor":{"prototype":{"x":1}}}' },
      { text: '{"origins":["https://shop.example"],"imageHosts":["cdn.shop.example","*.img.example"]}' },
      { text: '{"origins":{"__proto__":["https://evil.example"]}}' },
      { size: 1_900_000, fill: "json-string", prefix: '{"junk":', suffix: "}" },
      { size: 2_100_000, fill: "json-string", prefix: '{"junk":', suffix: "}" },
      {
        size: 3_000_000,
        fill: "json-string",
        prefix: '{"templates":{"reminder":{"subject":"s","heading":"h","body":"b","cta":"c","junk":',
        suffix: "}}}",
      },
      {
        size: 3_000_000,
        fill: "json-string",
        prefix: '{"webhook":{"url":"https://shop.example/hook","secret":"0123456789abcdef","junk":',
        suffix: "}}",
      },
      { nested: 10_000, open: "[", close: "]", prefix: '{"junk":', suffix: "}" },
      { nested: 10_000, open: "[", close: "]", prefix: '{"steps":', suffix: "}" },
      { nested: 5_000, open: '{"a":', close: "}", prefix: '{"incentive":', suffix: "}" },
    ),
  },
);

describe("merchant API: /v1/sites/:key/…", () => {
  let site: Site;
  let other: Site;
  const known = { user: "known-user", aid: "known-device-0000001" };
  beforeAll(async () => {
    site = await seedSite(env.DB);
    other = await seedSite(env.DB);
    await accountStub(env, site.id, known.user).sync({ aid: known.aid, cart: emptySync("EUR"), maxDevices: 5, ttlDays: 7 });
  });

  type Route = {
    method: string;
    path: string;
    body?: Body;
    expect: [number, string?][];
    order?: Record<string, unknown>;
    anyMethod?: boolean;
  };
  /** What each route answers a request with no body and no query, by method; anything else is a 404. */
  const BODILESS: Record<string, Record<string, [number, string?][]>> = {
    "/settings": { GET: [[200]], HEAD: [[200]], PATCH: [[400, "invalid_json"]] },
    "/orders": { POST: [[422, "invalid_order"]] },
    "/messages": { GET: [[200]], HEAD: [[200]] },
    "/shoppers": { GET: [[400, "invalid_shopper"]], HEAD: [[400, "invalid_shopper"]], DELETE: [[400, "invalid_shopper"]] },
  };
  const route: fc.Arbitrary<Route> = fc.oneof(
    fc.constant({ method: "GET", path: "/settings", expect: [[200]] as [number, string?][] }),
    settingsPatch.map((body) => ({
      method: "PATCH",
      path: "/settings",
      body,
      expect: [[200], [400, "invalid_json"], [422, "invalid_settings"]] as [number, string?][],
    })),
    order.map((o) =>
      o.email || o.aid
        ? { method: "POST", path: "/orders", body: { text: JSON.stringify(o) }, expect: [[201]] as [number, string?][], order: o }
        : { method: "POST", path: "/orders", body: { text: JSON.stringify(o) }, expect: [[422, "invalid_order"]] as [number, string?][] },
    ),
    fc.tuple(order, fc.constantFrom(...BAD_ORDERS)).map(([o, [, f]]) => ({
      method: "POST",
      path: "/orders",
      body: { text: JSON.stringify(f(o)) },
      expect: [[422, "invalid_order"]] as [number, string?][],
    })),
    hostileBody.map((body) => ({ method: "POST", path: "/orders", body, expect: [[422, "invalid_order"]] as [number, string?][] })),
    fc.oneof(fc.constantFrom("queued", "sent", "cancelled", "failed", "", "QUEUED"), segment).map((status) => ({
      method: "GET",
      path: `/messages?status=${status}`,
      expect: ["", "queued", "sent", "cancelled", "failed"].includes(status)
        ? ([[200]] as [number, string?][])
        : ([[200], [400, "invalid_status"]] as [number, string?][]),
    })),
    fc
      .oneof(fc.constant(known.user), segment)
      .map((user) => ({ method: "GET", path: `/users/${user}/devices`, expect: [[200], [404, "not_found"]] as [number, string?][] })),
    fc
      .tuple(
        fc.oneof(fc.constant(known.user), segment),
        fc.oneof(fc.constant(known.aid), deviceId, fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty"), segment),
      )
      .map(([user, aid]) => ({
        method: "DELETE",
        path: `/users/${user}/devices/${aid}`,
        expect: (user === known.user && aid === known.aid
          ? [[200]]
          : [
              [404, "unknown_device"],
              [404, "not_found"],
            ]) as [number, string?][],
      })),
    fc
      .tuple(
        fc.constantFrom("GET", "DELETE"),
        fc.record({ email: fc.oneof(email, segment), userId: fc.oneof(text(MAX_ID_LENGTH).map(encode), segment) }, { requiredKeys: [] }),
      )
      .map(([method, who]) => ({
        method,
        path: `/shoppers?${Object.entries(who)
          .map(([k, v]) => `${k}=${v}`)
          .join("&")}`,
        expect: [[200], [400, "invalid_shopper"]] as [number, string?][],
      })),
    fc
      .tuple(fc.constantFrom(...METHODS), fc.constantFrom("/settings", "/orders", "/messages", "/shoppers", "/nope", "", "/users/x"))
      .map(([method, path]) => ({
        method,
        path,
        expect: BODILESS[path]?.[method] ?? [[404, "not_found"]],
        anyMethod: true,
      })),
  );

  it(
    "answers every request with the documented status, and a refused one writes nothing",
    reportable(async () => {
      const accepted = new Set<string>();
      await fc.assert(
        fc.asyncProperty(route, authCase, keyCase, contentType, async (r, auth, key, type) => {
          const call: Call = {
            method: r.method,
            path: `/v1/sites/${fill(key.key, site, other)}${r.path}`,
            headers: { authorization: fill(auth.header, site, other), "content-type": type.value },
            body: r.body,
          };
          const answer = await sendChecked("merchant", call);
          const refused = authExpectation(auth, key);
          // A path no route has may be a 404 before any secret is looked at.
          if (refused)
            return expectOneOf(answer, call, [...refused, ...(r.anyMethod ? ([[404, "not_found"]] as [number, string?][]) : [])]);
          if (key.which === "other") return expectOneOf(answer, call, [[200], [201], [400], [404], [422]]);
          expectOneOf(answer, call, r.expect);
          if (answer.status === 201 && r.order) accepted.add(wellFormed(String(r.order.orderId)));
        }),
        { numRuns: RUNS.merchant, seed: SEED },
      );
      // Every order taken is stored once; a refused one not at all (checked per request above).
      const orders = await env.DB.prepare("SELECT order_id FROM orders WHERE site_id = ?").bind(site.id).all<{ order_id: string }>();
      expect(new Set(orders.results.map((o) => o.order_id))).toEqual(accepted);
      // Whatever was patched, only settings that validate are stored: nothing unknown, nothing huge.
      const stored = (await env.DB.prepare("SELECT settings FROM sites WHERE id = ?").bind(site.id).first<string>("settings")) ?? "{}";
      expect(stored.length).toBeLessThan(64 * 1024);
      expect(Object.keys(JSON.parse(stored)).filter((k) => !(k in SettingsSchema.entries))).toEqual([]);
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// The dashboard: /dashboard, login, logout, settings, preview, test-email, orders.csv

const FORM_FIELDS = [
  "site",
  "secret",
  "_csrf",
  "abandonAfterMinutes",
  "step0",
  "step1",
  "incentive0",
  "holdoutPercent",
  "incentiveCode",
  "incentiveDescription",
  "incentiveHours",
  "notifyEmail",
  "replyTo",
  "webhookUrl",
  "webhookSecret",
  "origins",
  "imageHosts",
  "to",
  "reason",
  "step",
  "reminder.subject",
  "reminder.body",
  "origins[]",
  "__proto__",
];

/** A posted form: its fields (`{csrf}`, `{key}`, `{secret}` filled in when sent) and how it is encoded. */
type FormCase =
  | { fields: [string, string, boolean][]; encoding: "urlencoded" | "multipart" | "broken-multipart" | "json" }
  | { body: Body };
const formCase: fc.Arbitrary<FormCase> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      fields: fc.array(
        fc.tuple(
          fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FORM_FIELDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }),
          fc.oneof(
            fc.constantFrom("{csrf}", "{key}", "{secret}", ORIGIN, "0", "30", "-3", "ana@example.com", "on", "payment_failed"),
            fc.string({ maxLength: 40 }),
            fc.constantFrom(...NASTY),
          ),
          // Sent as a file part (multipart only): the dashboard's forms have text fields only.
          fc.boolean(),
        ),
        { maxLength: 8 },
      ),
      encoding: fc.constantFrom("urlencoded" as const, "multipart" as const, "broken-multipart" as const, "json" as const),
    }),
  },
  // Forms that go through: a sign-in, settings that validate, a test email.
  {
    weight: 2,
    arbitrary: fc.constantFrom<FormCase>(
      {
        fields: [
          ["site", "{key}", false],
          ["secret", "{secret}", false],
        ],
        encoding: "urlencoded",
      },
      {
        fields: [
          ["_csrf", "{csrf}", false],
          ["origins", ORIGIN, false],
          ["step0", "0", false],
          ["abandonAfterMinutes", "30", false],
        ],
        encoding: "urlencoded",
      },
      {
        fields: [
          ["_csrf", "{csrf}", false],
          ["origins", ORIGIN, true],
          ["step0", "0", true],
        ],
        encoding: "multipart",
      },
      {
        fields: [
          ["_csrf", "{csrf}", false],
          ["to", "ana@example.com", false],
        ],
        encoding: "multipart",
      },
    ),
  },
  { weight: 2, arbitrary: hostileBody.map((body) => ({ body })) },
);

const BOUNDARY = "----fuzz";
function encodeForm(form: FormCase, fillIn: (s: string) => string): { body: Body; type?: string } {
  if ("body" in form) return { body: form.body };
  const fields = form.fields.map(([k, v, file]): [string, string, boolean] => [k, fillIn(v), file]);
  switch (form.encoding) {
    case "urlencoded":
      return { body: { text: new URLSearchParams(fields.map(([k, v]) => [k, v])).toString() }, type: "application/x-www-form-urlencoded" };
    case "json":
      return { body: { text: JSON.stringify(Object.fromEntries(fields)) }, type: "application/json" };
    default: {
      const parts = fields.map(
        ([k, v, file]) =>
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k.replace(/["\r\n]/g, "")}"${file ? '; filename="f.txt"\r\nContent-Type: text/plain' : ""}\r\n\r\n${v}\r\n`,
      );
      const text = `${parts.join("")}--${BOUNDARY}--\r\n`;
      return {
        body: { text: form.encoding === "broken-multipart" ? text.slice(0, Math.max(1, text.length >> 1)) : text },
        type: `multipart/form-data; boundary=${form.encoding === "broken-multipart" && fields.length % 2 ? "other" : BOUNDARY}`,
      };
    }
  }
}

describe("dashboard: /dashboard and its forms", () => {
  let site: Site;
  let other: Site;
  let cookie: string;
  let csrf: string;
  // A case that signs out ends the session on the collector: the next cases sign in again.
  const signIn = async () => {
    const login = await send("dashboard", {
      method: "POST",
      path: "/dashboard/login",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: { text: new URLSearchParams({ site: site.key, secret: `sk_${site.key}` }).toString() },
    });
    cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const page = await send("dashboard", { method: "GET", path: "/dashboard", headers: { cookie } });
    csrf = /name="_csrf" value="([0-9a-f]{64})"/.exec(page.text)?.[1] as string;
    expect(csrf).toBeTruthy();
  };
  beforeAll(async () => {
    site = await seedSite(env.DB);
    other = await seedSite(env.DB);
    await signIn();
  });

  const ROUTES: Record<string, { method: string; statuses: number[] }> = {
    "/dashboard": { method: "GET", statuses: [200, 400] },
    "/dashboard/login": { method: "POST", statuses: [303, 401, 403] },
    "/dashboard/logout": { method: "POST", statuses: [303, 403] },
    "/dashboard/orders.csv": { method: "GET", statuses: [200, 303, 400] },
    "/dashboard/settings": { method: "POST", statuses: [200, 303, 403, 422] },
    "/dashboard/preview": { method: "GET", statuses: [200, 401] },
    "/dashboard/test-email": { method: "POST", statuses: [200, 303, 403, 422] },
  };

  const session = fc.oneof(
    { weight: 4, arbitrary: fc.constant("{cookie}") },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "",
        "cb_session=",
        "cb_session={otherKey}.{expires}.{sid}.{mac}",
        "cb_session={key}.1000.{sid}.{mac}",
        "cb_session={key}.{expires}.{sid}.{mac}0",
        "cb_session=...",
        "cb_session={key}.99999999999999999999.{sid}.{mac}",
        "{cookie}; cb_session=garbage",
        "cb_session=garbage; {cookie}",
        `cb_session=${"a".repeat(8000)}`,
      ),
    },
    { weight: 1, arbitrary: headerText(60) },
  );

  it(
    "answers every page and form without a 5xx, and a refused or bounced one writes nothing",
    reportable(async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...Object.keys(ROUTES)),
          fc.boolean(),
          fc.constantFrom(...METHODS),
          session,
          fc.constantFrom(undefined, BASE, "https://evil.example", "null"),
          formCase,
          fc.record(
            {
              from: dateParam,
              to: dateParam,
              q: segment,
              reason: fc.constantFrom("payment_failed", "question", "nope", "__proto__"),
              step: fc.constantFrom("0", "4", "-1", "1e9", "NaN"),
            },
            { requiredKeys: [] },
          ),
          fc.option(contentType, { nil: undefined }),
          async (path, usualMethod, anyMethod, cookieCase, origin, form, params, type) => {
            const { method, statuses } = ROUTES[path] as { method: string; statuses: number[] };
            const [, expires, sid, mac] = cookie.split("=")[1]?.split(".") ?? [];
            const fillIn = (s: string) =>
              s
                .replaceAll("{cookie}", cookie)
                .replaceAll("{csrf}", csrf)
                .replaceAll("{otherKey}", other.key)
                .replaceAll("{key}", site.key)
                .replaceAll("{secret}", `sk_${site.key}`)
                .replaceAll("{expires}", expires ?? "")
                .replaceAll("{sid}", sid ?? "")
                .replaceAll("{mac}", mac ?? "");
            const encoded = encodeForm(form, fillIn);
            const query = Object.entries(params)
              .map(([k, v]) => `${k}=${v}`)
              .join("&");
            const call: Call = {
              method: usualMethod ? method : anyMethod,
              path: `${path}${query ? `?${query}` : ""}`,
              headers: { cookie: fillIn(cookieCase), origin, "content-type": type ? type.value : encoded.type },
              body: encoded.body,
            };
            // A page answered to a refused or bounced (303) request must not have changed anything.
            const answer = await sendChecked("dashboard", call, "page", (a) => a.status >= 300);
            if (path === "/dashboard/logout" && answer.status === 303) await signIn();
            const sameMethod = call.method === method || (method === "GET" && call.method === "HEAD");
            if (!sameMethod) return expectOneOf(answer, call, [[404, "not_found"]]);
            expectOneOf(
              answer,
              call,
              statuses.map((s): [number] => [s]),
            );
          },
        ),
        { numRuns: RUNS.dashboard, seed: SEED },
      );
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// Anything else: random paths and methods

describe("any other path", () => {
  const PARTS = [
    "v1",
    "sites",
    "events",
    "sync",
    "signout",
    "stats",
    "orders",
    "restore",
    "r",
    "u",
    "dashboard",
    "health",
    "dev",
    "outbox",
    "users",
    "devices",
    "settings",
  ];
  it(
    "is a 404 JSON error (or a link page), never a 5xx, and writes nothing",
    reportable(async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...METHODS),
          fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...PARTS) }, { weight: 1, arbitrary: segment }), {
            minLength: 0,
            maxLength: 5,
          }),
          randomQuery,
          fc.option(hostileBody, { nil: undefined }),
          async (method, parts, query, body) => {
            const path = `/${parts.join("/")}`;
            const page = /^\/(r|u|dashboard)(\/|$)/.test(path);
            await sendChecked("routes", { method, path: `${path}${query}`, body }, page ? "page" : "json");
          },
        ),
        { numRuns: RUNS.routes, seed: SEED },
      );
    }),
  );
});
