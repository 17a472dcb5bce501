// A job lost between the claim and the mail queue's consumer: the person's object queues it again
// within minutes (rescue.ts), and the message still goes once, and never after a purchase. In
// workerd: real D1, the person's Durable Object and its alarm, the real mail consumer; the queue
// between them is a model the test loses, doubles and delays jobs in, and the clock is moved by hand.
import { createMessageBatch, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { deliverMail } from "../mail/deliver";
import type { MailJob } from "../mail/job";
import type { SmsProvider } from "../sms/provider";
import { eventually, ORIGIN, postEvents, randomId, seedSite } from "../test/helpers";
import { MINUTE } from "../test/recovery";
import { daytimeZone, randomPhone } from "../test/sms";
import type { PersonState } from "./person";
import { RESCUE_AFTER_MS } from "./rescue";
import { shopperStub } from "./shopper";

type Channel = "email" | "sms";

/** One shopper on a fresh site, with the mail queue between their object and the consumer in the test's hands. */
async function shopper(channels: Channel[]) {
  const site = await seedSite(env.DB, [ORIGIN], {
    abandonAfterMinutes: 1,
    holdoutPercent: 0,
    timeZone: daytimeZone(),
    steps: channels.map((channel, i) => ({ afterMinutes: i * 30, channel })),
  });
  const email = `r.${randomId().slice(0, 10)}@example.com`;
  const phone = randomPhone();
  const stub = shopperStub(env, site.id, email);
  /** Jobs on their way to the consumer, in order; the test loses, doubles and delivers them. */
  const queue: MailJob[] = [];
  const mailQueue = { send: async (job: MailJob) => void queue.push(job) } as unknown as Queue;
  // The object's own queue binding, before it hears of the shopper.
  await runInDurableObject(stub, (instance) => {
    const object = instance as unknown as { env: Env };
    object.env = { ...object.env, MAIL: mailQueue };
  });
  /** Provider calls, by message id: emails through a Resend stand-in, texts through an SMS provider stand-in. */
  const calls: { id: string; at: number }[] = [];
  const fetcher = async (_url: string | URL | Request, init?: RequestInit) => {
    calls.push({ id: new Headers(init?.headers).get("idempotency-key") ?? "", at: Date.now() });
    return Response.json({ id: `re_${calls.length}` });
  };
  vi.stubGlobal("fetch", fetcher);
  const sms: SmsProvider = {
    async send(text) {
      calls.push({ id: text.id, at: Date.now() });
      return { providerId: `sms:${text.id}` };
    },
  };
  // A real provider is never given the placeholder sender (mail/mailer.ts): the operator has set MAIL_FROM.
  const consumerEnv = {
    ...env,
    MAIL: mailQueue,
    MAIL_PROVIDER: "resend",
    RESEND_API_KEY: "re_test",
    MAIL_FROM: "Shop <recovery@shop.example>",
  } as Env;
  const left = Date.now() - 10 * MINUTE;
  const res = await postEvents(
    site.key,
    {
      aid: randomId(),
      sentAt: Date.now(),
      events: [
        {
          id: randomId(),
          at: left - 10,
          type: "cart",
          action: "set",
          cart: { currency: "EUR", lines: [{ id: "tea", name: "Tea", price: 1250, quantity: 2 }] },
        },
        { id: randomId(), at: left, type: "identify", email, name: "Ana", phone, smsConsent: true },
      ],
    },
    { ip: `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` },
  );
  expect(res.status).toBe(202);
  return {
    site,
    email,
    stub,
    queue,
    calls,
    /** Hands jobs to the real consumer as one batch; a job it asks to retry goes back on the queue. */
    async deliver(jobs: MailJob[]) {
      const batch = createMessageBatch<MailJob>(
        "cartback-mail",
        jobs.map((body, i) => ({ id: `q${i}-${body.id}`, timestamp: new Date(), attempts: 1, body })),
      );
      for (const m of batch.messages) m.retry = () => void queue.push(m.body);
      await deliverMail(batch, consumerEnv, sms);
    },
    rows: () =>
      env.DB.prepare("SELECT id, status FROM messages WHERE email = ? ORDER BY id")
        .bind(email)
        .all<{ id: string; status: string }>()
        .then((r) => r.results),
    person: () => runInDurableObject(stub, async (_o, state) => (await state.storage.get<PersonState>("person")) as PersonState),
  };
}

/** The clock the collector reads, moved by hand from now on. */
function clock() {
  let now = Date.now();
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(now);
  return {
    tick(ms: number) {
      now += ms;
      vi.setSystemTime(now);
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("a job lost after its claim", () => {
  for (const channel of ["email", "sms"] as const) {
    it(`is queued again by the person's alarm within ${RESCUE_AFTER_MS / MINUTE} minutes, and the ${channel} goes once`, async () => {
      const s = await shopper([channel]);
      // The object's alarm claims the step as soon as the cart is past the threshold.
      await eventually(() => expect(s.queue).toHaveLength(1), 25_000);
      const [job] = s.queue.splice(0); // lost: the consumer never gets it
      expect(await s.rows()).toMatchObject([{ id: job?.id, status: "queued" }]);
      const time = clock();
      const alarm = await runInDurableObject(s.stub, (_o, state) => state.storage.getAlarm());
      expect(alarm).not.toBeNull();
      expect((alarm as number) - Date.now()).toBeLessThanOrEqual(RESCUE_AFTER_MS);

      time.tick(RESCUE_AFTER_MS - MINUTE); // not yet: a consumer may still be at it
      await runDurableObjectAlarm(s.stub);
      expect(s.queue).toEqual([]);
      time.tick(MINUTE);
      await runDurableObjectAlarm(s.stub);
      expect(s.queue).toEqual([job]);

      // The rescued job and, late, the lost one too: one provider call.
      await s.deliver(s.queue.splice(0));
      await s.deliver([job as MailJob]);
      expect(s.calls.map((c) => c.id)).toEqual([job?.id]);
      expect(await s.rows()).toMatchObject([{ status: "sent" }]);
      // Sent: nothing waits any more, and no alarm is left for it.
      expect((await s.person()).unconfirmed).toEqual([]);
      time.tick(2 * RESCUE_AFTER_MS);
      await runDurableObjectAlarm(s.stub);
      expect(s.queue).toEqual([]);
    }, 60_000);
  }
});

type Op =
  | { t: "tick"; minutes: number }
  | { t: "alarm" }
  | { t: "deliver"; pick: number; twice: boolean }
  | { t: "lose"; pick: number }
  | { t: "late"; pick: number }
  | { t: "buy" };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant("tick" as const), minutes: fc.integer({ min: 1, max: 15 }) }) },
  { weight: 3, arbitrary: fc.constant({ t: "alarm" as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("deliver" as const), pick: fc.nat(5), twice: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("lose" as const), pick: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("late" as const), pick: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.constant({ t: "buy" as const }) },
);

describe("claims, lost and doubled jobs, alarms and a purchase, in any order", () => {
  it("never sends twice, never after the purchase, and leaves no claim unsent past the bound", async () => {
    const seen = { runs: 0, sent: 0, rescued: 0, bought: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<Channel>("email", "sms"), { minLength: 1, maxLength: 2 }),
        fc.array(op, { maxLength: 14 }),
        async (channels, ops) => {
          vi.useRealTimers();
          const s = await shopper(channels);
          await eventually(() => expect(s.queue.length).toBeGreaterThan(0), 25_000);
          const time = clock();
          let boughtAt = Number.POSITIVE_INFINITY;
          const requeued = new Set<string>();
          const pick = (i: number) => i % Math.max(1, s.queue.length);
          for (const o of ops) {
            if (o.t === "tick") time.tick(o.minutes * MINUTE);
            else if (o.t === "alarm") {
              const [before, claimed] = [s.queue.length, await s.rows()];
              await runDurableObjectAlarm(s.stub);
              for (const j of s.queue.slice(before)) if (claimed.some((r) => r.id === j.id)) requeued.add(j.id);
            } else if (o.t === "buy" && boughtAt === Number.POSITIVE_INFINITY) {
              await s.stub.order(s.site.id, s.email, { orderId: `o-${randomId()}`, total: 2500, at: Date.now() });
              boughtAt = Date.now();
              time.tick(1);
            } else if (s.queue.length && o.t === "deliver") {
              const [job] = s.queue.splice(pick(o.pick), 1) as [MailJob];
              await s.deliver(o.twice ? [job, job] : [job]);
            } else if (s.queue.length && o.t === "lose") s.queue.splice(pick(o.pick), 1);
            else if (s.queue.length && o.t === "late") s.queue.push(s.queue[pick(o.pick)] as MailJob);
          }
          // From here the queue loses nothing: within the longest wait between two rescues every
          // claim is sent, or cancelled by the consumer (the purchase).
          for (let round = 0; round < 3; round++) {
            await s.deliver(s.queue.splice(0));
            time.tick(61 * MINUTE);
            await runDurableObjectAlarm(s.stub);
          }
          await s.deliver(s.queue.splice(0));

          const ids = s.calls.map((c) => c.id);
          expect(new Set(ids).size).toBe(ids.length);
          expect(s.calls.filter((c) => c.at > boughtAt)).toEqual([]);
          const rows = await s.rows();
          expect(rows.filter((r) => r.status === "queued")).toEqual([]);
          expect((await s.person()).unconfirmed ?? []).toEqual([]);
          // With no purchase, every step was claimed and sent.
          if (boughtAt === Number.POSITIVE_INFINITY) expect(rows.map((r) => r.status)).toEqual(channels.map(() => "sent"));
          seen.runs++;
          seen.sent += ids.length;
          seen.rescued += requeued.size;
          if (boughtAt < Number.POSITIVE_INFINITY) seen.bought++;
          vi.useRealTimers();
          vi.unstubAllGlobals();
        },
      ),
      { numRuns: 25 },
    );
    // The runs did what they were meant to: sends, rescues and purchases all happened.
    expect(seen.sent).toBeGreaterThan(0);
    expect(seen.rescued).toBeGreaterThan(0);
    expect(seen.bought).toBeGreaterThan(0);
  }, 240_000);
});
