// The rules of a sequence across email and texts, over random interleavings of what shoppers,
// phones, shops and queues do: a shopper known first by a consented number gives their email (or
// not), buys on another device, their phone says STOP, they unsubscribe from an email; steps fall
// due by either channel; alarms fire and jobs are delivered and redelivered, at once or twice
// together. In workerd: real D1, the person's Durable Objects, their alarms and the queue consumer.
//   - never a message, by any channel, once a stop (purchase, STOP, unsubscribe) was accepted;
//   - never two messages for one (sequence, step), nor a provider call twice for one text;
//   - messages of one purchase intent come from one sequence, whichever person carried it.
import { createMessageBatch, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CartbackEvent } from "../../protocol/types";
import { suppress } from "../db/ledger";
import { suppressPhone } from "../db/suppressions";
import { deliverMail } from "../mail/deliver";
import type { MailJob } from "../mail/job";
import { shopperStub } from "../recovery/shopper";
import { ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";
import { MINUTE } from "../test/recovery";
import { daytimeZone, randomPhone } from "../test/sms";
import type { SmsProvider } from "./provider";

type Op =
  | { t: "email" }
  /** On another device, which gives the email (once known) or only the number, or (signed in on
   * both) only the account's user id; its events in one batch or split where the script's send
   * timer may split them (`split`: 0 none, 1 after the cart, 2 before the order, 3 both). */
  | { t: "buy"; byPhone: boolean; byAccount?: boolean; split?: number }
  /** The shopper is back, on another device that gives only the number. */
  | { t: "back" }
  | { t: "stop" }
  | { t: "unsubscribe" }
  | { t: "alarm" }
  | { t: "deliver"; pick: number; twice: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ t: "email" as const }),
  { arbitrary: fc.constant({ t: "alarm" as const }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant("deliver" as const), pick: fc.nat(20), twice: fc.boolean() }), weight: 4 },
);
/** At most one stop a run, anywhere in it (or none), so that most runs also send something before it. */
const schedule: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.array(op, { maxLength: 12 }),
    fc.option(
      fc.oneof(
        fc.record({ t: fc.constant("buy" as const), byPhone: fc.boolean(), byAccount: fc.boolean(), split: fc.nat(3) }),
        fc.constantFrom<Op>({ t: "back" }, { t: "stop" }, { t: "unsubscribe" }),
      ),
      {
        freq: 4,
      },
    ),
    fc.nat(12),
  )
  .map(([list, stop, at]) => (stop ? [...list.slice(0, at), stop, ...list.slice(at)] : list));
const step = fc.record({
  afterMinutes: fc.constantFrom(0, 0, 600),
  channel: fc.constantFrom("email" as const, "sms" as const, "sms_if_no_email" as const),
});

const tea = [{ id: "tea", name: "Green tea", price: 1250, quantity: 2 }];

async function post(key: string, aid: string, events: CartbackEvent[]): Promise<void> {
  const res = await postEvents(key, { aid, sentAt: Date.now(), events });
  expect(res.status).toBe(202);
}

describe("a sequence across email and texts, over random interleavings", () => {
  it("sends nothing after a stop, nothing twice, and one sequence per intent", async () => {
    const seen = { runs: 0, emails: 0, texts: 0, afterHandOver: 0, stops: 0, cancelled: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        schedule,
        async (steps, emailFirst, signedIn, ops) => {
          const settings = {
            abandonAfterMinutes: 1,
            holdoutPercent: 0,
            quietHours: null,
            timeZone: daytimeZone(),
            maxSequencesPerDay: 10,
            steps,
          };
          const site = await seedSite(env.DB, [ORIGIN], settings);
          const phone = randomPhone();
          const email = `p.${randomId().slice(0, 8)}@example.com`;
          const laptop = randomId();
          const userId = `u-${email}`;
          const left = Date.now() - 10 * MINUTE;
          let known = emailFirst;
          await post(site.key, laptop, [
            { id: randomId(), at: left - 10, type: "cart", action: "set", cart: { currency: "EUR", lines: tea } },
            {
              id: randomId(),
              at: left,
              type: "identify",
              name: "Ana",
              phone,
              smsConsent: true,
              ...(emailFirst && { email }),
              ...(signedIn && { userId }),
            },
          ]);

          let stoppedAt = Number.POSITIVE_INFINITY;
          const stopped = () => (stoppedAt = Math.min(stoppedAt, Date.now()));
          const calls: { id: string; to: string; at: number }[] = [];
          const provider: SmsProvider = {
            async send(sms) {
              calls.push({ id: sms.id, to: sms.to, at: Date.now() });
              return { providerId: `rec:${sms.id}` };
            },
          };
          const persons = () => [shopperStub(env, site.id, `tel:${phone}`), ...(known ? [shopperStub(env, site.id, email)] : [])];
          const rows = () =>
            env.DB.prepare("SELECT id, site_id, email, channel FROM messages WHERE site_id = ? ORDER BY queued_at, id")
              .bind(site.id)
              .all<{ id: string; site_id: number; email: string; channel: string }>()
              .then((r) => r.results);
          const deliver = (m: { id: string; site_id: number; email: string; channel: string }) => {
            const body: MailJob = { kind: m.channel === "sms" ? "sms" : "recovery", id: m.id, site: m.site_id, email: m.email };
            return deliverMail(
              createMessageBatch<MailJob>("cartback-mail", [{ id: randomId(), timestamp: new Date(), attempts: 1, body }]),
              env,
              provider,
            );
          };

          for (const o of ops) {
            switch (o.t) {
              case "email":
                // Typed on the same page before it went quiet: no return, the same intent.
                await post(site.key, laptop, [{ id: randomId(), at: left - 1000, type: "identify", email }]);
                known = true;
                break;
              case "buy": {
                // The account's id alone says who it is once the signed-in laptop gave the email.
                const who = signedIn && known && o.byAccount ? { userId } : known && !o.byPhone ? { email } : { phone, smsConsent: true };
                const events: CartbackEvent[] = [
                  { id: randomId(), at: Date.now() - 2, type: "cart", action: "set", cart: { currency: "EUR", lines: tea } },
                  { id: randomId(), at: Date.now() - 1, type: "identify", name: "Ana", ...who },
                  { id: randomId(), at: Date.now(), type: "purchase", orderId: `o-${randomId()}`, total: 2500, currency: "EUR" },
                ];
                const split = o.split ?? 0;
                const cuts = [0, ...(split & 1 ? [1] : []), ...(split & 2 ? [2] : []), events.length];
                const buyer = randomId();
                for (let i = 1; i < cuts.length; i++) await post(site.key, buyer, events.slice(cuts[i - 1], cuts[i]));
                stopped();
                break;
              }
              case "back":
                await post(site.key, randomId(), [
                  { id: randomId(), at: Date.now() - 1, type: "identify", phone, smsConsent: true },
                  { id: randomId(), at: Date.now(), type: "cart", action: "set", cart: { currency: "EUR", lines: tea } },
                ]);
                stopped();
                break;
              case "stop":
                await suppressPhone(env.DB, site.id, phone, "stop", Date.now());
                stopped();
                break;
              case "unsubscribe":
                if (!known) break;
                await suppress(env.DB, site.id, email, "link", Date.now()).then(() => shopperStub(env, site.id, email).unsubscribed());
                stopped();
                break;
              case "alarm":
                for (const stub of persons()) await runDurableObjectAlarm(stub);
                break;
              case "deliver": {
                const all = await rows();
                const m = all[o.pick % Math.max(1, all.length)];
                if (m) await Promise.all(o.twice ? [deliver(m), deliver(m)] : [deliver(m)]);
                break;
              }
            }
          }
          // Everything still due happens: alarms fire, every job is delivered (again).
          for (let round = 0; round < 3; round++) {
            for (const stub of persons()) await runDurableObjectAlarm(stub);
            for (const m of await rows()) await deliver(m);
          }

          const sent = await env.DB.prepare(
            "SELECT id, sequence_id, step, channel, sent_at FROM messages WHERE site_id = ? AND status = 'sent'",
          )
            .bind(site.id)
            .all<{ id: string; sequence_id: string; step: number; channel: string; sent_at: number }>()
            .then((r) => r.results);
          for (const m of sent) expect(m.sent_at, `${m.channel} ${m.id} sent after a stop`).toBeLessThan(stoppedAt);
          for (const c of calls) expect(c.at, `text ${c.id} after a stop`).toBeLessThan(stoppedAt);
          expect(new Set(calls.map((c) => c.id)).size, "a text sent twice").toBe(calls.length);
          for (const c of calls) expect(c.to).toBe(phone);
          expect(new Set(sent.map((m) => `${m.sequence_id}-${m.step}`)).size, "two messages for one step").toBe(sent.length);
          expect(new Set(sent.map((m) => m.sequence_id)).size, "two sequences for one intent").toBeLessThanOrEqual(1);
          seen.runs++;
          if (Number.isFinite(stoppedAt)) seen.stops++;
          seen.emails += sent.filter((m) => m.channel === "email").length;
          seen.texts += calls.length;
          if (!emailFirst && sent.some((m) => m.channel === "email")) seen.afterHandOver++;
          seen.cancelled += (await rows()).length - sent.length;
          // A text the provider took is a sent message, and the other way round.
          expect(calls.map((c) => c.id).sort()).toEqual(
            sent
              .filter((m) => m.channel === "sms")
              .map((m) => m.id)
              .sort(),
          );
        },
      ),
      {
        numRuns: 50,
        // Found by a full run: a purchase on the device that gave only the number, then the laptop's
        // email (the hand-over), and the email went out after the purchase.
        // And the same purchase after the laptop had given both: the number's person told no one.
        // And (browser tests, CI): signed in on both, the phone's identify went in the batch before
        // its order, queued, so the order found nobody and the alarm sent the laptop's email.
        examples: [
          [[{ afterMinutes: 0, channel: "email" }], false, false, [{ t: "buy", byPhone: true }, { t: "email" }]],
          [[{ afterMinutes: 0, channel: "email" }], true, false, [{ t: "buy", byPhone: true }]],
          [[{ afterMinutes: 0, channel: "email" }], true, true, [{ t: "buy", byPhone: false, byAccount: true, split: 2 }, { t: "alarm" }]],
        ],
      },
    );
    // The property must have seen both channels and the hand-over, or it proves little.
    console.log("interleavings", seen);
    expect(seen.texts).toBeGreaterThan(0);
    expect(seen.emails).toBeGreaterThan(0);
    expect(seen.stops).toBeGreaterThan(0);
    expect(seen.cancelled).toBeGreaterThan(0);
  }, 180_000);
});
