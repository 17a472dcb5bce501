import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type SyncCart, ZERO } from "../../protocol/merge";
import type { CartbackEvent } from "../../protocol/types";
import { signShopperToken } from "../../server/token";
import { personKeys } from "../db/privacy";
import { PHONE_KEY } from "../recovery/person";
import { shopperStub } from "../recovery/shopper";
import { accountStub } from "../sync/account";
import { batchOf, count, eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";
import { abandon, deliver } from "../test/recovery";
import { daytimeZone, randomPhone } from "../test/sms";

const settings = { abandonAfterMinutes: 1, holdoutPercent: 0 };
const claimed = (site: number, email: string) =>
  eventually(async () => {
    const rows = (await env.DB.prepare("SELECT id FROM messages WHERE site_id = ? AND email = ?").bind(site, email).all<{ id: string }>())
      .results;
    expect(rows.length).toBeGreaterThan(0);
    return rows;
  }, 15_000);

const call = (path: string, key: string, method = "GET") =>
  exports.default.fetch(`https://collector.test${path}`, { method, headers: { authorization: `Bearer sk_${key}` } });

describe("export and erase one shopper", () => {
  it("exports everything about a shopper, then erases it all (but keeps the opt-out), and a queued message is never sent", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "forget.me@example.com";
    const aid = await abandon(site.key, email);
    const [message] = await claimed(site.id, email);
    await env.DB.prepare("INSERT INTO suppressions (site_id, email, created_at, source) VALUES (?, ?, 0, 'link')")
      .bind(site.id, email)
      .run();

    const exported = (await (await call(`/v1/sites/${site.key}/shoppers?email=Forget.Me@example.com`, site.key)).json()) as Record<
      string,
      unknown[]
    >;
    expect(exported.shoppers).toHaveLength(1);
    expect(exported.carts).toHaveLength(1);
    expect(exported.events?.length).toBeGreaterThanOrEqual(2);
    expect(exported.sequences).toHaveLength(1);
    expect(exported.messages).toHaveLength(1);
    expect(exported.suppressed).toHaveLength(1);

    const erased = await call(`/v1/sites/${site.key}/shoppers?email=${email}`, site.key, "DELETE");
    expect(erased.status).toBe(200);
    expect(await erased.json()).toMatchObject({
      erased: { browsers: 1, emails: 1, shoppers: 1, carts: 1, sequences: 1, messages: 1 },
      suppressionKept: true,
    });
    for (const [table, column, value] of [
      ["events", "aid", aid],
      ["carts", "aid", aid],
      ["shoppers", "aid", aid],
      ["sequences", "email", email],
      ["messages", "email", email],
      ["links", "email", email],
    ]) {
      expect(await count(env.DB, `SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`, value), table).toBe(0);
    }
    expect(await count(env.DB, "SELECT count(*) AS n FROM suppressions WHERE email = ?", email)).toBe(1);
    const state = await runInDurableObject(shopperStub(env, site.id, email), (_obj, s) => s.storage.get("person"));
    expect(state).toBeUndefined();
    // The job still on the mail queue finds nothing to send.
    await deliver([{ kind: "recovery", id: message?.id as string, site: site.id, email }]);
    expect(await count(env.DB, `SELECT count(*) AS n FROM dev_outbox WHERE "to" = ?`, email)).toBe(0);
  });

  it("finds a shopper by the shop's user id, and refuses a request without one", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    await env.DB.prepare(
      "INSERT INTO shoppers (site_id, aid, email, user_id, first_seen, last_seen) VALUES (?, 'u-aid', 'u@example.com', 'user-42', 0, 0)",
    )
      .bind(site.id)
      .run();
    const exported = (await (await call(`/v1/sites/${site.key}/shoppers?userId=user-42`, site.key)).json()) as {
      shoppers: { email: string }[];
    };
    expect(exported.shoppers.map((s) => s.email)).toEqual(["u@example.com"]);
    expect((await call(`/v1/sites/${site.key}/shoppers`, site.key)).status).toBe(400);
    const other = await seedSite(env.DB, ["https://other.example"]);
    expect((await call(`/v1/sites/${site.key}/shoppers?userId=user-42`, other.key)).status).toBe(403);
  });
});

describe("one form of an address", () => {
  it("finds a shopper who typed Omar.Said@Example.com by any casing, and erases every row and their object", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const typed = "Omar.Said@Example.com";
    const aid = await abandon(site.key, typed);
    const message = await eventually(async () => {
      const row = await env.DB.prepare("SELECT id, email FROM messages WHERE site_id = ?")
        .bind(site.id)
        .first<{ id: string; email: string }>();
      expect(row).not.toBeNull();
      return row as { id: string; email: string };
    }, 15_000);
    // The message goes out: a restore and an unsubscribe link, and a copy in the dev outbox.
    await deliver([{ kind: "recovery", id: message.id, site: site.id, email: message.email }]);
    expect(await count(env.DB, "SELECT count(*) AS n FROM links WHERE site_id = ?", site.id)).toBeGreaterThan(0);

    for (const asked of ["omar.said@example.com", "OMAR.SAID@EXAMPLE.COM", " Omar.Said@Example.com "]) {
      const exported = (await (await call(`/v1/sites/${site.key}/shoppers?email=${encodeURIComponent(asked)}`, site.key)).json()) as Record<
        string,
        { email?: string }[]
      >;
      expect(exported.shoppers, asked).toHaveLength(1);
      expect(exported.shoppers?.[0]?.email).toBe("omar.said@example.com");
      expect(exported.carts, asked).toHaveLength(1);
      expect(exported.events?.length, asked).toBeGreaterThanOrEqual(2);
      expect(exported.sequences, asked).toHaveLength(1);
      expect(exported.messages, asked).toHaveLength(1);
    }

    const erased = await call(`/v1/sites/${site.key}/shoppers?email=OMAR.SAID@EXAMPLE.COM`, site.key, "DELETE");
    expect(erased.status).toBe(200);
    expect(await erased.json()).toMatchObject({ erased: { browsers: 1, emails: 1, shoppers: 1, carts: 1, sequences: 1, messages: 1 } });
    for (const table of ["events", "carts", "shoppers"]) {
      expect(await count(env.DB, `SELECT count(*) AS n FROM ${table} WHERE site_id = ? AND aid = ?`, site.id, aid), table).toBe(0);
    }
    for (const table of ["sequences", "messages", "links"]) {
      expect(await count(env.DB, `SELECT count(*) AS n FROM ${table} WHERE site_id = ?`, site.id), table).toBe(0);
    }
    expect(await count(env.DB, `SELECT count(*) AS n FROM dev_outbox WHERE site_id = ?`, site.id)).toBe(0);
    for (const email of [typed, "omar.said@example.com"]) {
      const state = await runInDurableObject(shopperStub(env, site.id, email), (_obj, s) => s.storage.get("person"));
      expect(state).toBeUndefined();
    }
  });

  it("also finds rows stored in another casing before addresses had one form", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const db = env.DB;
    await db.batch([
      db
        .prepare("INSERT INTO shoppers (site_id, aid, email, first_seen, last_seen) VALUES (?, 'old-aid-1', 'Lea.Roux@Example.com', 0, 0)")
        .bind(site.id),
      db
        .prepare("INSERT INTO shoppers (site_id, aid, email, first_seen, last_seen) VALUES (?, 'old-aid-2', 'LEA.ROUX@example.COM', 0, 0)")
        .bind(site.id),
      db
        .prepare(
          `INSERT INTO sequences (id, site_id, email, aid, abandoned_at, started_at, value, currency, reason, status)
           VALUES ('old-seq', ?, 'Lea.Roux@EXAMPLE.com', 'old-aid-1', 0, 0, 100, 'EUR', 'reminder', 'completed')`,
        )
        .bind(site.id),
      db
        .prepare(
          `INSERT INTO messages (id, sequence_id, site_id, email, step, kind, status, due_at, queued_at)
           VALUES ('old-seq-0', 'old-seq', ?, 'lea.roux@Example.com', 0, 'recovery', 'sent', 0, 0)`,
        )
        .bind(site.id),
      db
        .prepare("INSERT INTO links (token_hash, kind, site_id, email, expires_at) VALUES (?, 'unsubscribe', ?, 'Lea.Roux@Example.com', 0)")
        .bind(randomId(), site.id),
      db
        .prepare("INSERT INTO suppressions (site_id, email, created_at, source) VALUES (?, 'LEA.ROUX@EXAMPLE.COM', 0, 'link')")
        .bind(site.id),
    ]);

    const exported = (await (await call(`/v1/sites/${site.key}/shoppers?email=lea.roux@example.com`, site.key)).json()) as Record<
      string,
      unknown[]
    >;
    expect(exported.shoppers).toHaveLength(2);
    expect(exported.sequences).toHaveLength(1);
    expect(exported.messages).toHaveLength(1);
    expect(exported.suppressed).toHaveLength(1);

    const erased = await call(`/v1/sites/${site.key}/shoppers?email=lea.roux@example.com`, site.key, "DELETE");
    expect(await erased.json()).toMatchObject({ erased: { browsers: 2, emails: 1, shoppers: 2, sequences: 1, messages: 1 } });
    for (const table of ["shoppers", "sequences", "messages", "links"]) {
      expect(await count(env.DB, `SELECT count(*) AS n FROM ${table} WHERE site_id = ?`, site.id), table).toBe(0);
    }
    expect(await count(env.DB, "SELECT count(*) AS n FROM suppressions WHERE site_id = ?", site.id)).toBe(1);
  });
});

describe("a shopper known by their number", () => {
  const texting = { abandonAfterMinutes: 1, holdoutPercent: 0, quietHours: null, steps: [{ afterMinutes: 0, channel: "sms" as const }] };
  const tea = [{ id: "tea", name: "Green tea", price: 1250, quantity: 2 }];
  const gave = async (key: string, aid: string, who: Record<string, unknown>, minutesAgo = 10) => {
    const at = Date.now() - minutesAgo * 60_000;
    const events: CartbackEvent[] = [
      { id: randomId(), at: at - 10, type: "cart", action: "set", cart: { currency: "EUR", lines: tea } },
      { id: randomId(), at, type: "identify", name: "Ana", ...who } as CartbackEvent,
    ];
    expect((await postEvents(key, { aid, sentAt: Date.now(), events, timeZone: daytimeZone() })).status).toBe(202);
  };
  /** The phone-only device's text, claimed and delivered to the local SMS outbox. */
  const textSent = async (site: { id: number; key: string }, phone: string) => {
    const [text] = await eventually(async () => {
      const rows = (
        await env.DB.prepare("SELECT id FROM messages WHERE site_id = ? AND email = ?")
          .bind(site.id, `${PHONE_KEY}${phone}`)
          .all<{ id: string }>()
      ).results;
      expect(rows.length).toBeGreaterThan(0);
      return rows;
    }, 15_000);
    await deliver([{ kind: "sms", id: text?.id as string, site: site.id, email: `${PHONE_KEY}${phone}` }]);
    expect(await count(env.DB, `SELECT count(*) AS n FROM dev_sms_outbox WHERE "to" = ?`, phone)).toBe(1);
  };

  it("is exported and erased by the number (a '+' unencoded in the query too); their STOP is kept", async () => {
    const site = await seedSite(env.DB, [ORIGIN], texting);
    const phone = randomPhone();
    const aid = randomId();
    await gave(site.key, aid, { phone, smsConsent: true });
    await textSent(site, phone);
    await env.DB.prepare("INSERT INTO sms_suppressions (site_id, phone, at, why) VALUES (?, ?, 0, 'stop')").bind(site.id, phone).run();

    const exported = (await (await call(`/v1/sites/${site.key}/shoppers?phone=${phone}`, site.key)).json()) as Record<string, unknown[]>;
    expect(exported.shoppers).toHaveLength(1);
    expect(exported.smsConsents).toEqual([expect.objectContaining({ aid, phone })]);
    expect(exported.messages).toEqual([expect.objectContaining({ channel: "sms", status: "sent" })]);
    expect(exported.sequences).toHaveLength(1);
    expect(exported.smsSuppressed).toEqual([expect.objectContaining({ phone, why: "stop" })]);

    const erased = await call(`/v1/sites/${site.key}/shoppers?phone=${encodeURIComponent(phone)}`, site.key, "DELETE");
    expect(await erased.json()).toMatchObject({ erased: { browsers: 1, phones: 1, emails: 0, messages: 1, sequences: 1 } });
    for (const [sql, value] of [
      ["SELECT count(*) AS n FROM shoppers WHERE aid = ?", aid],
      ["SELECT count(*) AS n FROM events WHERE aid = ?", aid],
      ["SELECT count(*) AS n FROM sms_consents WHERE phone = ?", phone],
      ["SELECT count(*) AS n FROM messages WHERE email = ?", `${PHONE_KEY}${phone}`],
      ["SELECT count(*) AS n FROM links WHERE email = ?", `${PHONE_KEY}${phone}`],
      [`SELECT count(*) AS n FROM dev_sms_outbox WHERE "to" = ?`, phone],
    ] as const) {
      expect(await count(env.DB, sql, value), sql).toBe(0);
    }
    expect(await count(env.DB, "SELECT count(*) AS n FROM sms_suppressions WHERE phone = ?", phone)).toBe(1);
    const state = await runInDurableObject(shopperStub(env, site.id, `${PHONE_KEY}${phone}`), (_obj, st) => st.storage.get("person"));
    expect(state).toBeUndefined();
    // A number that is not E.164 is refused, naming the field.
    const bad = await call(`/v1/sites/${site.key}/shoppers?phone=600111222`, site.key);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("phone");
  });

  it("erasing by email takes the number those browsers gave: its texts, its person, and the device that gave only it", async () => {
    const site = await seedSite(env.DB, [ORIGIN], texting);
    const [phone, email] = [randomPhone(), `two.ways.${randomId().slice(0, 6)}@example.com`];
    const [phoneOnly, laptop] = [randomId(), randomId()];
    await gave(site.key, phoneOnly, { phone, smsConsent: true });
    await textSent(site, phone);
    await gave(site.key, laptop, { email, phone, smsConsent: true }, 0);
    const erased = await call(`/v1/sites/${site.key}/shoppers?email=${email}`, site.key, "DELETE");
    expect(await erased.json()).toMatchObject({ erased: { browsers: 2, phones: 1, emails: 1 } });
    for (const aid of [phoneOnly, laptop]) expect(await count(env.DB, "SELECT count(*) AS n FROM shoppers WHERE aid = ?", aid)).toBe(0);
    expect(await count(env.DB, "SELECT count(*) AS n FROM messages WHERE email = ?", `${PHONE_KEY}${phone}`)).toBe(0);
    expect(await count(env.DB, `SELECT count(*) AS n FROM dev_sms_outbox WHERE "to" = ?`, phone)).toBe(0);
    for (const key of [email, `${PHONE_KEY}${phone}`]) {
      expect(await runInDurableObject(shopperStub(env, site.id, key), (_obj, st) => st.storage.get("person"))).toBeUndefined();
    }
    // The keys are the ones the person objects go by.
    expect(personKeys({ aids: [], emails: [email], phones: [phone], userIds: [] })).toEqual([email, `${PHONE_KEY}${phone}`]);
  });
});

describe("a signed-in shopper's account", () => {
  it("is exported with its cart and devices, and erased with them, by the shop's user id", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const aid = randomId();
    const now = Date.now();
    const cart: SyncCart = {
      currency: "EUR",
      currencyAt: ZERO,
      lines: { tea: { line: { id: "tea", name: "Green tea", price: 1250, quantity: 2 }, at: [now, 0, aid], pos: [now, 0, aid] } },
    };
    const token = await signShopperToken({ site: site.key, userId: "user-77", secret: `sk_${site.key}`, expiresInSeconds: 600 });
    const synced = await exports.default.fetch(`https://collector.test/v1/sync?site=${site.key}`, {
      method: "POST",
      headers: { origin: ORIGIN },
      body: JSON.stringify({ token, aid, cart }),
    });
    expect(synced.status).toBe(200);
    await postEvents(
      site.key,
      batchOf([{ id: randomId(), at: now, type: "purchase", orderId: "o-77", total: 2500, currency: "EUR" }], aid),
    );
    await postEvents(site.key, batchOf([{ id: randomId(), at: now + 1, type: "identify", userId: "user-77" }], aid));
    await eventually(async () => expect(await count(env.DB, "SELECT count(*) AS n FROM shoppers WHERE user_id = 'user-77'")).toBe(1));

    const exported = (await (await call(`/v1/sites/${site.key}/shoppers?userId=user-77`, site.key)).json()) as {
      accounts: { userId: string; cart: { lines: { id: string }[] }; devices: { aid: string }[] }[];
      orders: { order_id: string }[];
    };
    expect(exported.accounts).toMatchObject([{ userId: "user-77", cart: { lines: [{ id: "tea", quantity: 2 }] }, devices: [{ aid }] }]);
    expect(exported.orders.map((o) => o.order_id)).toEqual(["o-77"]);

    const erased = await call(`/v1/sites/${site.key}/shoppers?userId=user-77`, site.key, "DELETE");
    expect(await erased.json()).toMatchObject({ erased: { browsers: 1, accounts: 1 } });
    const state = await runInDurableObject(accountStub(env, site.id, "user-77"), (_obj, s) => s.storage.get("state"));
    expect(state).toBeUndefined();
    // The shop's order stays, no longer tied to the shopper's browser.
    expect(await env.DB.prepare("SELECT aid FROM orders WHERE order_id = 'o-77'").first("aid")).toBeNull();
  });
});

describe("the site's daily email cap", () => {
  it("mails at most maxEmailsPerDay addresses a day for a site, whatever the requests say", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { ...settings, maxEmailsPerDay: 2 });
    const emails = ["cap1@example.com", "cap2@example.com", "cap3@example.com", "cap4@example.com"];
    for (const [i, email] of emails.entries()) {
      await abandon(site.key, email, { minutesAgo: 10 - i });
      await eventually(async () =>
        expect(await count(env.DB, "SELECT count(*) AS n FROM shoppers WHERE site_id = ? AND email = ?", site.id, email)).toBe(1),
      );
    }
    await new Promise((r) => setTimeout(r, 2500));
    expect(await count(env.DB, "SELECT count(*) AS n FROM messages WHERE site_id = ?", site.id)).toBe(2);
  });
});
