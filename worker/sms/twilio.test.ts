import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSuppressed } from "../db/suppressions";
import { count, seedSite } from "../test/helpers";
import { ACCOUNT_SID, AUTH_TOKEN, type SimulatedTwilio, simulatedTwilio, type TwilioBehaviour } from "../test/twilio";
import { PermanentSmsError, type Sms } from "./provider";
import { smsProviderFor } from "./providers";
import { type TwilioConfig, twilioSms } from "./twilio";

const FROM = "+15005550006";

/** A clock the test moves, and the waits the adapter asked for (taken at once). */
function clock(start = Date.UTC(2026, 11, 1, 22)) {
  let t = start;
  const waits: number[] = [];
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    waits,
    sleep: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
  };
}

function setup(overrides: Partial<TwilioConfig> = {}) {
  const time = clock();
  const twilio = simulatedTwilio(time.now);
  const config: TwilioConfig = {
    accountSid: ACCOUNT_SID,
    username: ACCOUNT_SID,
    password: AUTH_TOKEN,
    from: FROM,
    db: env.DB,
    now: time.now,
    sleep: time.sleep,
    timeoutMs: 30,
    leaseMs: 120_000,
    statusCallback: async (sms) => `https://collector.example/v1/sms/twilio/status?site=pk_${sms.site}`,
    ...overrides,
  };
  return { time, twilio, config, provider: twilioSms(config, twilio.fetch) };
}

/** The i-th element, which the test expects to be there. */
function nth<T>(xs: T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`expected at least ${i + 1} of them, got ${xs.length}`);
  return x;
}

let texts = 0;
const textFor = (site: number, to = "+34600111222"): Sms => {
  const id = `sms_${++texts}_${crypto.randomUUID()}`;
  // The body carries the text's own restore link, as the sequence's texts do: no two bodies alike.
  return { id, site, to, body: `Tu carrito te espera: https://c.example/r/${id} STOP para no recibir más` };
};

const created = (twilio: SimulatedTwilio, sms: Sms) => twilio.messages.filter((m) => m.body === sms.body);
const creates = (twilio: SimulatedTwilio) => twilio.requests.filter((r) => r.method === "POST");

describe("Twilio's Messages API", () => {
  it("sends a form-encoded create with Basic auth, the sender, the body and the site's status callback", async () => {
    const site = await seedSite(env.DB);
    const { twilio, provider } = setup();
    const sms = { ...textFor(site.id), body: "Olá & até já: 50% off? https://c.example/r/x=1&y=2 ✓" };
    const { providerId } = await provider.send(sms);
    expect(providerId).toMatch(/^SM[0-9a-f]{32}$/);
    const request = nth(twilio.requests, 0);
    // https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource: POST, form body.
    expect(request.method).toBe("POST");
    expect(request.url).toBe(`https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    // https://www.twilio.com/docs/iam/api#authenticate-with-http: HTTP Basic, SID as user, token as password.
    expect(request.authorization).toBe(`Basic ${btoa(`${ACCOUNT_SID}:${AUTH_TOKEN}`)}`);
    expect(request.contentType).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(request.form)).toEqual({
      To: sms.to,
      From: FROM,
      Body: sms.body,
      StatusCallback: `https://collector.example/v1/sms/twilio/status?site=pk_${site.id}`,
    });
    expect(twilio.messages).toHaveLength(1);
    expect(nth(twilio.messages, 0)).toMatchObject({ sid: providerId, body: sms.body, to: sms.to });
  });

  it("names a Messaging Service instead of a number when it has one, and authenticates with an API key", async () => {
    const site = await seedSite(env.DB);
    const service = `MG${"0f".repeat(16)}`;
    const { twilio, provider } = setup({ messagingServiceSid: service, username: "SKkey", password: "key-secret" });
    await provider.send(textFor(site.id));
    expect(nth(twilio.requests, 0).form.get("MessagingServiceSid")).toBe(service);
    expect(nth(twilio.requests, 0).form.has("From")).toBe(false);
    expect(nth(twilio.requests, 0).authorization).toBe(`Basic ${btoa("SKkey:key-secret")}`);
  });

  it("sends a text once however often its id is sent again, without asking Twilio again", async () => {
    const site = await seedSite(env.DB);
    const { twilio, provider } = setup();
    const sms = textFor(site.id);
    const first = await provider.send(sms);
    const again = await provider.send(sms);
    const fresh = await setup().provider.send(sms); // another isolate: it knows only what D1 knows
    expect(again).toEqual(first);
    expect(fresh).toEqual(first);
    expect(creates(twilio)).toHaveLength(1);
    expect(twilio.messages).toHaveLength(1);
  });

  it("retries a 429 once after its Retry-After, and never creates two", async () => {
    const site = await seedSite(env.DB);
    const { twilio, provider, time } = setup();
    twilio.script = ["429"];
    const sms = textFor(site.id);
    const { providerId } = await provider.send(sms);
    expect(time.waits).toEqual([2000]);
    expect(creates(twilio)).toHaveLength(2);
    expect(twilio.requests.filter((r) => r.method === "GET")).toHaveLength(0); // a 429 created nothing: no look-up
    expect(created(twilio, sms).map((m) => m.sid)).toEqual([providerId]);
  });

  it("leaves a Retry-After past its patience to the queue, and the next attempt sends at once", async () => {
    const site = await seedSite(env.DB);
    const { twilio, provider, time } = setup({ maxWaitMs: 1000 });
    twilio.script = ["429"];
    const sms = textFor(site.id);
    await expect(provider.send(sms)).rejects.toThrow(/429/);
    expect(time.waits).toEqual([]);
    expect(await provider.send(sms)).toEqual({ providerId: nth(twilio.messages, 0).sid });
    expect(twilio.messages).toHaveLength(1);
  });

  for (const [failure, existed] of [
    ["500", false],
    ["503", false],
    ["timeout", false],
    ["network", false],
    ["500-created", true],
    ["timeout-created", true],
  ] as [TwilioBehaviour, boolean][]) {
    it(`looks the message up after a ${failure} and ${existed ? "returns the one Twilio made" : "retries once"}: one message either way`, async () => {
      const site = await seedSite(env.DB);
      const { twilio, provider } = setup();
      twilio.script = [failure];
      const sms = textFor(site.id);
      const { providerId } = await provider.send(sms);
      expect(created(twilio, sms).map((m) => m.sid)).toEqual([providerId]);
      expect(creates(twilio)).toHaveLength(existed ? 1 : 2);
      const lookups = twilio.requests.filter((r) => r.method === "GET");
      expect(lookups).toHaveLength(1);
      // https://www.twilio.com/docs/messaging/api/message-resource#read-multiple-message-resources
      expect(Object.fromEntries(nth(lookups, 0).form)).toEqual({ To: sms.to, PageSize: "50" });
    });
  }

  it("retries an ambiguous failure once only, and the next attempt looks up before it sends", async () => {
    const site = await seedSite(env.DB);
    const { twilio, provider, time } = setup();
    twilio.script = ["500", "timeout-created"];
    const sms = textFor(site.id);
    await expect(provider.send(sms)).rejects.toThrow(/could not be reached/);
    expect(creates(twilio)).toHaveLength(2);
    time.advance(1000);
    // The redelivery finds what the timed-out retry created, and sends nothing more.
    const { providerId } = await provider.send(sms);
    expect(created(twilio, sms).map((m) => m.sid)).toEqual([providerId]);
    expect(creates(twilio)).toHaveLength(2);
  });

  it("does not send while an earlier attempt may still be running, and takes over once it cannot be", async () => {
    const site = await seedSite(env.DB);
    const { twilio, provider, time } = setup();
    twilio.script = ["500", "500"];
    const sms = textFor(site.id);
    await expect(provider.send(sms)).rejects.toThrow(/500/);
    await expect(provider.send(sms)).rejects.toThrow(/may still be running/);
    time.advance(120_000);
    const { providerId } = await provider.send(sms);
    expect(created(twilio, sms).map((m) => m.sid)).toEqual([providerId]);
  });

  it("never takes another text's message for its own when two texts read the same", async () => {
    const site = await seedSite(env.DB);
    const { twilio, provider } = setup();
    const first = textFor(site.id);
    const second = { ...textFor(site.id), body: first.body };
    const a = await provider.send(first);
    twilio.script = ["500"]; // nothing created: the look-up sees only the first text's message
    const b = await provider.send(second);
    expect(b.providerId).not.toBe(a.providerId);
    expect(created(twilio, first).map((m) => m.sid)).toEqual([a.providerId, b.providerId]);
  });

  it("refuses for good on 21610 and suppresses the number; 21211 marks it undeliverable; 21408 suppresses nothing", async () => {
    const site = await seedSite(env.DB);
    for (const [code, to, why] of [
      ["21610", "+34600000001", "stop"],
      ["21211", "+34600000002", "undeliverable"],
      ["21408", "+34600000003", undefined],
    ] as const) {
      const { twilio, provider } = setup();
      twilio.script = [code];
      const sms = textFor(site.id, to);
      const refusal = await provider.send(sms).catch((e: Error) => e);
      expect(refusal).toBeInstanceOf(PermanentSmsError);
      expect((refusal as Error).message).toContain(code);
      expect(creates(twilio)).toHaveLength(1); // never retried
      expect(await isSuppressed(env.DB, site.id, to)).toBe(why !== undefined);
      if (why)
        expect(
          await count(env.DB, "SELECT count(*) AS n FROM sms_suppressions WHERE site_id = ? AND phone = ? AND why = ?", site.id, to, why),
        ).toBe(1);
    }
  });

  it("is what SMS_PROVIDER=twilio picks, with the collector's public status URL; missing secrets are named", async () => {
    const site = await seedSite(env.DB);
    const twilio = simulatedTwilio();
    const twilioEnv = { ...env, SMS_PROVIDER: "twilio", TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_FROM: FROM };
    await smsProviderFor({ ...twilioEnv, PUBLIC_URL: "https://collector.example/" }, twilio.fetch).send(textFor(site.id));
    expect(nth(twilio.requests, 0).form.get("StatusCallback")).toBe(`https://collector.example/v1/sms/twilio/status?site=${site.key}`);
    expect(() => smsProviderFor({ ...env, SMS_PROVIDER: "twilio" })).toThrow(
      "SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID",
    );
    expect(() => smsProviderFor({ ...twilioEnv, TWILIO_API_KEY_SID: "SKx" })).toThrow(/both TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET/);
  });
});

describe("a text's id against any failures, redeliveries and crashes", () => {
  const behaviour = fc.constantFrom<TwilioBehaviour>(
    "ok",
    "slow",
    "429",
    "500",
    "503",
    "500-created",
    "timeout",
    "timeout-created",
    "network",
    "crash",
  );
  /** One delivery of the job: its create calls' behaviours, how long after the last it comes, and whether a second copy runs beside it. */
  const delivery = fc.record({
    script: fc.array(behaviour, { minLength: 1, maxLength: 3 }),
    after: fc.constantFrom(0, 1_000, 60_000, 121_000, 3_600_000),
    twin: fc.boolean(),
    listFailures: fc.constantFrom(0, 0, 0, 1),
  });

  it("creates at most one message, every answer names it, and a calm redelivery always ends with it", async () => {
    const site = await seedSite(env.DB);
    await fc.assert(
      fc.asyncProperty(fc.array(delivery, { minLength: 1, maxLength: 6 }), async (deliveries) => {
        const { twilio, provider, time } = setup({ maxWaitMs: 5_000 });
        const sms = textFor(site.id);
        const answers: string[] = [];
        /** A crashed attempt never ends: give it up after its requests are done, as the runtime would. */
        const attempt = () =>
          Promise.race([
            provider.send(sms).then(
              (r) => answers.push(r.providerId),
              () => undefined,
            ),
            new Promise((resolve) => setTimeout(resolve, 300)),
          ]);
        for (const d of deliveries) {
          time.advance(d.after);
          twilio.script = [...d.script];
          twilio.listFailures = d.listFailures;
          await Promise.all(d.twin ? [attempt(), attempt()] : [attempt()]);
        }
        // Then Twilio is well and the queue redelivers once the claim can be stale.
        twilio.script = [];
        twilio.listFailures = 0;
        time.advance(121_000);
        await attempt();
        const made = created(twilio, sms).map((m) => m.sid);
        expect(made).toHaveLength(1);
        expect(new Set(answers)).toEqual(new Set(made));
        expect(answers.length).toBeGreaterThan(0);
      }),
      { numRuns: 60 },
    );
    // A crashed attempt is given up after 300 ms: on a busy 2-core machine 60 histories take 5-11 s.
  }, 120_000);
});
