// The person, not the browser: each point of the issue that found these bugs, through the public
// API, in workerd with real D1, Durable Objects, alarms and queues. Each test failed on the main
// of the first round.
import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { emptySync, record } from "../../protocol/merge";
import type { CartbackEvent } from "../../protocol/types";
import type { MailJob } from "../mail/job";
import { accountStub } from "../sync/account";
import { count, eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";
import { deliver, MINUTE, messagesOf as messagesByStep } from "../test/recovery";
import { shopperStub } from "./shopper";
import { wakeForgottenShoppers } from "./sweep";

const settings = { abandonAfterMinutes: 1, holdoutPercent: 0, maxSequencesPerDay: 2 };
const SECOND = 1000;
const tea = [{ id: "tea", name: "Green tea", price: 1250, quantity: 2 }];

const cart = (at: number, lines = tea): CartbackEvent => ({
  id: randomId(),
  at,
  type: "cart",
  action: "set",
  cart: { currency: "EUR", lines },
});
const identify = (at: number, who: { email?: string; userId?: string; name?: string }): CartbackEvent => ({
  id: randomId(),
  at,
  type: "identify",
  ...who,
});
const declined = (at: number): CartbackEvent => ({ id: randomId(), at, type: "moment", kind: "payment_failed", code: "card_declined" });
const checkout = (at: number): CartbackEvent => ({ id: randomId(), at, type: "checkout" });
const purchase = (at: number, orderId: string): CartbackEvent => ({
  id: randomId(),
  at,
  type: "purchase",
  orderId,
  total: 2500,
  currency: "EUR",
});

async function send(key: string, aid: string, events: CartbackEvent[]): Promise<void> {
  const res = await postEvents(key, { aid, sentAt: Date.now(), events });
  expect(res.status).toBe(202);
}

const messagesOf = (email: string) => messagesByStep(email).then((r) => r.results);

const sequencesOf = (email: string) =>
  env.DB.prepare("SELECT id, status, stop_reason, reason, recovered_order_id FROM sequences WHERE email = ? ORDER BY started_at")
    .bind(email)
    .all<{ id: string; status: string; stop_reason: string | null; reason: string; recovered_order_id: string | null }>()
    .then((r) => r.results);

const claimed = (email: string, n = 1) =>
  eventually(async () => {
    const rows = await messagesOf(email);
    expect(rows.length).toBeGreaterThanOrEqual(n);
    return rows;
  }, 15_000);

const job = (site: number, email: string, id: string): MailJob => ({ kind: "recovery", id, site, email });
const alarmOf = (site: number, email: string) =>
  runInDurableObject(shopperStub(env, site, email), (_obj, state) => state.storage.getAlarm());

describe("a purchase on any device stops every device's reminder", () => {
  it("laptop declines and leaves; the phone buys as a guest 15 s later: no sequence, no email, nothing scheduled", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "two.devices@example.com";
    const left = Date.now() - 45 * SECOND; // the threshold passes in 15 s
    const laptop = randomId();
    await send(site.key, laptop, [cart(left - 5000), identify(left - 4000, { email, name: "Ana" }), checkout(left - 3000), declined(left)]);
    const phone = randomId();
    await send(site.key, phone, [cart(Date.now() - 2000), identify(Date.now() - 1000, { email }), purchase(Date.now(), "phone-1")]);
    // Past the laptop's threshold, and a threshold past the purchase would be too late to matter:
    // the object must have nothing left to wake up for.
    await new Promise((r) => setTimeout(r, 16 * SECOND));
    expect(await sequencesOf(email)).toEqual([]);
    expect(await messagesOf(email)).toEqual([]);
    expect(await alarmOf(site.id, email)).toBeNull();
  }, 40_000);

  it("signed in on both (the phone only says who the account is): the phone's order ends the laptop's sequence", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "signed.in@example.com";
    const laptop = randomId();
    const left = Date.now() - 10 * MINUTE;
    await send(site.key, laptop, [cart(left - 2000), identify(left - 1000, { email, userId: "u-1" }), declined(left)]);
    const [message] = await claimed(email);
    // The laptop's cart is the account's cart (its sync ran).
    const account = accountStub(env, site.id, "u-1");
    await account.sync({
      aid: laptop,
      cart: record(emptySync("EUR"), { currency: "EUR", lines: tea }, () => [left, 0, laptop]),
      maxDevices: 5,
      ttlDays: 7,
    });
    const phone = randomId();
    // The phone's shop identifies the account, not the email; its order follows in the same batch.
    await send(site.key, phone, [identify(Date.now() - 500, { userId: "u-1" }), purchase(Date.now(), "phone-2")]);
    await deliver([job(site.id, email, message?.id as string)]);
    expect((await messagesOf(email))[0]).toMatchObject({ status: "cancelled", cancel_reason: "purchased" });
    expect((await sequencesOf(email))[0]).toMatchObject({ status: "stopped", stop_reason: "purchased" });
    expect(await alarmOf(site.id, email)).toBeNull();
    // What the account held was bought: no device pulls it back in.
    expect((await account.export())?.cart.lines).toEqual([]);
  });

  it("signed in, the phone's identify and its order in two batches, the send right after the order's 202: cancelled", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "two.batches@example.com";
    const left = Date.now() - 10 * MINUTE;
    await send(site.key, randomId(), [cart(left - 2000), identify(left - 1000, { email, userId: "u-2" }), declined(left)]);
    const [message] = await claimed(email);
    const phone = randomId();
    // The script's send timer fired between the two calls: the account's identify went alone. It
    // ties the phone to the person at once, as an email would, not after the ingest queue.
    await send(site.key, phone, [cart(Date.now() - 1000), identify(Date.now() - 500, { userId: "u-2" })]);
    await send(site.key, phone, [purchase(Date.now(), "phone-5")]);
    await deliver([job(site.id, email, message?.id as string)]);
    // Back on the phone (its cart went with the identify), then its order: either stops the laptop's.
    expect((await messagesOf(email))[0]).toMatchObject({ status: "cancelled" });
    expect((await sequencesOf(email))[0]).toMatchObject({ status: "stopped" });
    expect(await count(env.DB, `SELECT count(*) AS n FROM dev_outbox WHERE "to" = ?`, email)).toBe(0);
  });

  it("a purchase the script reports a moment before the send wins: it is stored and told before the 202", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "just.in.time@example.com";
    const left = Date.now() - 10 * MINUTE;
    await send(site.key, randomId(), [cart(left - 1000), identify(left, { email })]);
    const [message] = await claimed(email);
    // The phone's purchase is accepted; the mail consumer runs right after, with no wait for the ingest queue.
    await send(site.key, randomId(), [identify(Date.now() - 1, { email }), purchase(Date.now(), "phone-3")]);
    await deliver([job(site.id, email, message?.id as string)]);
    expect((await messagesOf(email))[0]).toMatchObject({ status: "cancelled", cancel_reason: "purchased" });
    expect(await count(env.DB, `SELECT count(*) AS n FROM dev_outbox WHERE "to" = ?`, email)).toBe(0);
  });

  it("emptying one device's cart does not start a second sequence for another device's unchanged cart", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "emptied.one@example.com";
    const left = Date.now() - 10 * MINUTE;
    const laptop = randomId();
    const phone = randomId();
    await send(site.key, laptop, [cart(left - 3000), identify(left - 2000, { email })]);
    await send(site.key, phone, [cart(left - 1000, [{ id: "mug", name: "Mug", price: 2400, quantity: 1 }]), identify(left, { email })]);
    await claimed(email);
    // Later the laptop's cart is emptied; the phone's cart stays as it was.
    await send(site.key, laptop, [
      { id: randomId(), at: Date.now() - 2 * MINUTE, type: "cart", action: "clear", cart: { currency: "EUR", lines: [] } },
    ]);
    await new Promise((r) => setTimeout(r, 3 * SECOND));
    expect(await sequencesOf(email)).toHaveLength(1);
  });
});

describe("the reason does not depend on batching", () => {
  it("checkout and a declined card, the email typed seconds later in another batch: the payment email", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "typed.later@example.com";
    const aid = randomId();
    const left = Date.now() - 10 * MINUTE;
    await send(site.key, aid, [cart(left - 9000), checkout(left - 8000), declined(left - 7000)]);
    // The first batch is stored before the shopper gets round to the email field.
    await eventually(async () => expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE aid = ?", aid)).toBe(3));
    await send(site.key, aid, [identify(left, { email, name: "Ana" })]);
    const [message] = await claimed(email);
    expect(message?.template).toBe("payment_failed");
    expect((await sequencesOf(email))[0]?.reason).toBe("card_declined");
  });
});

describe("a link opened on another device", () => {
  async function sentStep0(key: string, siteId: number, email: string): Promise<{ token: string; message: string }> {
    const left = Date.now() - 10 * MINUTE;
    await send(key, randomId(), [cart(left - 1000), identify(left, { email })]);
    const [message] = await claimed(email);
    await deliver([job(siteId, email, message?.id as string)]);
    const mail = await env.DB.prepare(`SELECT html FROM dev_outbox WHERE "to" = ?`).bind(email).first<string>("html");
    const link = /href="(http[^"]+\/r\/[\w-]+)"/.exec(mail ?? "")?.[1] as string;
    const click = await exports.default.fetch(`https://collector.test${new URL(link).pathname}`, { method: "POST", redirect: "manual" });
    const token = new URL(click.headers.get("location") as string).searchParams.get("cartback_restore") as string;
    return { token, message: message?.id as string };
  }
  const opened = (key: string, token: string, aid: string) =>
    exports.default.fetch(`https://collector.test/v1/restore?site=${key}`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "text/plain" },
      body: JSON.stringify({ token, aid }),
    });

  it("a scanner that loads the link and the shop page changes nothing: no click, the sequence goes on", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "scanned@example.com";
    const { token } = await sentStep0(site.key, site.id, email);
    // The scanner's browser runs the page: the restore fetches the cart and sets it there.
    const restored = await exports.default.fetch(`https://collector.test/v1/restore?site=${site.key}&token=${token}`, {
      headers: { origin: ORIGIN },
    });
    expect(restored.status).toBe(200);
    await send(site.key, randomId(), [cart(Date.now())]);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await messagesOf(email))[0]?.clicked_at).toBeNull();
    expect((await sequencesOf(email))[0]?.status).toBe("active");
  });

  it("a person opening it on a fresh device: the click counts, the sequence stops as returned, and their order there is credited", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "opened.elsewhere@example.com";
    const { token } = await sentStep0(site.key, site.id, email);
    const tablet = randomId();
    await send(site.key, tablet, [cart(Date.now() - 500)]); // the restore's setCart, from a browser nobody knew
    expect((await opened(site.key, token, tablet)).status).toBe(200);
    expect((await messagesOf(email))[0]?.clicked_at).toBeGreaterThan(0);
    expect((await sequencesOf(email))[0]).toMatchObject({ status: "stopped", stop_reason: "returned" });
    // The tablet is the person's now: its order (no email typed) is theirs, and the message caused it.
    await send(site.key, tablet, [purchase(Date.now(), "tablet-1")]);
    await eventually(async () => expect((await sequencesOf(email))[0]?.recovered_order_id).toBe("tablet-1"));
    const refused = await exports.default.fetch(`https://collector.test/v1/restore?site=${site.key}`, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "text/plain" },
      body: JSON.stringify({ token, aid: randomId() }),
    });
    expect(refused.status).toBe(403);
    expect((await opened(site.key, "x".repeat(43), tablet)).status).toBe(404);
    expect((await opened(site.key, token, "bad id")).status).toBe(422);
  });

  it("a forwarded link makes the opener no one: their later cart is in neither the owner's export nor the owner's person", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "forwarded.owner@example.com";
    const { token } = await sentStep0(site.key, site.id, email);
    // A friend the owner forwarded the email to: the restore replaces their cart, then they click.
    const friend = randomId();
    await send(site.key, friend, [cart(Date.now() - 500)]);
    expect((await opened(site.key, token, friend)).status).toBe(200);
    expect((await messagesOf(email))[0]?.clicked_at).toBeGreaterThan(0);
    // Later, their own shopping, on their own browser.
    const kettle = [{ id: "kettle", name: "Friend's own kettle", price: 6900, quantity: 1 }];
    await send(site.key, friend, [cart(Date.now(), kettle)]);
    await eventually(async () =>
      expect(await count(env.DB, "SELECT count(*) AS n FROM carts WHERE aid = ? AND lines LIKE '%kettle%'", friend)).toBe(1),
    );
    await new Promise((r) => setTimeout(r, 1000)); // room for the batch to reach any person
    const exported = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/shoppers?email=${email}`, {
      headers: { authorization: `Bearer sk_${site.key}` },
    });
    expect(exported.status).toBe(200);
    const text = await exported.text();
    expect(text).toContain(email);
    expect(text).not.toContain(friend);
    expect(text).not.toContain("kettle");
    // The owner's person holds none of the friend's carts: nothing to remind the owner of.
    const person = await runInDurableObject(shopperStub(env, site.id, email), (_o, state) =>
      state.storage.get<{ browsers: Record<string, { points: { value: number }[] }> }>("person"),
    );
    expect(person?.browsers[friend]?.points ?? []).toEqual([]);
  });
});

describe("attribution opens at the send", () => {
  it("an order after the claim but before the send is no recovery; the message is cancelled", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "claimed.only@example.com";
    const left = Date.now() - 10 * MINUTE;
    const aid = randomId();
    await send(site.key, aid, [cart(left - 1000), identify(left, { email })]);
    const [message] = await claimed(email);
    await send(site.key, aid, [purchase(Date.now(), "before-send")]);
    await deliver([job(site.id, email, message?.id as string)]);
    expect((await sequencesOf(email))[0]).toMatchObject({ stop_reason: "purchased", recovered_order_id: null });
    const stats = await exports.default.fetch(`https://collector.test/v1/stats?site=${site.key}`, {
      headers: { authorization: `Bearer sk_${site.key}` },
    });
    expect(((await stats.json()) as { treated: { recovered: number } }).treated.recovered).toBe(0);
  });

  it("an order after the send is credited to that message", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "sent.then.bought@example.com";
    const left = Date.now() - 10 * MINUTE;
    const aid = randomId();
    await send(site.key, aid, [cart(left - 1000), identify(left, { email })]);
    const [message] = await claimed(email);
    await deliver([job(site.id, email, message?.id as string)]);
    expect((await messagesOf(email))[0]?.sent_at).toBeGreaterThan(0);
    await send(site.key, aid, [purchase(Date.now() + 1, "after-send")]);
    await eventually(async () => expect((await sequencesOf(email))[0]?.recovered_order_id).toBe("after-send"));
  });
});

describe("a step claimed but never queued", () => {
  it("the daily sweep queues it again, once per stuck message, and the consumer still asks the person first", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "stuck@example.com";
    const left = Date.now() - 10 * MINUTE;
    await send(site.key, randomId(), [cart(left - 1000), identify(left, { email })]);
    const [message] = await claimed(email);
    // As if the object died after writing the row and before the queue took the job.
    await env.DB.prepare("UPDATE messages SET queued_at = ? WHERE id = ?")
      .bind(Date.now() - 2 * 3_600_000, message?.id)
      .run();
    const queued: MailJob[] = [];
    const spy = { ...env, MAIL: { send: async (j: MailJob) => void queued.push(j) } } as unknown as Env;
    createExecutionContext();
    await wakeForgottenShoppers(spy, Date.now());
    expect(queued).toEqual([job(site.id, email, message?.id as string)]);
    await deliver(queued);
    expect((await messagesOf(email))[0]?.status).toBe("sent");
  });
});
