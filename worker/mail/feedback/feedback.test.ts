import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { count, eventually, ORIGIN, postEvents, randomId, seedSite } from "../../test/helpers";
import {
  type Kind,
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
import { abandon, deliver, MINUTE, messagesOf } from "../../test/recovery";
import { forgetSigningKeys, snsNetwork } from "./sns";

// One step, so a sequence ends with its email and the same person's next abandonment starts a new
// one (up to 5 a day): only a suppression can keep that second email from going out.
const settings = { abandonAfterMinutes: 1, holdoutPercent: 0, maxSequencesPerDay: 5, steps: [{ afterMinutes: 0 }] };

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

/** A site with every provider's feedback keys set through the merchant API. */
async function feedbackSite(extra = {}) {
  const site = await seedSite(env.DB, [ORIGIN], { ...settings, ...extra });
  const { exports } = await import("cloudflare:workers");
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

const outbox = (email: string) => count(env.DB, `SELECT count(*) AS n FROM dev_outbox WHERE "to" = ?`, email);

const browsers = new Map<string, string>();

/**
 * The person abandons a cart. After the first time, the browser of the last one emptied its cart
 * first (8 minutes ago, the new cart 5): a new purchase intent, so a new sequence unless suppressed.
 */
async function abandonAgain(key: string, email: string, n: number) {
  const last = browsers.get(email);
  if (last) {
    const empty = {
      id: randomId(),
      at: Date.now() - 8 * MINUTE,
      type: "cart",
      action: "set",
      cart: { currency: "EUR", lines: [] },
    } as const;
    expect((await postEvents(key, { aid: last, sentAt: Date.now(), events: [empty] })).status).toBe(202);
  }
  const lines = [{ id: `item-${n}`, name: `Item ${n}`, price: 1000 + n, quantity: 1 }];
  browsers.set(email, await abandon(key, email, { lines, minutesAgo: last ? 5 : 10 }));
}

/** The shopper abandons and the mail consumer sends the step it claimed: the message sent. */
async function abandonAndSend(key: string, email: string, n: number) {
  await abandonAgain(key, email, n);
  const rows = await eventually(async () => {
    const { results } = await messagesOf(email);
    expect(results.length).toBe(n);
    return results;
  }, 15_000);
  const latest = rows.find((m) => m.status === "queued") as (typeof rows)[number];
  await deliver([{ kind: "recovery", id: latest.id, site: latest.site_id, email }]);
  expect(await outbox(email)).toBe(n);
  return latest;
}

/** Sends one provider's feedback of `kind` about a message, signed as that provider signs. */
async function feedback(provider: string, kind: Kind, ids: { email: string; messageId?: string; siteKey: string }) {
  if (provider === "resend") return sendResend(ids.siteKey, resendBody(kind, ids));
  if (provider === "postmark") return sendPostmark(ids.siteKey, postmarkBody(kind, ids));
  return sendSns(ids.siteKey, await snsEnvelope("Notification", sesMessage(kind, ids)));
}

describe("done when: signed feedback suppresses, and the next abandonment sends nothing", () => {
  for (const provider of ["resend", "postmark", "ses"]) {
    for (const kind of ["hard_bounce", "complained"] as const) {
      it(`${provider}: a ${kind.replace("_", " ")}`, async () => {
        const site = await feedbackSite();
        const email = `${provider}.${kind}@example.com`;
        const message = await abandonAndSend(site.key, email, 1);
        const res = await feedback(provider, kind, { email, messageId: message.id, siteKey: site.key });
        expect(res.status).toBe(200);
        expect(await env.DB.prepare("SELECT outcome FROM messages WHERE id = ?").bind(message.id).first("outcome")).toBe(kind);
        expect(
          await env.DB.prepare("SELECT source FROM suppressions WHERE site_id = ? AND email = ?").bind(site.id, email).first("source"),
        ).toBe(kind === "hard_bounce" ? "bounce" : "complaint");
        // One complaint on one email is far over 0.3 %: sending paused; the merchant resumes, and
        // the address stays suppressed whatever the pause.
        if (kind === "complained") {
          const { exports } = await import("cloudflare:workers");
          await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/mail-feedback/resume`, {
            method: "POST",
            headers: { authorization: `Bearer sk_${site.key}` },
          });
        }
        await abandonAgain(site.key, email, 2);
        await new Promise((r) => setTimeout(r, 2500));
        const { results } = await messagesOf(email);
        for (const m of results.filter((r) => r.status === "queued"))
          await deliver([{ kind: "recovery", id: m.id, site: m.site_id, email }]);
        expect(await outbox(email)).toBe(1);
        expect(
          await count(env.DB, "SELECT count(*) AS n FROM sequences WHERE email = ? AND stop_reason IS NULL AND status = 'active'", email),
        ).toBe(0);
      });
    }
  }

  it("the control: after a delivery report, the same person's next abandonment is sent", async () => {
    const site = await feedbackSite();
    const email = "delivered.control@example.com";
    const message = await abandonAndSend(site.key, email, 1);
    expect((await feedback("resend", "delivered", { email, messageId: message.id, siteKey: site.key })).status).toBe(200);
    await abandonAndSend(site.key, email, 2);
  });
});
