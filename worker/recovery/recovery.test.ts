import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CartbackEvent } from "../../protocol/types";
import type { MailJob } from "../mail/job";
import { count, eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";
import { abandon, deliver, MINUTE, messagesOf } from "../test/recovery";
import { inHoldout, type Shopper, shopperStub } from "./shopper";

// No holdout here: these tests are about who gets messages (the holdout has its own test).
const settings = { abandonAfterMinutes: 1, shopName: "Tea & Kettle", holdoutPercent: 0 };

const outboxFor = (email: string) =>
  env.DB.prepare(`SELECT id, subject, headers, html, text FROM dev_outbox WHERE "to" = ?`)
    .bind(email)
    .all<{ id: string; subject: string; headers: string; html: string; text: string }>();

/** Waits until the shopper's alarm has claimed exactly `n` messages. */
const claimedMessages = (email: string, n = 1) =>
  eventually(async () => {
    const { results } = await messagesOf(email);
    expect(results).toHaveLength(n);
    return results;
  }, 15_000);

/** Waits for the shopper's alarm to claim `n` messages, then hands them to the mail consumer. */
async function deliverClaimed(email: string, n = 1): Promise<void> {
  const rows = await eventually(async () => {
    const { results } = await messagesOf(email);
    expect(results.length).toBeGreaterThanOrEqual(n);
    return results;
  }, 15_000);
  await deliver(rows.map((m) => ({ kind: "recovery" as const, id: m.id, site: m.site_id, email: m.email })));
}

const linksIn = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]?.replace(/&#38;/g, "&") ?? "");

describe("abandonment and the sequence", () => {
  it("three failed payment attempts make one sequence and one email, about the payment", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "three.tries@example.com";
    const at = Date.now() - 10 * MINUTE;
    const attempts = [1, 2, 3].map(
      (i): CartbackEvent => ({ id: randomId(), at: at + i * 1000, type: "moment", kind: "payment_failed", code: "card_declined" }),
    );
    await abandon(site.key, email, { extra: [...attempts, { id: randomId(), at: at + 5000, type: "checkout" }] });
    // A second tab of the same browser replays some of the same events, and a third attempt comes late.
    await postEvents(site.key, {
      aid: randomId(),
      sentAt: Date.now(),
      events: [{ id: randomId(), at: at + 2000, type: "identify", email }],
    });
    await deliverClaimed(email);
    await new Promise((r) => setTimeout(r, 1500)); // room for any duplicate to appear
    const { results } = await messagesOf(email);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: "sent", step: 0, template: "payment_failed" });
    expect(await count(env.DB, "SELECT count(*) AS n FROM sequences WHERE email = ?", email)).toBe(1);
    const mail = (await outboxFor(email)).results;
    expect(mail).toHaveLength(1);
    expect(mail[0]?.subject).toBe("Ana, your payment didn't go through");
    expect(mail[0]?.text).toContain("Green tea: 2 × €12.50 = €25.00");
    expect(mail[0]?.text).not.toMatch(/code /i); // no discount on a payment failure
  });

  it("two tabs observed at once both keep their carts (the object takes one call at a time)", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { ...settings, abandonAfterMinutes: 30 });
    const email = "two.tabs@example.com";
    const stub = shopperStub(env, site.id, email);
    const at = Date.now() - MINUTE;
    const expiresAt = Date.now() + 7 * 24 * 60 * MINUTE;
    // Ten browsers at once: each observation awaits D1 mid-way, which lets the next one in.
    const aids = Array.from({ length: 10 }, () => randomId());
    await Promise.all(
      aids.map((aid, i) =>
        stub.observe(site.id, email, [
          { aid, points: [{ at: at + i, value: 2500 }], currency: "EUR", expiresAt, lastActivity: at + i, moments: [], orders: [] },
        ]),
      ),
    );
    const carts = await runInDurableObject(stub, async (_obj: Shopper, state) =>
      Object.keys((await state.storage.get<{ browsers: Record<string, unknown> }>("person"))?.browsers ?? {}),
    );
    expect(carts.sort()).toEqual([...aids].sort());
  });

  it("waits for the threshold: a cart active a moment ago is not abandoned", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { ...settings, abandonAfterMinutes: 30 });
    const email = "still.browsing@example.com";
    await abandon(site.key, email, { minutesAgo: 5 });
    await new Promise((r) => setTimeout(r, 2500));
    expect((await messagesOf(email)).results).toEqual([]);
    // The alarm is set for when the 30 minutes are up.
    const alarm = await runInDurableObject(shopperStub(env, site.id, email), (_obj, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now() + 20 * MINUTE);
    expect(alarm).toBeLessThan(Date.now() + 26 * MINUTE);
  });

  it("sends nothing when the shopper came back before the alarm", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { ...settings, abandonAfterMinutes: 30 });
    const email = "came.back@example.com";
    const aid = await abandon(site.key, email, { minutesAgo: 25 });
    await postEvents(site.key, { aid, sentAt: Date.now(), events: [{ id: randomId(), at: Date.now(), type: "checkout" }] });
    await eventually(async () => {
      const alarm = await runInDurableObject(shopperStub(env, site.id, email), (_obj, state) => state.storage.getAlarm());
      expect(alarm).toBeGreaterThan(Date.now() + 25 * MINUTE);
    });
    expect((await messagesOf(email)).results).toEqual([]);
  });
});

describe("stop conditions, checked right before sending", () => {
  it("a purchase between claim and send: no message", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "bought.meanwhile@example.com";
    const aid = await abandon(site.key, email);
    const claimed = await claimedMessages(email);
    // The shop's server reports the order before the mail consumer gets to the message.
    const order = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/orders`, {
      method: "POST",
      headers: { authorization: `Bearer sk_${site.key}`, "content-type": "application/json" },
      body: JSON.stringify({ orderId: "srv-1", aid, total: 2500, currency: "EUR" }),
    });
    expect(order.status).toBe(201);
    await deliver(claimed.map((m) => ({ kind: "recovery", id: m.id, site: m.site_id, email: m.email })));
    expect((await messagesOf(email)).results[0]).toMatchObject({ status: "cancelled", cancel_reason: "purchased" });
    expect((await outboxFor(email)).results).toEqual([]);
  });

  it("the shopper returning between claim and send: no message", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "returned@example.com";
    const aid = await abandon(site.key, email);
    const claimed = await claimedMessages(email);
    await postEvents(site.key, { aid, sentAt: Date.now(), events: [{ id: randomId(), at: Date.now(), type: "checkout" }] });
    await eventually(async () =>
      expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE aid = ? AND type = 'checkout'", aid)).toBe(1),
    );
    await new Promise((r) => setTimeout(r, 300));
    await deliver(claimed.map((m) => ({ kind: "recovery", id: m.id, site: m.site_id, email: m.email })));
    expect((await messagesOf(email)).results[0]).toMatchObject({ status: "cancelled", cancel_reason: "returned" });
    expect((await outboxFor(email)).results).toEqual([]);
  });

  it("a redelivered mail job and a retried alarm send the message once", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "once.only@example.com";
    await abandon(site.key, email);
    const [message] = await claimedMessages(email);
    const job: MailJob = { kind: "recovery", id: message?.id as string, site: site.id, email };
    // The alarm "crashed" after claiming but before knowing the job reached the queue.
    const stub = shopperStub(env, site.id, email);
    await runInDurableObject(stub, async (_obj: Shopper, state) => {
      const claim = {
        id: job.id,
        sequenceId: message?.sequence_id,
        step: 0,
        template: "reminder",
        dueAt: Date.now(),
        abandonedAt: Date.now(),
      };
      await state.storage.put("todo", [{ do: "claim", claim, at: Date.now() }]);
      await state.storage.setAlarm(Date.now() + MINUTE);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true); // the retried alarm re-queues the same id
    await deliver([job, job]);
    await deliver([job]);
    expect((await outboxFor(email)).results).toHaveLength(1);
    expect((await messagesOf(email)).results).toMatchObject([{ status: "sent" }]);
  });
});

describe("more stop conditions", () => {
  it("an emptied cart between claim and send: no message", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "emptied@example.com";
    const aid = await abandon(site.key, email);
    const claimed = await claimedMessages(email);
    await postEvents(site.key, {
      aid,
      sentAt: Date.now(),
      events: [{ id: randomId(), at: Date.now(), type: "cart", action: "clear", cart: { currency: "EUR", lines: [] } }],
    });
    await eventually(async () =>
      expect(await env.DB.prepare("SELECT status FROM carts WHERE aid = ?").bind(aid).first("status")).toBe("empty"),
    );
    await new Promise((r) => setTimeout(r, 300));
    await deliver(claimed.map((m) => ({ kind: "recovery", id: m.id, site: m.site_id, email: m.email })));
    expect((await messagesOf(email)).results[0]).toMatchObject({ status: "cancelled", cancel_reason: "emptied" });
  });

  it("the merchant is told of the interrupted order when notifyEmail is set", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { ...settings, notifyEmail: "owner@shop.example" });
    const email = "notice.me@example.com";
    await abandon(site.key, email);
    const [message] = await claimedMessages(email);
    await deliver([
      { kind: "merchant_notice", id: `${message?.sequence_id}-notice`, site: site.id, email: "owner@shop.example", about: email },
    ]);
    const [notice] = (await outboxFor("owner@shop.example")).results;
    expect(notice?.subject).toBe(`Interrupted order at Tea & Kettle: ${email} (€25.00)`);
    expect(notice?.text).toContain("2 × Green tea: €25.00");
  });
});

describe("links", () => {
  it("a prefetch (GET) or a scripted POST is no click; a person's input on the shop page is, once", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "clicker@example.com";
    await abandon(site.key, email);
    await deliverClaimed(email);
    const [mail] = (await outboxFor(email)).results;
    const restore = linksIn(mail?.html ?? "").find((l) => l.includes("/r/")) as string;
    expect(restore).toMatch(/^http:\/\/127\.0\.0\.1:8787\/r\/[\w-]{43}$/);
    const path = new URL(restore).pathname;

    for (const method of ["GET", "HEAD", "GET"]) {
      const res = await exports.default.fetch(`https://collector.test${path}`, { method });
      expect(res.status).toBe(200);
    }
    expect((await messagesOf(email)).results[0]?.clicked_at).toBeNull();

    const click = await exports.default.fetch(`https://collector.test${path}`, { method: "POST", redirect: "manual" });
    expect(click.status).toBe(303);
    const target = new URL(click.headers.get("location") as string);
    expect(target.origin).toBe(ORIGIN);
    const token = target.searchParams.get("cartback_restore") as string;
    // The form POST is what a scanner that runs the page's script does too: not a click yet.
    expect((await messagesOf(email)).results[0]?.clicked_at).toBeNull();
    // The restored page reports a person's first input: that is the click, counted once.
    const opened = () =>
      exports.default.fetch(`https://collector.test/v1/restore?site=${site.key}`, {
        method: "POST",
        headers: { origin: ORIGIN, "content-type": "text/plain" },
        body: JSON.stringify({ token, aid: randomId() }),
      });
    expect((await opened()).status).toBe(200);
    const clickedAt = (await messagesOf(email)).results[0]?.clicked_at;
    expect(clickedAt).toBeGreaterThan(0);
    await opened();
    expect((await messagesOf(email)).results[0]?.clicked_at).toBe(clickedAt);

    // The shop's page fetches the cart with the token, from an allowed origin only.
    const restored = await exports.default.fetch(`https://collector.test/v1/restore?site=${site.key}&token=${token}`, {
      headers: { origin: ORIGIN },
    });
    expect(await restored.json()).toEqual({
      status: "restored",
      cart: { currency: "EUR", lines: [{ id: "tea", name: "Green tea", price: 1250, quantity: 2 }] },
      restoreMode: "replace",
    });
    const elsewhere = await exports.default.fetch(`https://collector.test/v1/restore?site=${site.key}&token=${token}`, {
      headers: { origin: "https://evil.example" },
    });
    expect(elsewhere.status).toBe(403);
    const guessed = await exports.default.fetch(`https://collector.test/v1/restore?site=${site.key}&token=${"x".repeat(43)}`, {
      headers: { origin: ORIGIN },
    });
    expect(guessed.status).toBe(404);
  });

  it("lands where the site set for the message's reason: the checkout after a declined payment, the cart page for a reminder", async () => {
    const site = await seedSite(env.DB, [ORIGIN], {
      ...settings,
      restoreUrl: `${ORIGIN}/cart`,
      restoreUrls: { payment_failed: `${ORIGIN}/checkout?step=payment` },
    });
    const declined = "declined.lands@example.com";
    const forgot = "forgot.lands@example.com";
    const at = Date.now() - 10 * MINUTE;
    await abandon(site.key, declined, {
      extra: [{ id: randomId(), at: at + 5000, type: "moment", kind: "payment_failed", code: "card_declined" }],
    });
    await abandon(site.key, forgot);
    await deliverClaimed(declined);
    await deliverClaimed(forgot);
    const landing = async (email: string) => {
      const [mail] = (await outboxFor(email)).results;
      const path = new URL(linksIn(mail?.html ?? "").find((l) => l.includes("/r/")) as string).pathname;
      const res = await exports.default.fetch(`https://collector.test${path}`, { method: "POST", redirect: "manual" });
      expect(res.status).toBe(303);
      const target = new URL(res.headers.get("location") as string);
      expect(target.searchParams.get("cartback_restore")).toBe(path.slice("/r/".length));
      target.searchParams.delete("cartback_restore");
      return target.href;
    };
    expect((await messagesOf(declined)).results[0]?.template).toBe("payment_failed");
    expect(await landing(declined)).toBe(`${ORIGIN}/checkout?step=payment`);
    expect((await messagesOf(forgot)).results[0]?.template).toBe("reminder");
    expect(await landing(forgot)).toBe(`${ORIGIN}/cart`);
  });

  it("after a purchase, the link says 'already ordered' instead of restoring", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "bought.later@example.com";
    const aid = await abandon(site.key, email);
    await deliverClaimed(email);
    const [mail] = (await outboxFor(email)).results;
    const path = new URL(linksIn(mail?.html ?? "").find((l) => l.includes("/r/")) as string).pathname;
    await postEvents(site.key, {
      aid,
      sentAt: Date.now(),
      events: [{ id: randomId(), at: Date.now(), type: "purchase", orderId: "o-77", total: 2500, currency: "EUR" }],
    });
    await eventually(async () => expect(await count(env.DB, "SELECT count(*) AS n FROM orders WHERE order_id = 'o-77'")).toBe(1));
    const res = await exports.default.fetch(`https://collector.test${path}`, { method: "POST", redirect: "manual" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("You already ordered this");
    // …and the order is attributed to the sequence that was sent.
    await eventually(async () =>
      expect(await count(env.DB, "SELECT count(*) AS n FROM sequences WHERE email = ? AND recovered_order_id = 'o-77'", email)).toBe(1),
    );
  });

  it("a shopper who comes back on another device, then buys there in a later batch: the link says 'already ordered'", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "phone.later@example.com";
    await abandon(site.key, email);
    await deliverClaimed(email);
    const [mail] = (await outboxFor(email)).results;
    const path = new URL(linksIn(mail?.html ?? "").find((l) => l.includes("/r/")) as string).pathname;
    const phone = randomId();
    // The checkout's email field identifies the phone first (the sequence stops: they came back)…
    await postEvents(site.key, { aid: phone, sentAt: Date.now(), events: [{ id: randomId(), at: Date.now(), type: "identify", email }] });
    await eventually(async () =>
      expect(await env.DB.prepare("SELECT stop_reason FROM sequences WHERE email = ?").bind(email).first("stop_reason")).toBe("returned"),
    );
    // …and the order follows in the next batch.
    await postEvents(site.key, {
      aid: phone,
      sentAt: Date.now(),
      events: [{ id: randomId(), at: Date.now() + 1, type: "purchase", orderId: "o-78", total: 2500, currency: "EUR" }],
    });
    await eventually(async () =>
      expect(await count(env.DB, "SELECT count(*) AS n FROM sequences WHERE email = ? AND recovered_order_id = 'o-78'", email)).toBe(1),
    );
    const res = await exports.default.fetch(`https://collector.test${path}`);
    expect(await res.text()).toContain("You already ordered this");
  });

  it("unsubscribed (RFC 8058 one-click): the sequence stops and the address is never mailed again", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { ...settings, maxSequencesPerDay: 5 });
    const email = "no.more@example.com";
    await abandon(site.key, email);
    await deliverClaimed(email);
    const [mail] = (await outboxFor(email)).results;
    const headers = JSON.parse(mail?.headers ?? "{}") as Record<string, string>;
    expect(headers["List-Unsubscribe-Post"]).toBe("List-Unsubscribe=One-Click");
    const unsubscribe = /^<(.+)>$/.exec(headers["List-Unsubscribe"] ?? "")?.[1] as string;
    expect(linksIn(mail?.html ?? "")).toContain(unsubscribe); // also visible in the body
    const path = new URL(unsubscribe).pathname;
    expect((await exports.default.fetch(`https://collector.test${path}`)).status).toBe(200); // GET: a page, not an unsubscribe
    expect(await count(env.DB, "SELECT count(*) AS n FROM suppressions WHERE email = ?", email)).toBe(0);
    const res = await exports.default.fetch(`https://collector.test${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(res.status).toBe(200);
    expect(await env.DB.prepare("SELECT source FROM suppressions WHERE email = ?").bind(email).first("source")).toBe("one_click");
    expect(await env.DB.prepare("SELECT stop_reason FROM sequences WHERE email = ?").bind(email).first("stop_reason")).toBe("unsubscribed");

    // A new cart, a purchase in between, a new abandonment: still nothing.
    await abandon(site.key, email, { lines: [{ id: "mug", name: "Mug", price: 2400, quantity: 1 }] });
    await new Promise((r) => setTimeout(r, 2500));
    expect(await count(env.DB, "SELECT count(*) AS n FROM sequences WHERE email = ?", email)).toBe(1);
    expect((await outboxFor(email)).results).toHaveLength(1);
  });
});

describe("caps and steps", () => {
  it("one sequence per address per 24 h, even across purchase intents", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "capped@example.com";
    const aid = await abandon(site.key, email);
    await deliverClaimed(email);
    await postEvents(site.key, {
      aid,
      sentAt: Date.now(),
      events: [{ id: randomId(), at: Date.now() - 9 * MINUTE, type: "purchase", orderId: "o-1", total: 2500, currency: "EUR" }],
    });
    await eventually(async () =>
      expect(await count(env.DB, "SELECT count(*) AS n FROM orders WHERE order_id = 'o-1' AND aid = ?", aid)).toBe(1),
    );
    await abandon(site.key, email, { minutesAgo: 8, lines: [{ id: "kettle", name: "Kettle", price: 6900, quantity: 1 }] });
    await new Promise((r) => setTimeout(r, 2500));
    expect(await count(env.DB, "SELECT count(*) AS n FROM sequences WHERE email = ?", email)).toBe(1);
  });

  it("sends each step on time, with the incentive on the step that carries it, and stops after the last", async () => {
    const site = await seedSite(env.DB, [ORIGIN], {
      ...settings,
      steps: [{ afterMinutes: 0 }, { afterMinutes: 60 }, { afterMinutes: 120, incentive: true }],
      incentive: { code: "FREESHIP", description: "Shipping is on us.", expiresInHours: 48 },
    });
    const email = "three.steps@example.com";
    await abandon(site.key, email);
    await deliverClaimed(email, 1);
    const stub = shopperStub(env, site.id, email);
    const nextAlarm = () => runInDurableObject(stub, (_obj, state) => state.storage.getAlarm());
    // Step 2 is due an hour after the threshold passed; run its alarm as if that time had come.
    const due = (await nextAlarm()) as number;
    expect(due - Date.now()).toBeGreaterThan(45 * MINUTE);
    for (const step of [1, 2]) {
      await runInDurableObject(stub, async (_obj, state) => {
        const saved = (await state.storage.get<{ sequences: { detectedAt: number }[] }>("person")) as {
          sequences: { detectedAt: number }[];
        };
        for (const s of saved.sequences) s.detectedAt -= 61 * MINUTE; // move the sequence an hour into the past
        await state.storage.put("person", saved);
        await state.storage.setAlarm(Date.now());
      });
      await runDurableObjectAlarm(stub);
      await deliverClaimed(email, step + 1);
    }
    const mails = (await outboxFor(email)).results;
    expect(mails).toHaveLength(3);
    const withCode = mails.filter((m) => m.text.includes("FREESHIP"));
    expect(withCode).toHaveLength(1);
    // The code's end as a date too, in the shopper's words (English here: no Accept-Language).
    expect(withCode[0]?.text).toMatch(
      /Shipping is on us\. Use code FREESHIP at checkout\. Valid for 48 hours, until \w{3} \d{1,2}, \d{4}, /,
    );
    expect(await nextAlarm()).toBeNull();
    expect(await env.DB.prepare("SELECT status FROM sequences WHERE email = ?").bind(email).first("status")).toBe("completed");
  });
});

describe("the holdout", () => {
  it("a held-out shopper's abandonment is recorded but gets no message; their own purchase is a natural recovery", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { ...settings, holdoutPercent: 50 });
    // Find addresses on each side of the stable split.
    const emails = Array.from({ length: 40 }, (_, i) => `split-${i}@example.com`);
    const held = [];
    for (const email of emails) if (await inHoldout(site.id, email, 50)) held.push(email);
    expect(held.length).toBeGreaterThan(5);
    expect(held.length).toBeLessThan(35);
    const email = held[0] as string;
    const aid = await abandon(site.key, email);
    await eventually(async () =>
      expect(await env.DB.prepare("SELECT holdout, status FROM sequences WHERE email = ?").bind(email).first()).toEqual({
        holdout: 1,
        status: "holdout",
      }),
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect((await messagesOf(email)).results).toEqual([]);
    await postEvents(site.key, {
      aid,
      sentAt: Date.now(),
      events: [{ id: randomId(), at: Date.now(), type: "purchase", orderId: "natural-1", total: 2500, currency: "EUR" }],
    });
    await eventually(async () =>
      expect(await env.DB.prepare("SELECT recovered_order_id FROM sequences WHERE email = ?").bind(email).first("recovered_order_id")).toBe(
        "natural-1",
      ),
    );
  });
});

describe("what the email shows", () => {
  it("shows product images over https from the origins' and the image hosts; counts the others per host for the dashboard", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { ...settings, imageHosts: ["cdn.shop.example"] });
    const lines = (n: number) => [
      { id: `a${n}`, name: "Tea", price: 100, quantity: 1, image: "https://cdn.shop.example/tea.png" },
      { id: `b${n}`, name: "Mug", price: 100, quantity: 1, image: "https://cdn.elsewhere.example/mug.png" },
      { id: `c${n}`, name: "Pot", price: 100, quantity: 1, image: "https://cdn.elsewhere.example/pot.png" },
      { id: `d${n}`, name: "Cup", price: 100, quantity: 1, image: "http://shop.example/cup.png" },
    ];
    for (const [n, email] of ["first.images@example.com", "second.images@example.com"].entries()) {
      await abandon(site.key, email, { lines: lines(n) as never });
      await deliverClaimed(email);
      const [mail] = (await outboxFor(email)).results;
      expect([...(mail?.html ?? "").matchAll(/<img src="([^"]+)"/g)].map((m) => m[1])).toEqual(["https://cdn.shop.example/tea.png"]);
    }
    const drops = await env.DB.prepare("SELECT host, reason, count FROM image_drops WHERE site_id = ? ORDER BY count DESC")
      .bind(site.id)
      .all();
    expect(drops.results).toEqual([
      { host: "cdn.elsewhere.example", reason: "host", count: 4 },
      { host: "shop.example", reason: "http", count: 2 },
    ]);
    // A redelivery of a sent message counts nothing again.
    const [message] = (await messagesOf("first.images@example.com")).results;
    await deliver([{ kind: "recovery", id: message?.id as string, site: site.id, email: "first.images@example.com" }]);
    expect(await count(env.DB, "SELECT sum(count) AS n FROM image_drops WHERE site_id = ?", site.id)).toBe(6);
  });

  it("escapes hostile product names and drops links and images off the site's origins", async () => {
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const email = "hostile@example.com";
    await abandon(site.key, email, {
      name: '<img src=x onerror="alert(1)">\r\nBcc: victim@example.com',
      lines: [
        {
          id: "x",
          name: '<script>alert("pwned")</script> & "quotes"',
          price: 100,
          quantity: 1,
          url: "https://evil.example/phish",
          image: "https://evil.example/track.png",
          variant: "<b>bold</b>",
        } as never,
        { id: "ok", name: "Mug", price: 2400, quantity: 1, url: `${ORIGIN}/mug`, image: `${ORIGIN}/mug.png` } as never,
      ],
    });
    await deliverClaimed(email);
    const [mail] = (await outboxFor(email)).results;
    const html = mail?.html ?? "";
    expect(html).not.toContain("<script");
    expect(html).not.toContain("<b>bold");
    expect(html).not.toContain("onerror=");
    expect(html).toContain("&#60;script&#62;alert(&#34;pwned&#34;)&#60;/script&#62; &#38; &#34;quotes&#34;");
    expect(html).not.toContain("evil.example");
    expect(html).toContain(`src="${ORIGIN}/mug.png"`);
    for (const link of linksIn(html)) {
      expect([ORIGIN, "http://127.0.0.1:8787"]).toContain(new URL(link).origin);
    }
    expect(mail?.subject).toBe("Img, you left something in your cart"); // markup stripped from the name
    expect(html).toContain("<title>Img, you left something in your cart</title>");
  });
});
