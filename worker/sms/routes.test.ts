import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { smsStatusOf, smsStatusOfText } from "../db/sms-statuses";
import { isSuppressed } from "../db/suppressions";
import { app } from "../index";
import { count, seedSite } from "../test/helpers";
import { ACCOUNT_SID, AUTH_TOKEN, simulatedTwilio } from "../test/twilio";
import { twilioUrls } from "./providers";
import { twilioSignature } from "./signature";
import { STATUS_RANK } from "./status";
import { twilioSms } from "./twilio";

const PUBLIC = "https://collector.example";
const twilioEnv = { ...env, PUBLIC_URL: PUBLIC, TWILIO_AUTH_TOKEN: AUTH_TOKEN };
const hex32 = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

/** A POST as Twilio makes it: form-encoded, signed over the URL and the sorted params. */
async function fromTwilio(
  url: string,
  params: Record<string, string>,
  opts: { token?: string; signature?: string | null; signedUrl?: string } = {},
) {
  const form = new URLSearchParams(params);
  const signature =
    opts.signature === undefined
      ? await twilioSignature(opts.token ?? AUTH_TOKEN, opts.signedUrl ?? url, Object.entries(params))
      : opts.signature;
  return app.request(
    url,
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...(signature !== null && { "x-twilio-signature": signature }) },
      body: form.toString(),
    },
    twilioEnv,
  );
}

/** The status callback's parameters (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status#step-1-set-up-a-status-callback-endpoint). */
const statusParams = (sid: string, status: string, errorCode?: string) => ({
  AccountSid: ACCOUNT_SID,
  ApiVersion: "2010-04-01",
  From: "+15005550006",
  MessageSid: sid,
  MessageStatus: status,
  SmsSid: sid,
  SmsStatus: status,
  To: "+34600111222",
  ...(errorCode && { ErrorCode: errorCode }),
});

/** An incoming message's parameters (https://www.twilio.com/docs/messaging/guides/webhook-request#parameters-in-twilios-request-to-your-application). */
const inboundParams = (from: string, body: string, extra: Record<string, string> = {}) => ({
  ToCountry: "ES",
  ToState: "",
  SmsMessageSid: `SM${hex32()}`,
  NumMedia: "0",
  ToCity: "",
  FromZip: "",
  SmsSid: `SM${hex32()}`,
  FromState: "",
  SmsStatus: "received",
  FromCity: "",
  Body: body,
  FromCountry: "ES",
  To: "+34911000000",
  MessagingServiceSid: `MG${hex32()}`,
  ToZip: "",
  NumSegments: "1",
  MessageSid: `SM${hex32()}`,
  AccountSid: ACCOUNT_SID,
  From: from,
  ApiVersion: "2010-04-01",
  ...extra,
});

describe("Twilio's signature", () => {
  it("matches the example Twilio publishes", async () => {
    // https://www.twilio.com/docs/usage/security#validating-requests: this URL, these params and the
    // Auth Token 12345 sign as 0/KCTR6DLpKmkAf8muzZqo1nDgQ=.
    const params: [string, string][] = [
      ["CallSid", "CA1234567890ABCDE"],
      ["Caller", "+12349013030"],
      ["Digits", "1234"],
      ["From", "+12349013030"],
      ["To", "+18005551212"],
    ];
    expect(await twilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)).toBe("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    expect(await twilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", [...params].reverse())).toBe(
      "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
    );
  });

  it("refuses a forged, tampered, missing, re-addressed or unverifiable callback with a 403 naming why, and stores nothing", async () => {
    const site = await seedSite(env.DB);
    const other = await seedSite(env.DB);
    const url = twilioUrls(PUBLIC, site.key).status;
    const sid = `SM${hex32()}`;
    const params = statusParams(sid, "delivered");
    const cases: [string, Promise<Response>][] = [
      ["missing_signature", fromTwilio(url, params, { signature: null })],
      ["invalid_signature", fromTwilio(url, params, { signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" })],
      ["invalid_signature", fromTwilio(url, params, { token: "not-the-auth-token" })],
      // Signed for another site's URL: the site in the query is part of what is signed.
      ["invalid_signature", fromTwilio(url, params, { signedUrl: twilioUrls(PUBLIC, other.key).status })],
      [
        "twilio_not_configured",
        Promise.resolve(
          app.request(
            url,
            { method: "POST", headers: { "x-twilio-signature": "x" }, body: new URLSearchParams(params).toString() },
            { ...env },
          ),
        ),
      ],
    ];
    // A parameter changed after signing.
    const signed = await twilioSignature(AUTH_TOKEN, url, Object.entries(params));
    cases.push(["invalid_signature", fromTwilio(url, { ...params, MessageStatus: "failed" }, { signature: signed })]);
    for (const [code, pending] of cases) {
      const res = await pending;
      expect(res.status, code).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code, message: expect.any(String) } });
    }
    expect(await smsStatusOf(env.DB, sid)).toBeNull();
  });

  it("accepts the URL as PUBLIC_URL names it when a proxy hands the collector another one", async () => {
    const site = await seedSite(env.DB);
    const sid = `SM${hex32()}`;
    const local = `http://127.0.0.1:8787/v1/sms/twilio/status?site=${site.key}`;
    const res = await fromTwilio(local, statusParams(sid, "sent"), { signedUrl: twilioUrls(PUBLIC, site.key).status });
    expect(res.status).toBe(200);
    expect(await smsStatusOf(env.DB, sid)).toMatchObject({ status: "sent", site_id: site.id });
  });
});

describe("status callbacks", () => {
  it("store a text's status by sid, with its error code, readable by our own id", async () => {
    const site = await seedSite(env.DB);
    const twilio = simulatedTwilio();
    const provider = twilioSms(
      {
        accountSid: ACCOUNT_SID,
        username: ACCOUNT_SID,
        password: AUTH_TOKEN,
        from: "+15005550006",
        db: env.DB,
        statusCallback: async () => twilioUrls(PUBLIC, site.key).status,
      },
      twilio.fetch,
    );
    const sms = { id: `sms_${crypto.randomUUID()}`, site: site.id, to: "+34600111222", body: `Tu carrito: https://c.example/r/${hex32()}` };
    const { providerId } = await provider.send(sms);
    expect(await smsStatusOfText(env.DB, sms.id)).toBeNull();
    // Twilio calls the StatusCallback the create call named.
    const callback = twilio.messages[0]?.status_callback as string;
    const res = await fromTwilio(callback, statusParams(providerId, "undelivered", "30003"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(await smsStatusOfText(env.DB, sms.id)).toMatchObject({
      provider_id: providerId,
      site_id: site.id,
      status: "undelivered",
      error_code: 30003,
    });
  });

  it("refuse a callback that names no message or an unknown status with a 422 naming the field, and store nothing", async () => {
    const site = await seedSite(env.DB);
    const url = twilioUrls(PUBLIC, site.key).status;
    const sid = `SM${hex32()}`;
    const cases: [Record<string, string>, string][] = [
      [{ ...statusParams(sid, "delivered"), MessageSid: "not-a-sid", SmsSid: "not-a-sid" }, "MessageSid"],
      [{ ...statusParams(sid, "vanished") }, "MessageStatus"],
      [{ ...statusParams(sid, "failed"), ErrorCode: "thirty" }, "ErrorCode"],
    ];
    for (const [params, field] of cases) {
      const res = await fromTwilio(url, params);
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({
        error: { code: "invalid_status_callback", issues: [expect.objectContaining({ path: field })] },
      });
    }
    const unknown = await fromTwilio(`${PUBLIC}/v1/sms/twilio/status?site=pk_no_such_site`, statusParams(sid, "sent"));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "unknown_site_key" } });
    expect(await smsStatusOf(env.DB, sid)).toBeNull();
  });

  it("end on the highest status whatever order and how often they come (a late sent never replaces delivered)", async () => {
    const site = await seedSite(env.DB);
    const url = twilioUrls(PUBLIC, site.key).status;
    const statuses = Object.keys(STATUS_RANK);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...statuses), { minLength: 1, maxLength: 8 }), async (reported) => {
        const sid = `SM${hex32()}`;
        const code = (s: string) => (s === "failed" ? "30008" : s === "undelivered" ? "30003" : undefined);
        for (const s of reported) expect((await fromTwilio(url, statusParams(sid, s, code(s)))).status).toBe(200);
        const highest = reported.reduce((a, b) => ((STATUS_RANK[b] ?? 0) > (STATUS_RANK[a] ?? 0) ? b : a));
        const stored = await smsStatusOf(env.DB, sid);
        expect(stored?.status).toBe(highest);
        expect(stored?.error_code).toBe(code(highest) === undefined ? null : Number(code(highest)));
      }),
      { numRuns: 40 },
    );
  });
});

describe("incoming messages", () => {
  const EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

  it("suppress the sender for good on any of Twilio's opt-out keywords, in any case and spacing, and answer empty TwiML", async () => {
    const site = await seedSite(env.DB);
    const url = twilioUrls(PUBLIC, site.key).inbound;
    const words = ["STOP", "stop", " Stop\n", "STOPALL", "stop all", "Unsubscribe", "CANCEL", "end", "Quit", "REVOKE", "optout"];
    for (const [i, word] of words.entries()) {
      const from = `+3460000${String(1000 + i)}`;
      const res = await fromTwilio(url, inboundParams(from, word));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/xml");
      expect(await res.text()).toBe(EMPTY);
      expect(await isSuppressed(env.DB, site.id, from), word).toBe(true);
      expect(
        await count(env.DB, "SELECT count(*) AS n FROM sms_suppressions WHERE site_id = ? AND phone = ? AND why = 'stop'", site.id, from),
      ).toBe(1);
    }
  });

  it("suppress on Advanced Opt-Out's OptOutType=STOP for the merchant's own keyword", async () => {
    const site = await seedSite(env.DB);
    // https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out: a custom keyword arrives with OptOutType.
    const res = await fromTwilio(twilioUrls(PUBLIC, site.key).inbound, inboundParams("+34600222333", "BAJA", { OptOutType: "STOP" }));
    expect(res.status).toBe(200);
    expect(await isSuppressed(env.DB, site.id, "+34600222333")).toBe(true);
  });

  it("store nothing for anything else, for a forged STOP, or for another site", async () => {
    const site = await seedSite(env.DB);
    const other = await seedSite(env.DB);
    const url = twilioUrls(PUBLIC, site.key).inbound;
    for (const body of ["hello", "Stop texting me", "START", "HELP", "", "STOP!"]) {
      const res = await fromTwilio(url, inboundParams("+34600333444", body));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(EMPTY);
    }
    expect((await fromTwilio(url, inboundParams("whatsapp:+34600333445", "STOP"))).status).toBe(200);
    const forged = await fromTwilio(url, inboundParams("+34600333446", "STOP"), { token: "guessed" });
    expect(forged.status).toBe(403);
    await fromTwilio(url, inboundParams("+34600333447", "STOP"));
    expect(await isSuppressed(env.DB, other.id, "+34600333447")).toBe(false);
    expect(await count(env.DB, "SELECT count(*) AS n FROM sms_suppressions WHERE site_id = ? AND phone <> '+34600333447'", site.id)).toBe(
      0,
    );
    const noFrom = await fromTwilio(url, { Body: "STOP", AccountSid: ACCOUNT_SID });
    expect(noFrom.status).toBe(422);
    expect(await noFrom.json()).toMatchObject({ error: { code: "invalid_message", issues: [{ path: "From" }] } });
  });
});

describe("anything posted to Twilio's routes", () => {
  it("never gets a 5xx; a refusal is a JSON error and stores nothing", async () => {
    const site = await seedSite(env.DB);
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom("STOP", "delivered", "sent", "+34600111222", `SM${"ab".repeat(16)}`, "", "\u0000", "%ZZ"),
    );
    const params = fc.dictionary(
      fc.oneof(
        fc.constantFrom("MessageSid", "MessageStatus", "SmsStatus", "ErrorCode", "From", "Body", "OptOutType", "To"),
        fc.string({ maxLength: 12 }),
      ),
      text,
      { maxKeys: 8 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("status", "inbound"),
        params,
        fc.constantFrom<"valid" | "forged" | "none" | "other-token">("valid", "valid", "forged", "none", "other-token"),
        fc.constantFrom(site.key, "pk_no_such_site", "", "not a key", undefined),
        fc.constantFrom("application/x-www-form-urlencoded", "application/json", "text/plain", undefined),
        async (route, form, signing, key, contentType) => {
          const before = await count(env.DB, "SELECT (SELECT count(*) FROM sms_statuses) + (SELECT count(*) FROM sms_suppressions) AS n");
          const url = `${PUBLIC}/v1/sms/twilio/${route}${key === undefined ? "" : `?site=${encodeURIComponent(key)}`}`;
          const signature =
            signing === "none"
              ? undefined
              : signing === "forged"
                ? "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
                : await twilioSignature(signing === "valid" ? AUTH_TOKEN : "other", url, Object.entries(form));
          const res = await app.request(
            url,
            {
              method: "POST",
              headers: { ...(contentType && { "content-type": contentType }), ...(signature && { "x-twilio-signature": signature }) },
              body: new URLSearchParams(form).toString(),
            },
            twilioEnv,
          );
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) {
            expect(await res.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
            expect(await count(env.DB, "SELECT (SELECT count(*) FROM sms_statuses) + (SELECT count(*) FROM sms_suppressions) AS n")).toBe(
              before,
            );
          }
          if (signing !== "valid") expect(res.status).toBe(403);
        },
      ),
      { numRuns: 300 },
    );
  });
});
