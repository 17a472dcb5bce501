// SMS in the recovery sequence (issue 15), through the public API in workerd: real D1, the
// person's Durable Object and its alarm, the mail queue's consumer and the local SMS outbox.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CartbackEvent } from "../../protocol/types";
import { addCodes } from "../db/codes";
import { suppressPhone } from "../db/suppressions";
import type { MailJob } from "../mail/job";
import { shopperStub } from "../recovery/shopper";
import { siteById } from "../sites/sites";
import { count, eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";
import { deliver, MINUTE } from "../test/recovery";
import { daytimeZone, nightZone, randomPhone } from "../test/sms";
import { deliverText } from "./deliver";
import type { Sms } from "./provider";

const base = { abandonAfterMinutes: 1, holdoutPercent: 0, shopName: "Tea & Kettle", quietHours: null };
const tea = [{ id: "tea", name: "Green tea", price: 1250, quantity: 2 }];
const phoneOf = randomPhone;

const cart = (at: number): CartbackEvent => ({ id: randomId(), at, type: "cart", action: "set", cart: { currency: "EUR", lines: tea } });
const identify = (
  at: number,
  who: { email?: string; name?: string; phone?: string; smsConsent?: boolean; locale?: string },
): CartbackEvent => ({
  id: randomId(),
  at,
  type: "identify",
  name: "Ana",
  ...who,
});

async function send(key: string, aid: string, events: CartbackEvent[]): Promise<void> {
  const res = await postEvents(key, { aid, sentAt: Date.now(), events });
  expect(res.status).toBe(202);
}

const messagesOf = (key: string) =>
  env.DB.prepare(
    "SELECT id, status, step, channel, phone, cancel_reason, sequence_id, site_id, email FROM messages WHERE email = ? ORDER BY step",
  )
    .bind(key)
    .all<{
      id: string;
      status: string;
      step: number;
      channel: string;
      phone: string | null;
      cancel_reason: string | null;
      sequence_id: string;
      site_id: number;
      email: string;
    }>()
    .then((r) => r.results);

const claimed = (key: string, n = 1) =>
  eventually(async () => {
    const rows = await messagesOf(key);
    expect(rows.length).toBeGreaterThanOrEqual(n);
    return rows;
  }, 15_000);

const textsTo = (phone: string) =>
  env.DB.prepare(`SELECT id, body FROM dev_sms_outbox WHERE "to" = ? ORDER BY created_at`)
    .bind(phone)
    .all<{ id: string; body: string }>()
    .then((r) => r.results);

const jobOf = (m: { id: string; site_id: number; email: string; channel: string }): MailJob => ({
  kind: m.channel === "sms" ? "sms" : "recovery",
  id: m.id,
  site: m.site_id,
  email: m.email,
});

const patchSettings = (key: string, body: unknown) =>
  exports.default.fetch(`https://collector.test/v1/sites/${key}/settings`, {
    method: "PATCH",
    headers: { authorization: `Bearer sk_${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("consent", () => {
  it("is stored with when, where and by which event; a withdrawal suppresses the number, in either order of arrival", async () => {
    const site = await seedSite(env.DB, [ORIGIN], base);
    const [phone, other] = [phoneOf(), phoneOf()];
    const aid = randomId();
    const at = Date.now() - 5000;
    const yes = identify(at, { phone, smsConsent: true });
    await send(site.key, aid, [cart(at - 10), yes]);
    const row = await eventually(async () => {
      const got = await env.DB.prepare("SELECT phone, given_at, origin, event_id FROM sms_consents WHERE site_id = ? AND aid = ?")
        .bind(site.id, aid)
        .first();
      expect(got).not.toBeNull();
      return got;
    });
    expect(row).toMatchObject({ phone, origin: ORIGIN, event_id: yes.id });
    expect(Math.abs((row?.given_at as number) - at)).toBeLessThan(2000);
    expect(await count(env.DB, "SELECT count(*) AS n FROM sms_suppressions WHERE phone = ?", phone)).toBe(0);

    await send(site.key, aid, [identify(at + 1000, { smsConsent: false })]);
    await eventually(async () =>
      expect(
        await env.DB.prepare("SELECT why FROM sms_suppressions WHERE site_id = ? AND phone = ?").bind(site.id, phone).first("why"),
      ).toBe("withdrawn"),
    );
    // Out of order: the withdrawal is stored before the older consent it withdraws.
    const late = randomId();
    await send(site.key, late, [cart(at), identify(at + 1000, { smsConsent: false })]);
    await eventually(async () =>
      expect(await count(env.DB, "SELECT count(*) AS n FROM shoppers WHERE aid = ? AND sms_withdrawn_at > 0", late)).toBe(1),
    );
    await send(site.key, late, [identify(at, { phone: other, smsConsent: true })]);
    await eventually(async () =>
      expect(await count(env.DB, "SELECT count(*) AS n FROM sms_suppressions WHERE phone = ? AND why = 'withdrawn'", other)).toBe(1),
    );
    // A phone without a yes is refused whole, naming the field.
    const refused = await postEvents(site.key, { aid: randomId(), sentAt: Date.now(), events: [identify(at, { phone })] });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(await refused.json())).toContain("smsConsent");
  });
});

describe("consent and privacy", () => {
  it("an export shows the consent (when, where), an erasure removes it, and the number's suppression outlives it", async () => {
    const site = await seedSite(env.DB, [ORIGIN], base);
    const phone = phoneOf();
    const email = `priv.${randomId().slice(0, 6)}@example.com`;
    const aid = randomId();
    await send(site.key, aid, [cart(Date.now() - 10), identify(Date.now() - 5, { email, phone, smsConsent: true })]);
    await suppressPhone(env.DB, site.id, phone, "stop", Date.now());
    const call = (method: string) =>
      exports.default.fetch(`https://collector.test/v1/sites/${site.key}/shoppers?email=${encodeURIComponent(email)}`, {
        method,
        headers: { authorization: `Bearer sk_${site.key}` },
      });
    const exported = (await (await call("GET")).json()) as { smsConsents: { phone: string; origin: string }[] };
    expect(exported.smsConsents).toMatchObject([{ phone, origin: ORIGIN }]);
    expect((await call("DELETE")).status).toBe(200);
    expect(await count(env.DB, "SELECT count(*) AS n FROM sms_consents WHERE site_id = ? AND aid = ?", site.id, aid)).toBe(0);
    expect(await count(env.DB, "SELECT count(*) AS n FROM sms_suppressions WHERE site_id = ? AND phone = ?", site.id, phone)).toBe(1);
  });
});

describe("the channel setting", () => {
  it("takes email, sms and sms_if_no_email per step, defaults to email, and refuses anything else with a 422 naming it", async () => {
    const site = await seedSite(env.DB, [ORIGIN], base);
    const bad = await patchSettings(site.key, { steps: [{ afterMinutes: 0, channel: "fax" }] });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toContain("must be one of email, sms, sms_if_no_email");
    const good = await patchSettings(site.key, { steps: [{ afterMinutes: 0 }, { afterMinutes: 60, channel: "sms_if_no_email" }] });
    expect(good.status).toBe(200);
    const stored = await siteById(env.DB, site.id);
    expect(stored?.settings.steps.map((s) => s.channel)).toEqual(["email", "sms_if_no_email"]);
  });
});

describe("a sequence across both channels", () => {
  it("a shopper who gave only a consented phone gets a text in their language, with the link and the opt-out words", async () => {
    const settings = { ...base, timeZone: daytimeZone(), steps: [{ afterMinutes: 0, channel: "sms_if_no_email" }] };
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const phone = phoneOf();
    const aid = randomId();
    const left = Date.now() - 5 * MINUTE;
    await send(site.key, aid, [cart(left - 10), identify(left, { phone, smsConsent: true, locale: "es" })]);
    const [m] = await claimed(`tel:${phone}`);
    expect(m).toMatchObject({ channel: "sms", phone, step: 0, status: "queued" });
    await deliver([jobOf(m as NonNullable<typeof m>)]);
    await deliver([jobOf(m as NonNullable<typeof m>)]); // a redelivery sends nothing more
    const texts = await textsTo(phone);
    expect(texts).toHaveLength(1);
    expect(texts[0]?.body).toMatch(/^Tea & Kettle: .+ http:\/\/127\.0\.0\.1:8787\/r\/[\w-]{22} .*STOP/);
    expect((await messagesOf(`tel:${phone}`))[0]).toMatchObject({ status: "sent" });
    // The link works like an email's: the restore page answers for it.
    const token = /\/r\/([\w-]+)/.exec(texts[0]?.body ?? "")?.[1];
    const page = await exports.default.fetch(`https://collector.test/r/${token}`);
    expect(page.status).toBe(200);
  });

  it("one person with email and phone: one sequence, the email step by email and the text step by text, both stopped by a purchase", async () => {
    const settings = {
      ...base,
      timeZone: daytimeZone(),
      steps: [
        { afterMinutes: 0, channel: "email" },
        { afterMinutes: 0, channel: "sms" },
        { afterMinutes: 60, channel: "sms" },
      ],
    };
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = `both.${randomId().slice(0, 6)}@example.com`;
    const phone = phoneOf();
    const aid = randomId();
    const left = Date.now() - 5 * MINUTE;
    await send(site.key, aid, [cart(left - 10), identify(left, { email, phone, smsConsent: true })]);
    const rows = await claimed(email, 2);
    expect(rows.map((r) => r.channel)).toEqual(["email", "sms"]);
    expect(new Set(rows.map((r) => r.sequence_id)).size).toBe(1);
    await deliver(rows.map(jobOf));
    expect(await count(env.DB, `SELECT count(*) AS n FROM dev_outbox WHERE "to" = ?`, email)).toBe(1);
    expect(await textsTo(phone)).toHaveLength(1);
    // The shopper buys on another device (the shop's server reports it): the text step to come is stopped too.
    const order = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/orders`, {
      method: "POST",
      headers: { authorization: `Bearer sk_${site.key}`, "content-type": "application/json" },
      body: JSON.stringify({ orderId: `o-${randomId()}`, email, total: 2500, currency: "EUR" }),
    });
    expect(order.status).toBe(201);
    await eventually(async () =>
      expect(await env.DB.prepare("SELECT stop_reason FROM sequences WHERE email = ?").bind(email).first("stop_reason")).toBe("purchased"),
    );
    const alarm = await runInDurableObject(shopperStub(env, site.id, email), (_obj, state) => state.storage.getAlarm());
    expect(alarm).toBeNull();
    expect(await messagesOf(email)).toHaveLength(2);
    expect(await count(env.DB, "SELECT count(*) AS n FROM sequences WHERE email = ?", email)).toBe(1);
    // The sequence is credited: a message really went out before the order.
    expect(
      await env.DB.prepare("SELECT recovered_order_id FROM sequences WHERE email = ?").bind(email).first("recovered_order_id"),
    ).toMatch(/^o-/);
  });

  it("a claimed text is cancelled by a purchase before it goes", async () => {
    const settings = { ...base, timeZone: daytimeZone(), steps: [{ afterMinutes: 0, channel: "sms" }] };
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = `bought.${randomId().slice(0, 6)}@example.com`;
    const phone = phoneOf();
    const aid = randomId();
    const left = Date.now() - 5 * MINUTE;
    await send(site.key, aid, [cart(left - 10), identify(left, { email, phone, smsConsent: true })]);
    const [text] = await claimed(email);
    const order = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/orders`, {
      method: "POST",
      headers: { authorization: `Bearer sk_${site.key}`, "content-type": "application/json" },
      body: JSON.stringify({ orderId: `o-${randomId()}`, aid, total: 2500, currency: "EUR" }),
    });
    expect(order.status).toBe(201);
    await deliver([jobOf(text as NonNullable<typeof text>)]);
    expect((await messagesOf(email))[0]).toMatchObject({ channel: "sms", status: "cancelled", cancel_reason: "purchased" });
    expect(await textsTo(phone)).toEqual([]);
  });

  it("a phone-only shopper's order reported by the shop's server (by the browser's id) cancels their claimed text", async () => {
    const settings = { ...base, timeZone: daytimeZone(), steps: [{ afterMinutes: 0, channel: "sms" }] };
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const phone = phoneOf();
    const aid = randomId();
    const left = Date.now() - 5 * MINUTE;
    await send(site.key, aid, [cart(left - 10), identify(left, { phone, smsConsent: true })]);
    const [text] = await claimed(`tel:${phone}`);
    const order = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/orders`, {
      method: "POST",
      headers: { authorization: `Bearer sk_${site.key}`, "content-type": "application/json" },
      body: JSON.stringify({ orderId: `o-${randomId()}`, aid, total: 2500, currency: "EUR" }),
    });
    expect(await order.json()).toMatchObject({ followedUp: true });
    await deliver([jobOf(text as NonNullable<typeof text>)]);
    expect((await messagesOf(`tel:${phone}`))[0]).toMatchObject({ status: "cancelled", cancel_reason: "purchased" });
    expect(await textsTo(phone)).toEqual([]);
  });

  it("a suppressed number gets nothing: its text steps are skipped, a STOP after the claim cancels the text and stops the email too", async () => {
    const settings = {
      ...base,
      timeZone: daytimeZone(),
      steps: [
        { afterMinutes: 0, channel: "sms" },
        { afterMinutes: 0, channel: "email" },
      ],
    };
    const site = await seedSite(env.DB, [ORIGIN], settings);
    // Suppressed before: the text step is passed over, the email step goes.
    const [stopped, later] = [phoneOf(), phoneOf()];
    await suppressPhone(env.DB, site.id, stopped, "stop", Date.now());
    const email = `sup.${randomId().slice(0, 6)}@example.com`;
    const left = Date.now() - 5 * MINUTE;
    await send(site.key, randomId(), [cart(left - 10), identify(left, { email, phone: stopped, smsConsent: true })]);
    await new Promise((r) => setTimeout(r, 1500));
    // A STOP is an unsubscribe: the sequence never started for this person.
    expect(await messagesOf(email)).toEqual([]);
    // Suppressed after the claim: the text is cancelled at the last check, and the email step never comes.
    const second = `sup2.${randomId().slice(0, 6)}@example.com`;
    await send(site.key, randomId(), [cart(left - 10), identify(left, { email: second, phone: later, smsConsent: true })]);
    const [text] = await claimed(second);
    expect(text?.channel).toBe("sms");
    await suppressPhone(env.DB, site.id, later, "stop", Date.now());
    await new Promise((r) => setTimeout(r, 1500));
    // Whatever was claimed (the email step may have been, a moment after the text) goes nowhere.
    await deliver((await messagesOf(second)).map(jobOf));
    const after = await messagesOf(second);
    expect(after[0]).toMatchObject({ channel: "sms", status: "cancelled", cancel_reason: "unsubscribed" });
    for (const m of after) expect(m.status).toBe("cancelled");
    expect(await textsTo(later)).toEqual([]);
    expect(await count(env.DB, `SELECT count(*) AS n FROM dev_outbox WHERE "to" = ?`, second)).toBe(0);
    expect(await env.DB.prepare("SELECT stop_reason FROM sequences WHERE email = ?").bind(second).first("stop_reason")).toBe(
      "unsubscribed",
    );
  });

  it("a phone-only shopper who gives their email later keeps one sequence: the next step goes by email under the same sequence", async () => {
    const settings = {
      ...base,
      timeZone: daytimeZone(),
      steps: [
        { afterMinutes: 0, channel: "sms_if_no_email" },
        { afterMinutes: 60, channel: "sms_if_no_email" },
      ],
    };
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const phone = phoneOf();
    const aid = randomId();
    const left = Date.now() - 5 * MINUTE;
    await send(site.key, aid, [cart(left - 10), identify(left, { phone, smsConsent: true })]);
    const [text] = await claimed(`tel:${phone}`);
    // The same browser's email arrives late (typed before it went quiet, sent after): no return, the same intent.
    const email = `later.${randomId().slice(0, 6)}@example.com`;
    await send(site.key, aid, [identify(left - 1000, { email })]);
    await eventually(async () =>
      expect(await env.DB.prepare("SELECT email FROM sequences WHERE id = ?").bind(text?.sequence_id).first("email")).toBe(email),
    );
    // The text claimed before is sent all the same, answered for by the email's person.
    await deliver([jobOf(text as NonNullable<typeof text>)]);
    expect(await textsTo(phone)).toHaveLength(1);
    const person = await shopperStub(env, site.id, email).confirm(`${text?.sequence_id}-1`, "email");
    expect(person).toMatchObject({ send: true });
    expect(await count(env.DB, "SELECT count(*) AS n FROM sequences WHERE site_id = ?", site.id)).toBe(1);
  });
});

describe("webhooks", () => {
  it("a text's message_sent event carries channel sms and the number (no email for a shopper who gave none)", async () => {
    const settings = {
      ...base,
      timeZone: daytimeZone(),
      steps: [{ afterMinutes: 0, channel: "sms_if_no_email" }],
      webhook: { url: "https://hooks.example/cartback", secret: "whsec_0123456789abcdef" },
    };
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const phone = phoneOf();
    const left = Date.now() - 5 * MINUTE;
    await send(site.key, randomId(), [cart(left - 10), identify(left, { phone, smsConsent: true, locale: "es" })]);
    const [m] = await claimed(`tel:${phone}`);
    const queued: { type: string; data: Record<string, unknown> }[] = [];
    const hooks = { send: async (job: { type: string; data: Record<string, unknown> }) => void queued.push(job) };
    const stored = await siteById(env.DB, site.id);
    const got = await deliverText(
      { ...env, WEBHOOKS: hooks as unknown as Env["WEBHOOKS"] },
      jobOf(m as NonNullable<typeof m>) as MailJob & { kind: "sms" },
      stored as NonNullable<typeof stored>,
      { provider: { send: async () => ({ providerId: "SM1" }) }, codeFor: async () => undefined },
    );
    expect(got).toBe("sent");
    const sent = queued.find((j) => j.type === "message_sent");
    expect(sent?.data).toMatchObject({ channel: "sms", phone, step: 0, messageId: m?.id });
    expect(sent?.data).not.toHaveProperty("email");
  });
});

describe("the shopper on the device that gave only the number", () => {
  it("coming back there stops the laptop's email; paying there stops it too", async () => {
    const settings = {
      ...base,
      timeZone: daytimeZone(),
      steps: [
        { afterMinutes: 0, channel: "email" as const },
        { afterMinutes: 60, channel: "email" as const },
      ],
    };
    for (const then of ["returns", "pays"] as const) {
      const site = await seedSite(env.DB, [ORIGIN], settings);
      const phone = phoneOf();
      const email = `both.${randomId().slice(0, 6)}@example.com`;
      const left = Date.now() - 5 * MINUTE;
      // The laptop: a cart, the email and the number together; it goes quiet and its email is claimed.
      await send(site.key, randomId(), [cart(left - 10), identify(left, { email, phone, smsConsent: true })]);
      const [m] = await claimed(email);
      // The phone: only the number, then a cart change (back) or an order.
      const phoneAid = randomId();
      const now = Date.now();
      await send(site.key, phoneAid, [
        identify(now - 2, { phone, smsConsent: true }),
        cart(now - 1),
        ...(then === "pays"
          ? [{ id: randomId(), at: now, type: "purchase" as const, orderId: `o-${randomId()}`, total: 2500, currency: "EUR" }]
          : []),
      ]);
      await eventually(async () =>
        expect(await shopperStub(env, site.id, email).confirm(m?.id as string, "email")).toMatchObject({ send: false }),
      );
      await deliver([jobOf(m as NonNullable<typeof m>)]);
      expect(await env.DB.prepare("SELECT status FROM messages WHERE id = ?").bind(m?.id).first("status"), then).toBe("cancelled");
    }
  });
});

describe("a text's link opened on another device", () => {
  it("ties that device to the number's person: the click counts, the sequence stops as returned, and its later order is the text's recovery", async () => {
    const steps = [
      { afterMinutes: 0, channel: "sms" },
      { afterMinutes: 600, channel: "sms" },
    ];
    const settings = { ...base, timeZone: daytimeZone(), steps };
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const phone = phoneOf();
    const left = Date.now() - 5 * MINUTE;
    await send(site.key, randomId(), [cart(left - 10), identify(left, { phone, smsConsent: true })]);
    const [m] = await claimed(`tel:${phone}`);
    await deliver([jobOf(m as NonNullable<typeof m>)]);
    const link = /(\/r\/[\w-]+)/.exec((await textsTo(phone))[0]?.body ?? "")?.[1] as string;
    const click = await exports.default.fetch(`https://collector.test${link}`, { method: "POST", redirect: "manual" });
    const token = new URL(click.headers.get("location") as string).searchParams.get("cartback_restore") as string;
    // A laptop nobody knew: the restore sets the cart there, then the shopper moves the mouse.
    const laptop = randomId();
    await send(site.key, laptop, [cart(Date.now() - 500)]);
    const opened = await exports.default.fetch(`https://collector.test/v1/restore?site=${site.key}`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "text/plain" },
      body: JSON.stringify({ token, aid: laptop }),
    });
    expect(opened.status).toBe(200);
    const sequence = () =>
      env.DB.prepare("SELECT status, stop_reason, recovered_order_id FROM sequences WHERE email = ?").bind(`tel:${phone}`).first();
    expect(await sequence()).toMatchObject({ status: "stopped", stop_reason: "returned" });
    // Later, on the laptop, with nothing typed: the order is theirs, and the text caused it.
    await send(site.key, laptop, [{ id: randomId(), at: Date.now(), type: "purchase", orderId: "laptop-1", total: 2500, currency: "EUR" }]);
    await eventually(async () => expect((await sequence())?.recovered_order_id).toBe("laptop-1"));
  });
});

describe("a redelivered text", () => {
  it("sends the words its first delivery wrote, link included, so the provider can find a message that attempt may have created", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { ...base, timeZone: daytimeZone(), steps: [{ afterMinutes: 0, channel: "sms" }] });
    const phone = phoneOf();
    const left = Date.now() - 5 * MINUTE;
    const email = `twice.${randomId().slice(0, 6)}@example.com`;
    await send(site.key, randomId(), [cart(left - 10), identify(left, { email, phone, smsConsent: true })]);
    const [m] = await claimed(email);
    const bodies: string[] = [];
    // The provider takes the text and the answer is lost (a timeout, a crash before the sid is kept).
    const lost = { send: async (sms: Sms) => (bodies.push(sms.body), Promise.reject(new Error("timed out"))) };
    const answered = { send: async (sms: Sms) => (bodies.push(sms.body), { providerId: "SM2" }) };
    const stored = await siteById(env.DB, site.id);
    const job = jobOf(m as NonNullable<typeof m>) as MailJob & { kind: "sms" };
    await expect(
      deliverText(env, job, stored as NonNullable<typeof stored>, { provider: lost, codeFor: async () => undefined }),
    ).rejects.toThrow();
    expect(await deliverText(env, job, stored as NonNullable<typeof stored>, { provider: answered, codeFor: async () => undefined })).toBe(
      "sent",
    );
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[0]).toMatch(/\/r\/[\w-]{22}/);
  });
});

describe("quiet hours for texts", () => {
  it("a text due at night waits for the morning even where email goes at any hour (quietHours null)", async () => {
    const steps = (channel: string) => ({ ...base, quietHours: null, timeZone: nightZone(), steps: [{ afterMinutes: 0, channel }] });
    const texts = await seedSite(env.DB, [ORIGIN], steps("sms"));
    const mails = await seedSite(env.DB, [ORIGIN], steps("email"));
    const phone = phoneOf();
    const email = `night.${randomId().slice(0, 6)}@example.com`;
    const left = Date.now() - 5 * MINUTE;
    await send(texts.key, randomId(), [cart(left - 10), identify(left, { email: `t.${email}`, phone, smsConsent: true })]);
    await send(mails.key, randomId(), [cart(left - 10), identify(left, { email, phone, smsConsent: true })]);
    // The email goes now; the text's step waits for 08:00 on the site's clock, about 7 hours away.
    await claimed(email);
    await eventually(async () => {
      const alarm = await runInDurableObject(shopperStub(env, texts.id, `t.${email}`), (_obj, state) => state.storage.getAlarm());
      expect(alarm).toBeGreaterThan(Date.now() + 6 * 60 * MINUTE);
      expect(alarm).toBeLessThan(Date.now() + 8 * 60 * MINUTE);
    });
    expect(await messagesOf(`t.${email}`)).toEqual([]);
  });

  it("a text job that lands inside the night waits for its end: queued again, nothing sent", async () => {
    const settings = { ...base, timeZone: daytimeZone(), steps: [{ afterMinutes: 0, channel: "sms_if_no_email" }] };
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const phone = phoneOf();
    const left = Date.now() - 5 * MINUTE;
    await send(site.key, randomId(), [cart(left - 10), identify(left, { phone, smsConsent: true })]);
    const [m] = await claimed(`tel:${phone}`);
    // The site's zone turns to night before the job runs (a delayed queue, a retry).
    await patchSettings(site.key, { timeZone: nightZone() });
    const night = await siteById(env.DB, site.id);
    const sent: Sms[] = [];
    const got = await deliverText(env, jobOf(m as NonNullable<typeof m>) as MailJob & { kind: "sms" }, night as NonNullable<typeof night>, {
      provider: { send: async (sms) => (sent.push(sms), { providerId: "x" }) },
      codeFor: async () => undefined,
    });
    expect(got).toBe("waiting");
    expect(sent).toEqual([]);
    expect((await messagesOf(`tel:${phone}`))[0]?.status).toBe("queued");
    // By day it goes.
    await patchSettings(site.key, { timeZone: daytimeZone() });
    const day = await siteById(env.DB, site.id);
    const again = await deliverText(env, jobOf(m as NonNullable<typeof m>) as MailJob & { kind: "sms" }, day as NonNullable<typeof day>, {
      provider: { send: async (sms) => (sent.push(sms), { providerId: "x" }) },
      codeFor: async () => undefined,
    });
    expect(again).toBe("sent");
    expect(sent).toHaveLength(1);
  });
});

describe("codes across channels", () => {
  it("a sequence keeps its one code for the text and the email; a pool-low notice that fails to send is not recorded, and is sent later", async () => {
    const settings = {
      ...base,
      timeZone: daytimeZone(),
      notifyEmail: "owner@codes.example",
      incentive: { code: "STATIC", description: "10% off.", unique: true, lowAt: 5 },
      steps: [
        { afterMinutes: 0, channel: "sms", incentive: true },
        { afterMinutes: 0, channel: "email", incentive: true },
      ],
    };
    const site = await seedSite(env.DB, [ORIGIN], settings);
    await addCodes(env.DB, site.id, ["OWN-A", "OWN-B", "OWN-C"], Date.now(), 5);
    const email = `code.${randomId().slice(0, 6)}@example.com`;
    const phone = phoneOf();
    const left = Date.now() - 5 * MINUTE;
    await send(site.key, randomId(), [cart(left - 10), identify(left, { email, phone, smsConsent: true })]);
    const rows = await claimed(email, 2);
    // The merchant's mailer is broken while the text goes: the notice fails, and is not recorded.
    const { default: worker } = await import("../index");
    const { createMessageBatch } = await import("cloudflare:test");
    const broken = { ...env, MAIL_PROVIDER: "cloudflare" } as Env;
    const batch = createMessageBatch<MailJob>("cartback-mail", [
      { id: "t1", timestamp: new Date(), attempts: 1, body: jobOf(rows[0] as NonNullable<(typeof rows)[0]>) },
    ]);
    await worker.queue(batch, broken);
    const [text] = await textsTo(phone);
    expect(text?.body).toContain("OWN-A");
    expect(await count(env.DB, "SELECT count(*) AS n FROM code_pool_low WHERE site_id = ?", site.id)).toBe(0);
    // The email step: the same code, and now the notice goes and is recorded.
    await deliver([jobOf(rows[1] as NonNullable<(typeof rows)[0]>)]);
    const mail = await env.DB.prepare(`SELECT text FROM dev_outbox WHERE "to" = ?`).bind(email).first<string>("text");
    expect(mail).toContain("OWN-A");
    expect(await count(env.DB, "SELECT count(*) AS n FROM code_pool_low WHERE site_id = ?", site.id)).toBe(1);
    expect(await count(env.DB, `SELECT count(*) AS n FROM dev_outbox WHERE "to" = 'owner@codes.example'`)).toBe(1);
    expect(await count(env.DB, "SELECT count(*) AS n FROM codes WHERE site_id = ? AND sequence_id IS NOT NULL", site.id)).toBe(1);
  });
});
