// @vitest-environment node
// `cartback/server`'s webhook verifier, for Node receivers, against the Standard Webhooks reference
// library (`standardwebhooks` on npm): each accepts what the other signs, and both refuse the same.
import { Webhook } from "standardwebhooks";
import { expect, it } from "vitest";
import { signWebhook, standardSecret, verifyWebhook, WebhookVerificationError } from "../server/token";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const body = JSON.stringify({ id: "wh_1", type: "recovery", createdAt: 1, site: "pk_shop", data: { orderId: "1001" } });

it("accepts what the reference library signs, given Node's header object", async () => {
  const now = new Date();
  const signature = new Webhook(SECRET).sign("wh_1", now, body);
  // node:http lower-cases header names: IncomingHttpHeaders
  const headers = { "webhook-id": "wh_1", "webhook-timestamp": String(Math.floor(+now / 1000)), "webhook-signature": signature };
  expect(await verifyWebhook(SECRET, body, headers)).toEqual(JSON.parse(body));
});

it("signs what the reference library accepts, with every secret of a rotation", async () => {
  const OTHER = "whsec_bmV4dC1zZWNyZXQtMDEyMzQ1Njc4OWFi";
  const headers = await signWebhook({ id: "wh_1", timestamp: Math.floor(Date.now() / 1000), body, secrets: [SECRET, OTHER] });
  for (const s of [SECRET, OTHER]) expect(new Webhook(s).verify(body, { ...headers })).toEqual(JSON.parse(body));
  expect(await verifyWebhook(OTHER, body, new Headers({ ...headers }))).toEqual(JSON.parse(body));
});

it("refuses what the reference library refuses: no headers, an old or future timestamp, another secret, a changed body", async () => {
  const at = Math.floor(Date.now() / 1000);
  const signed = (timestamp: number) => signWebhook({ id: "wh_1", timestamp, body, secrets: [SECRET] });
  const cases: [string, Record<string, string>, string, string][] = [
    ["no headers", {}, body, SECRET],
    ["6 minutes old", { ...(await signed(at - 360)) }, body, SECRET],
    ["6 minutes ahead", { ...(await signed(at + 360)) }, body, SECRET],
    ["another secret", { ...(await signed(at)) }, body, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["a changed body", { ...(await signed(at)) }, body.replace("1001", "1002"), SECRET],
  ];
  for (const [what, headers, payload, secret] of cases) {
    expect(() => new Webhook(secret).verify(payload, headers), what).toThrow();
    await expect(verifyWebhook(secret, payload, headers), what).rejects.toThrow(WebhookVerificationError);
  }
});

it("gives an older secret (no whsec_) the same key in its whsec_ form, so either verifies", async () => {
  const OLD = "legacy-secret-0123456789";
  const headers = await signWebhook({ id: "wh_1", timestamp: Math.floor(Date.now() / 1000), body, secrets: [OLD] });
  expect(standardSecret(OLD)).toBe(`whsec_${Buffer.from(OLD).toString("base64")}`);
  expect(new Webhook(standardSecret(OLD)).verify(body, { ...headers })).toEqual(JSON.parse(body));
  expect(await verifyWebhook(OLD, body, headers)).toEqual(JSON.parse(body));
});
