import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { readLines } from "../../protocol/cart-changes";
import { emptySync, type Hlc, record, type SyncCart } from "../../protocol/merge";
import type { CartEvent, ErrorBody, Line } from "../../protocol/types";
import { signShopperToken } from "../../server/token";
import { storedEvents } from "../db/cart-events";
import { count, eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";
import { abandon, deliver, messagesOf } from "../test/recovery";

// A line's `data`: the shop's own fields. They go through ingest, the stored cart, the recovery
// link, the account cart and export unchanged (keys sorted), never into an email, and go with erase.
// Bad data is refused whole, naming the line's data, and nothing of the batch is stored.

const settings = { abandonAfterMinutes: 1, holdoutPercent: 0 };
const DATA = { size: "M", productId: "p-7", color: "blue", inStock: true, weight: 0.25 };
const SORTED = { color: "blue", inStock: true, productId: "p-7", size: "M", weight: 0.25 };
const line: Line = { id: "tea-m", name: "Green tea", price: 1250, quantity: 2, data: DATA };

const cartEvent = (lines: unknown[]) => ({
  id: randomId(),
  at: Date.now(),
  type: "cart",
  action: "set",
  cart: { currency: "EUR", lines },
});

const BAD: [string, unknown][] = [
  ["17 keys", Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]))],
  ["a nested object", { size: { eu: 42 } }],
  ["1 KB + 1", { k: "x".repeat(1024 - '{"k":""}'.length + 1) }],
  ["a lone surrogate", { size: "M\ud800" }],
  ["__proto__", "__proto__"],
];

describe("a line's data through the collector", () => {
  it.each(BAD)("refuses %s with a 422 naming the line's data, and stores nothing of the batch", async (_, data) => {
    const site = await seedSite(env.DB);
    const aid = randomId();
    const lines = [
      { id: "ok", name: "Mug", price: 100, quantity: 1 },
      { ...line, id: "bad" },
    ];
    const batch = { aid, sentAt: Date.now(), events: [{ id: randomId(), at: Date.now(), type: "checkout" }, cartEvent(lines)] };
    // `__proto__` as JSON sends it: an own key of the object, as JSON.parse makes it.
    const text = JSON.stringify(batch).replace(
      JSON.stringify(DATA),
      data === "__proto__" ? '{"size":"M","__proto__":{"polluted":true}}' : JSON.stringify(data),
    );
    const res = await postEvents(site.key, text);
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as ErrorBody;
    expect(error.code).toBe("invalid_batch");
    expect(error.issues?.[0]?.path.startsWith("events.1.cart.lines.1.data")).toBe(true);
    expect(error.issues?.[0]?.message).toMatch(/must/);
    // A batch that follows is stored: nothing of the refused one came before it.
    const marker = await postEvents(site.key, { aid: randomId(), sentAt: Date.now(), events: [cartEvent([])] });
    expect(marker.status).toBe(202);
    await eventually(async () => expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE site_id = ?", site.id)).toBe(1));
    for (const table of ["events", "carts", "shoppers"])
      expect(await count(env.DB, `SELECT count(*) AS n FROM ${table} WHERE aid = ?`, aid), table).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("stores the fields as sent, hands them back with the recovery link, shows none in the email, exports and erases them", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "data.lines@example.com";
    const aid = await abandon(site.key, email, { lines: [line] as never });
    const stored = await eventually(async () => {
      const row = await env.DB.prepare("SELECT lines FROM carts WHERE aid = ?").bind(aid).first<string>("lines");
      expect(row).toBeTruthy();
      return row as string;
    });
    // Stored packed (protocol/cart-changes.ts); read back, the line as sent, its fields' keys sorted.
    expect(JSON.stringify(readLines(stored))).toBe(JSON.stringify([{ ...line, data: SORTED }]));
    const event = (await storedEvents(env.DB, site.id, [aid])).find((e) => e.type === "cart")?.data as CartEvent;
    expect(event.cart.lines[0]?.data).toEqual(SORTED);

    // The email: the line, none of its fields.
    const [message] = await eventually(async () => {
      const { results } = await messagesOf(email);
      expect(results).toHaveLength(1);
      return results;
    }, 15_000);
    await deliver([{ kind: "recovery", id: message?.id as string, site: site.id, email }]);
    const mail = await env.DB.prepare(`SELECT html, text FROM dev_outbox WHERE "to" = ?`)
      .bind(email)
      .first<{ html: string; text: string }>();
    expect(mail?.text).toContain("Green tea");
    for (const shown of [mail?.html, mail?.text]) {
      for (const hidden of ["p-7", "productId", "inStock", "0.25", "blue"]) expect(shown).not.toContain(hidden);
    }

    // The link: the cart as stored, data and all.
    const path = new URL(/href="([^"]*\/r\/[^"]+)"/.exec(mail?.html ?? "")?.[1] as string).pathname;
    const click = await exports.default.fetch(`https://collector.test${path}`, { method: "POST", redirect: "manual" });
    const token = new URL(click.headers.get("location") as string).searchParams.get("cartback_restore");
    const restored = await exports.default.fetch(`https://collector.test/v1/restore?site=${site.key}&token=${token}`, {
      headers: { origin: ORIGIN },
    });
    expect(await restored.json()).toEqual({
      status: "restored",
      cart: { currency: "EUR", lines: [{ ...line, data: SORTED }] },
      restoreMode: "replace",
    });

    // Export shows them (in the cart and the events); erase takes them with the rest.
    const call = (method: string) =>
      exports.default.fetch(`https://collector.test/v1/sites/${site.key}/shoppers?email=${email}`, {
        method,
        headers: { authorization: `Bearer sk_${site.key}` },
      });
    const exported = (await (await call("GET")).json()) as {
      carts: { lines: string }[];
      events: { type: string; data: { cart?: { lines: Line[] } } }[];
    };
    expect(JSON.parse(exported.carts[0]?.lines as string)[0].data).toEqual(SORTED);
    expect(exported.events.find((e) => e.type === "cart")?.data.cart?.lines[0]?.data).toEqual(SORTED);
    expect((await call("DELETE")).status).toBe(200);
    expect(await count(env.DB, "SELECT count(*) AS n FROM carts WHERE lines LIKE '%p-7%'")).toBe(0);
    expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE aid = ?", aid)).toBe(0);
  });

  it("carries the fields through the account cart of a signed-in shopper", async () => {
    const site = await seedSite(env.DB, [ORIGIN]);
    const aid = randomId();
    let t = 0;
    const clock = (): Hlc => [Date.now() + t++, 0, aid];
    const replica: SyncCart = record(emptySync("EUR"), { currency: "EUR", lines: [{ ...line, data: SORTED }] }, clock);
    const token = await signShopperToken({ site: site.key, userId: "user-data", secret: `sk_${site.key}` });
    const res = await exports.default.fetch(`https://collector.test/v1/sync?site=${site.key}`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "text/plain" },
      body: JSON.stringify({ token, aid, cart: replica }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { cart: SyncCart };
    expect(body.cart.lines["tea-m"]?.line).toEqual({ ...line, data: SORTED });
    const bad = { ...replica, lines: { "tea-m": { ...replica.lines["tea-m"], line: { ...line, data: { size: { eu: 42 } } } } } };
    const refused = await exports.default.fetch(`https://collector.test/v1/sync?site=${site.key}`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "text/plain" },
      body: JSON.stringify({ token, aid, cart: bad }),
    });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(await refused.json())).toContain("cart.lines.tea-m.line.data.size");
  });
});
