import { createMessageBatch } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { afterEach, expect, it, vi } from "vitest";
import { hmacHex } from "../../protocol/crypto";
import { standardSecret, verifyWebhook } from "../../server/webhooks";
import { ORIGIN, seedSite } from "../test/helpers";
import { deliverWebhooks } from "./deliver";
import type { WebhookJob } from "./send";

// Outgoing webhooks as Standard Webhooks (https://www.standardwebhooks.com/, spec:
// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md),
// checked with the reference JavaScript library (`standardwebhooks` on npm) and with our own verifier.

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const URL = "https://hooks.example/standard";

afterEach(() => void vi.useRealTimers());

type Attempt = { headers: Record<string, string>; body: string; status: number };

/** Runs one delivery of each job through the consumer; the endpoint answers `status(attempt)`. */
async function deliver(jobs: WebhookJob[], status: (a: Attempt) => number, seen: Attempt[], attempts = 1): Promise<void> {
  const batch = createMessageBatch<WebhookJob>(
    "cartback-webhooks",
    jobs.map((body, i) => ({ id: `q${i}`, timestamp: new Date(), attempts, body })),
  );
  for (const m of batch.messages) {
    m.retry = () => undefined;
    m.ack = () => undefined;
  }
  await deliverWebhooks(batch, env, async (_url, init) => {
    const attempt = { headers: Object.fromEntries(new Headers(init.headers)), body: init.body as string, status: 0 };
    attempt.status = status(attempt);
    seen.push(attempt);
    return new Response(null, { status: attempt.status });
  });
}

const job = (site: number, id: string): WebhookJob => ({ id, site, type: "recovery", createdAt: Date.now(), data: { orderId: id } });

it("every delivery verifies with the standardwebhooks library and with ours; webhook-id is the event's id, the old header is still sent", async () => {
  const site = await seedSite(env.DB, [ORIGIN], { webhook: { url: URL, secret: SECRET } });
  const seen: Attempt[] = [];
  await deliver([job(site.id, "wh_std_1")], () => 204, seen);
  const [{ headers, body }] = seen as [Attempt];
  expect(headers["webhook-id"]).toBe("wh_std_1");
  expect(Number(headers["webhook-timestamp"])).toBeCloseTo(Date.now() / 1000, -1);
  expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  expect(new Webhook(SECRET).verify(body, headers)).toMatchObject({ id: "wh_std_1", type: "recovery", site: site.key });
  expect(await verifyWebhook(SECRET, body, headers)).toMatchObject({ id: "wh_std_1" });
  expect(() => new Webhook("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").verify(body, headers)).toThrow(/No matching signature/);
  await expect(verifyWebhook(SECRET, body.replace("recovery", "recoverx"), headers)).rejects.toThrow(/no signature matches/);
  // Deprecated, one more release: as before, keyed with the secret's text.
  const t = headers["webhook-timestamp"];
  expect(headers["cartback-signature"]).toBe(`t=${t},v1=${await hmacHex(SECRET, `${t}.${body}`)}`);
});

it("retries carry the same webhook-id, each verifies, and an event answered 2xx is never sent again (property)", async () => {
  const site = await seedSite(env.DB, [ORIGIN], { webhook: { url: URL, secret: SECRET } });
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      // Per round, which events are (re)delivered and whether the endpoint answers 2xx to each.
      fc.array(fc.array(fc.record({ event: fc.nat({ max: 2 }), ok: fc.boolean() }), { minLength: 1, maxLength: 4 }), {
        minLength: 1,
        maxLength: 4,
      }),
      async (rounds) => {
        run++;
        const seen: Attempt[] = [];
        for (const [r, round] of rounds.entries()) {
          const answers = new Map(round.map(({ event, ok }) => [`wh_p${run}_${event}`, ok ? 200 : 503]));
          const jobs = [...answers.keys()].map((id) => job(site.id, id));
          await deliver(jobs, (a) => answers.get(a.headers["webhook-id"] as string) ?? 500, seen, r + 1);
        }
        for (const { headers, body } of seen) {
          expect(JSON.parse(body).id).toBe(headers["webhook-id"]);
          expect(new Webhook(SECRET).verify(body, headers)).toMatchObject({ id: headers["webhook-id"] });
        }
        const delivered = seen.filter((a) => a.status < 300).map((a) => a.headers["webhook-id"]);
        expect(new Set(delivered).size).toBe(delivered.length); // nothing doubled
        const ids = new Set(rounds.flat().map(({ event }) => `wh_p${run}_${event}`));
        const attempted = new Set(seen.map((a) => a.headers["webhook-id"]));
        expect(attempted).toEqual(ids); // nothing lost: every event was tried
      },
    ),
    { numRuns: 15 },
  );
});

const merchant = (key: string, path: string, init: RequestInit = {}) =>
  exports.default.fetch(`https://collector.test/v1/sites/${key}${path}`, {
    ...init,
    headers: { authorization: `Bearer sk_${key}`, "content-type": "application/json" },
  });

it("a rotation signs with both secrets for a day, then with the new one only; a secret from before whsec_ keeps working", async () => {
  const OLD = "legacy-secret-0123456789"; // set before whsec_ secrets: no prefix
  const site = await seedSite(env.DB, [ORIGIN], { webhook: { url: URL, secret: OLD } });
  const before = (await (await merchant(site.key, "/webhook-secret")).json()) as { secret: string };
  expect(before).toEqual({ secret: standardSecret(OLD) });

  const seen: Attempt[] = [];
  await deliver([job(site.id, "wh_rot_0")], () => 204, seen);
  for (const verifier of [new Webhook(before.secret), new Webhook(OLD, { format: "raw" })])
    expect(verifier.verify(seen[0]?.body as string, seen[0]?.headers as Record<string, string>)).toMatchObject({ id: "wh_rot_0" });

  const rotated = await merchant(site.key, "/webhook-secret", { method: "POST" });
  expect(rotated.status).toBe(201);
  const { secret, previousSignsUntil } = (await rotated.json()) as { secret: string; previousSignsUntil: number };
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
  expect(previousSignsUntil - Date.now()).toBeGreaterThan(24 * 3600_000 - 60_000);

  await deliver([job(site.id, "wh_rot_1")], () => 204, seen);
  const during = seen[1] as Attempt;
  expect(during.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
  for (const s of [secret, before.secret]) expect(new Webhook(s).verify(during.body, during.headers)).toMatchObject({ id: "wh_rot_1" });
  expect(await verifyWebhook(before.secret, during.body, during.headers)).toMatchObject({ id: "wh_rot_1" });

  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(previousSignsUntil + 1);
  await deliver([job(site.id, "wh_rot_2")], () => 204, seen);
  const after = seen[2] as Attempt;
  expect(after.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
  expect(new Webhook(secret).verify(after.body, after.headers)).toMatchObject({ id: "wh_rot_2" });
  expect(() => new Webhook(before.secret).verify(after.body, after.headers)).toThrow(/No matching signature/);
  expect(await (await merchant(site.key, "/webhook-secret")).json()).toEqual({ secret });
});

it("a secret changed through the settings overlaps too; a previous secret in the patch is not taken", async () => {
  const site = await seedSite(env.DB, [ORIGIN], { webhook: { url: URL, secret: SECRET } });
  const NEXT = "whsec_bmV4dC1zZWNyZXQtMDEyMzQ1Njc4OWFi";
  const patch = { webhook: { url: URL, secret: NEXT, previous: { secret: "whsec_c3RvbGVuLXNlY3JldC0wMTIzNDU2Nzg5", until: 9e12 } } };
  const res = await merchant(site.key, "/settings", { method: "PATCH", body: JSON.stringify(patch) });
  expect(res.status).toBe(200);
  const seen: Attempt[] = [];
  await deliver([job(site.id, "wh_patch")], () => 204, seen);
  const [{ headers, body }] = seen as [Attempt];
  for (const s of [NEXT, SECRET]) expect(new Webhook(s).verify(body, headers)).toMatchObject({ id: "wh_patch" });
  expect(() => new Webhook("whsec_c3RvbGVuLXNlY3JldC0wMTIzNDU2Nzg5").verify(body, headers)).toThrow(/No matching signature/);
});

it("a site without a webhook has no secret to rotate", async () => {
  const site = await seedSite(env.DB, [ORIGIN]);
  const res = await merchant(site.key, "/webhook-secret", { method: "POST" });
  expect(res.status).toBe(404);
  expect(await res.json()).toMatchObject({ error: { code: "no_webhook" } });
});
