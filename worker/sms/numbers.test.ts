// Phone numbers checked against their country's numbering plan before they are stored or texted
// (issue 20, point 21): real D1, the person's Durable Object and the mail queue in workerd.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CartbackEvent } from "../../protocol/types";
import type { IngestMessage } from "../db/browsers";
import worker from "../index";
import type { MailJob } from "../mail/job";
import { count, eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";
import { deliver, MINUTE } from "../test/recovery";
import { daytimeZone } from "../test/sms";
import { dialable, screenPhones } from "./numbers";

// What the script's e164 made of "8 912 345-67-89" (Russia, trunk 8) and "06 30 123 4567"
// (Hungary, trunk 06) before it knew their trunk prefixes: both pass the E.164 shape check.
const RUSSIAN_WITH_TRUNK = "+789123456789";
const HUNGARIAN_WITH_TRUNK = "+366301234567";

const identify = (at: number, who: Partial<Extract<CartbackEvent, { type: "identify" }>>): CartbackEvent => ({
  id: randomId(),
  at,
  type: "identify",
  ...who,
});
const cart = (at: number): CartbackEvent => ({
  id: randomId(),
  at,
  type: "cart",
  action: "set",
  cart: { currency: "EUR", lines: [{ id: "tea", name: "Green tea", price: 1250, quantity: 2 }] },
});
const consentsOf = (aid: string) =>
  env.DB.prepare("SELECT phone FROM sms_consents WHERE aid = ?")
    .bind(aid)
    .all<{ phone: string }>()
    .then((r) => r.results.map((row) => row.phone));

describe("dialable", () => {
  it("keeps a number in use in its country, in canonical form, and refuses one too long for it", () => {
    expect(dialable("+34600111222")).toBe("+34600111222");
    expect(dialable(RUSSIAN_WITH_TRUNK)).toBe("+79123456789"); // the numbering plan's trunk prefix, dropped
    expect(dialable(HUNGARIAN_WITH_TRUNK)).toBeUndefined();
    expect(dialable("+36301234567")).toBe("+36301234567");
    expect(dialable("+3460000")).toBeUndefined();
  });

  it("screenPhones keeps every other event and field, and drops an event left with nothing", () => {
    const at = Date.now();
    const events = [
      cart(at),
      identify(at, { email: "ana@example.com", phone: HUNGARIAN_WITH_TRUNK, smsConsent: true }),
      identify(at, { phone: HUNGARIAN_WITH_TRUNK, smsConsent: true }),
      identify(at, { phone: RUSSIAN_WITH_TRUNK, smsConsent: true }),
    ];
    const { events: kept, refused } = screenPhones(events);
    expect(kept).toEqual([
      events[0],
      { id: events[1]?.id, at, type: "identify", email: "ana@example.com" },
      { ...events[3], phone: "+79123456789" },
    ]);
    expect(refused.map((r) => [r.event, r.field])).toEqual([
      [events[1]?.id, "phone"],
      [events[2]?.id, "phone"],
    ]);
  });
});

describe("POST /v1/events with a number not in use", () => {
  it("stores the rest of the batch, never the number, and names it in the answer", async () => {
    const site = await seedSite(env.DB, [ORIGIN], { abandonAfterMinutes: 1, holdoutPercent: 0 });
    const aid = randomId();
    const email = `num.${randomId().slice(0, 6)}@example.com`;
    const at = Date.now() - 1000;
    const bad = identify(at, { email, phone: HUNGARIAN_WITH_TRUNK, smsConsent: true });
    const res = await postEvents(site.key, { aid, sentAt: Date.now(), events: [cart(at - 10), bad] });
    expect(res.status).toBe(202);
    const answer = (await res.json()) as { accepted: number; refused: { event: string; field: string; error: string }[] };
    expect(answer.accepted).toBe(2);
    expect(answer.refused).toEqual([{ event: bad.id, field: "phone", error: expect.stringContaining(HUNGARIAN_WITH_TRUNK) }]);
    await eventually(async () => expect(await count(env.DB, "SELECT count(*) AS n FROM events WHERE aid = ?", aid)).toBe(2));
    expect(await env.DB.prepare("SELECT email FROM shoppers WHERE aid = ?").bind(aid).first("email")).toBe(email);
    expect(await consentsOf(aid)).toEqual([]);
    expect(await count(env.DB, "SELECT count(*) AS n FROM messages WHERE phone = ?", HUNGARIAN_WITH_TRUNK)).toBe(0);

    // A batch of that number alone: nothing stored, still a 202 naming it (the script must not retry it).
    const alone = identify(at, { phone: HUNGARIAN_WITH_TRUNK, smsConsent: true });
    const only = await postEvents(site.key, { aid: randomId(), sentAt: Date.now(), events: [alone] });
    expect(only.status).toBe(202);
    expect(await only.json()).toMatchObject({ accepted: 0, refused: [{ event: alone.id, field: "phone" }] });

    // The Russian number with its trunk prefix is the numbering plan's +7 912…: stored as that.
    const russian = randomId();
    await postEvents(site.key, {
      aid: russian,
      sentAt: Date.now(),
      events: [identify(at, { phone: RUSSIAN_WITH_TRUNK, smsConsent: true })],
    });
    await eventually(async () => expect(await consentsOf(russian)).toEqual(["+79123456789"]));
  });
});

describe("a text to a number stored before numbers were checked", () => {
  it("is cancelled, never sent", async () => {
    const settings = {
      abandonAfterMinutes: 1,
      holdoutPercent: 0,
      quietHours: null,
      timeZone: daytimeZone(),
      steps: [{ afterMinutes: 0, channel: "sms" }],
    };
    const site = await seedSite(env.DB, [ORIGIN], settings);
    const aid = randomId();
    const left = Date.now() - 5 * MINUTE;
    // Queued by a collector that did not check numbers yet: the consumer stores what it was given.
    const body: IngestMessage = {
      site: site.id,
      aid,
      receivedAt: Date.now(),
      skew: 0,
      ttlDays: 7,
      events: [cart(left - 10), identify(left, { phone: HUNGARIAN_WITH_TRUNK, smsConsent: true, locale: "hu" })],
    };
    const batch = createMessageBatch<IngestMessage>("cartback-ingest", [{ id: "old-1", timestamp: new Date(), attempts: 1, body }]);
    await worker.queue(batch, env);
    await getQueueResult(batch, createExecutionContext());
    const key = `tel:${HUNGARIAN_WITH_TRUNK}`;
    const [text] = await eventually(async () => {
      const rows = (
        await env.DB.prepare("SELECT id, site_id, email, channel FROM messages WHERE email = ?")
          .bind(key)
          .all<{ id: string; site_id: number; email: string; channel: string }>()
      ).results;
      expect(rows.length).toBeGreaterThanOrEqual(1);
      return rows;
    }, 15_000);
    const job: MailJob = { kind: "sms", id: text?.id as string, site: text?.site_id as number, email: key };
    await deliver([job]);
    expect(await env.DB.prepare("SELECT status, cancel_reason FROM messages WHERE id = ?").bind(job.id).first()).toMatchObject({
      status: "cancelled",
      cancel_reason: "unreachable",
    });
    expect(await count(env.DB, `SELECT count(*) AS n FROM dev_sms_outbox WHERE "to" = ?`, HUNGARIAN_WITH_TRUNK)).toBe(0);
  });
});
