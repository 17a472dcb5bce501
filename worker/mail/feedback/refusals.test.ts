import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { count, ORIGIN, seedSite } from "../../test/helpers";
import {
  POSTMARK_PASSWORD,
  POSTMARK_USER,
  postmarkBody,
  RESEND_SECRET,
  resendBody,
  SNS_CERT_URL,
  SNS_TOPIC,
  sendPostmark,
  sendResend,
  sendSns,
  sesMessage,
  snsCertificate,
  snsEnvelope,
} from "../../test/mail-feedback";
import { forgetSigningKeys, snsNetwork } from "./sns";
import { standardSignature } from "./standard-webhooks";

const visited: string[] = [];
beforeAll(async () => {
  const { pem } = await snsCertificate();
  snsNetwork.fetch = async (url) => {
    visited.push(url);
    if (url === SNS_CERT_URL) return new Response(pem);
    if (url.startsWith("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"))
      return new Response("<ConfirmSubscriptionResponse/>");
    return new Response("not found", { status: 404 });
  };
  forgetSigningKeys();
});

async function feedbackSite() {
  const site = await seedSite(env.DB, [ORIGIN], { holdoutPercent: 0 });
  const res = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/mail-feedback`, {
    method: "PUT",
    headers: { authorization: `Bearer sk_${site.key}`, "content-type": "application/json" },
    body: JSON.stringify({
      resendSecret: RESEND_SECRET,
      postmarkUser: POSTMARK_USER,
      postmarkPassword: POSTMARK_PASSWORD,
      sesTopicArns: [SNS_TOPIC],
    }),
  });
  expect(res.status).toBe(200);
  return site;
}

/** Nothing of the site's feedback stored: no suppression, no receipt, no soft bounce. */
const nothingStored = async (site: number) =>
  expect(
    (await count(env.DB, "SELECT count(*) AS n FROM suppressions WHERE site_id = ?", site)) +
      (await count(env.DB, "SELECT count(*) AS n FROM mail_feedback_receipts WHERE site_id = ?", site)) +
      (await count(env.DB, "SELECT count(*) AS n FROM mail_soft_bounces WHERE site_id = ?", site)),
  ).toBe(0);

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe("Standard Webhooks", () => {
  it("signs the specification's test vector as the specification does", async () => {
    // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md (and svix's libraries' tests)
    expect(
      await standardSignature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "1614265330",
        '{"test": 2432232314}',
      ),
    ).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });
});

describe("forged, replayed, stale or unsigned feedback is refused and nothing is stored", () => {
  const ids = (key: string) => ({ email: "victim@example.com", siteKey: key });

  it("Resend: unsigned, forged (another secret), tampered body, stale, future, replayed id", async () => {
    const site = await feedbackSite();
    const body = resendBody("hard_bounce", ids(site.key));
    const unsigned = await exports.default.fetch(`https://collector.test/v1/mail/resend/events?site=${site.key}`, { method: "POST", body });
    expect([unsigned.status, await errorOf(unsigned)]).toEqual([401, "missing_signature"]);
    const forged = await sendResend(site.key, body, { secret: "whsec_QW5vdGhlclNlY3JldEFub3RoZXJTZWNyZXQ=" });
    expect([forged.status, await errorOf(forged)]).toEqual([401, "invalid_signature"]);
    const id = "msg_tampered";
    const ts = String(Math.floor(Date.now() / 1000));
    const tampered = await exports.default.fetch(`https://collector.test/v1/mail/resend/events?site=${site.key}`, {
      method: "POST",
      headers: { "svix-id": id, "svix-timestamp": ts, "svix-signature": await standardSignature(RESEND_SECRET, id, ts, body) },
      body: body.replace("victim@", "other@"),
    });
    expect([tampered.status, await errorOf(tampered)]).toEqual([401, "invalid_signature"]);
    const stale = await sendResend(site.key, body, { at: Date.now() - 6 * 60_000 });
    expect([stale.status, await errorOf(stale)]).toEqual([400, "stale_timestamp"]);
    const future = await sendResend(site.key, body, { at: Date.now() + 6 * 60_000 });
    expect([future.status, await errorOf(future)]).toEqual([400, "stale_timestamp"]);
    await nothingStored(site.id);
    // A real delivery, then its id again with another body: a replay.
    expect((await sendResend(site.key, body, { id: "msg_once" })).status).toBe(200);
    const replayed = await sendResend(site.key, resendBody("hard_bounce", { ...ids(site.key), email: "someone.else@example.com" }), {
      id: "msg_once",
    });
    expect([replayed.status, await errorOf(replayed)]).toEqual([409, "replayed_id"]);
    expect(await count(env.DB, "SELECT count(*) AS n FROM suppressions WHERE email = 'someone.else@example.com'")).toBe(0);
    // The same delivery again (Resend retries a delivery it saw fail): answered, nothing changes.
    const again = await sendResend(site.key, body, { id: "msg_once" });
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    // The webhook-* header names are the same scheme.
    const ts2 = String(Math.floor(Date.now() / 1000));
    const other = resendBody("complained", { ...ids(site.key), email: "webhook.headers@example.com" });
    const viaWebhookHeaders = await exports.default.fetch(`https://collector.test/v1/mail/resend/events?site=${site.key}`, {
      method: "POST",
      headers: {
        "webhook-id": "msg_w",
        "webhook-timestamp": ts2,
        "webhook-signature": `v1,bm90IGl0 ${await standardSignature(RESEND_SECRET, "msg_w", ts2, other)}`,
      },
      body: other,
    });
    expect(viaWebhookHeaders.status).toBe(200);
  });

  it("Resend on a site without a signing secret: refused, not taken unsigned", async () => {
    const site = await seedSite(env.DB, [ORIGIN], {});
    const res = await sendResend(site.key, resendBody("hard_bounce", ids(site.key)));
    expect([res.status, await errorOf(res)]).toEqual([403, "feedback_not_configured"]);
    await nothingStored(site.id);
  });

  it("Postmark: no credentials, a wrong password, a replayed bounce ID", async () => {
    const site = await feedbackSite();
    const body = postmarkBody("hard_bounce", ids(site.key));
    const none = await sendPostmark(site.key, body, { auth: false });
    expect([none.status, await errorOf(none)]).toEqual([401, "invalid_credentials"]);
    expect(none.headers.get("www-authenticate")).toContain("Basic");
    const wrong = await sendPostmark(site.key, body, { password: `${POSTMARK_PASSWORD}x` });
    expect(wrong.status).toBe(401);
    await nothingStored(site.id);
    // The same bounce (its ID) with another recipient: a replay.
    expect((await sendPostmark(site.key, postmarkBody("hard_bounce", ids(site.key), 77))).status).toBe(200);
    const replayed = await sendPostmark(site.key, postmarkBody("hard_bounce", { ...ids(site.key), email: "other@example.com" }, 77));
    expect([replayed.status, await errorOf(replayed)]).toEqual([409, "replayed_id"]);
  });

  it("SES/SNS: unsigned, forged signature, a certificate from elsewhere, another topic, stale, a replayed MessageId", async () => {
    const site = await feedbackSite();
    const message = sesMessage("hard_bounce", ids(site.key));
    const signed = await snsEnvelope("Notification", message);
    const { Signature: _, ...unsigned } = signed;
    const res1 = await sendSns(site.key, unsigned as Record<string, string>);
    expect([res1.status, await errorOf(res1)]).toEqual([401, "missing_signature"]);
    const forged = await sendSns(site.key, { ...signed, Message: message.replace("victim@", "other@") });
    expect([forged.status, await errorOf(forged)]).toEqual([401, "invalid_signature"]);
    for (const certUrl of [
      "https://sns.eu-west-1.amazonaws.com.evil.test/cert.pem",
      "http://sns.eu-west-1.amazonaws.com/cert.pem",
      "https://evil.test/sns.eu-west-1.amazonaws.com.pem",
      "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
    ]) {
      const res = await sendSns(site.key, await snsEnvelope("Notification", message, { certUrl }));
      expect([res.status, await errorOf(res)]).toEqual([401, "untrusted_certificate_url"]);
    }
    expect(visited.some((u) => u.includes("evil") || u.startsWith("http:") || u.includes(":8443"))).toBe(false);
    const otherTopic = await sendSns(
      site.key,
      await snsEnvelope("Notification", message, { topic: "arn:aws:sns:eu-west-1:999999999999:theirs" }),
    );
    expect([otherTopic.status, await errorOf(otherTopic)]).toEqual([403, "unknown_topic"]);
    const stale = await sendSns(site.key, await snsEnvelope("Notification", message, { at: Date.now() - 2 * 3600_000 }));
    expect([stale.status, await errorOf(stale)]).toEqual([400, "stale_timestamp"]);
    await nothingStored(site.id);
    // Signature version 1 (SHA1) is taken too; its MessageId again with another message is a replay.
    const v1 = await snsEnvelope("Notification", message, { version: "1", id: "sns-once" });
    expect((await sendSns(site.key, v1)).status).toBe(200);
    const replay = await sendSns(
      site.key,
      await snsEnvelope("Notification", sesMessage("complained", { ...ids(site.key), email: "x@example.com" }), { id: "sns-once" }),
    );
    expect([replay.status, await errorOf(replay)]).toEqual([409, "replayed_id"]);
  });

  it("SNS subscription: confirmed by visiting SNS's SubscribeURL, and only that", async () => {
    const site = await feedbackSite();
    const confirm = await snsEnvelope("SubscriptionConfirmation", "You have chosen to subscribe to the topic …");
    const res = await sendSns(site.key, confirm);
    expect(res.status).toBe(200);
    expect(visited).toContain(confirm.SubscribeURL);
    const elsewhere = await snsEnvelope("SubscriptionConfirmation", "…");
    const tampered = { ...elsewhere, SubscribeURL: "https://evil.test/?Action=ConfirmSubscription" };
    const refused = await sendSns(site.key, tampered);
    expect(refused.status).toBe(401); // the SubscribeURL is signed: changing it breaks the signature
    expect(visited.some((u) => u.startsWith("https://evil.test"))).toBe(false);
  });

  it("bad bodies: not JSON, or not the provider's shape, are 4xx JSON and store nothing", async () => {
    const site = await feedbackSite();
    const notJson = await sendResend(site.key, "{nope");
    expect([notJson.status, await errorOf(notJson)]).toEqual([400, "invalid_json"]);
    const shape = await sendResend(site.key, JSON.stringify({ type: 7, data: {} }));
    expect([shape.status, await errorOf(shape)]).toEqual([422, "invalid_feedback"]);
    const pm = await sendPostmark(site.key, JSON.stringify({ Email: "x@example.com" }));
    expect([pm.status, await errorOf(pm)]).toEqual([422, "invalid_feedback"]);
    await nothingStored(site.id);
  });
});
