import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { ORIGIN, seedSite } from "../test/helpers";
import { deliverWebhooks, legacySignature } from "./deliver";
import type { WebhookJob } from "./send";

const SECRET = "whsec_0123456789abcdef";

async function verify(secret: string, header: string, body: string): Promise<boolean> {
  const [, t] = /t=(\d+)/.exec(header) ?? [];
  return header === (await legacySignature(secret, body, Number(t)));
}

it("posts signed JSON (HMAC-SHA256 over timestamp and body) and retries a failing endpoint", async () => {
  const site = await seedSite(env.DB, [ORIGIN], { webhook: { url: "https://hooks.example/cartback", secret: SECRET } });
  const job: WebhookJob = {
    id: "wh_1",
    site: site.id,
    type: "abandonment",
    createdAt: Date.now(),
    data: { email: "ana@example.com", value: 2500 },
  };
  const received: { url: string; headers: Headers; body: string }[] = [];
  let status = 500;
  const endpoint = async (url: string, init: RequestInit) => {
    received.push({ url, headers: new Headers(init.headers), body: init.body as string });
    return new Response(null, { status });
  };

  const first = createMessageBatch<WebhookJob>("cartback-webhooks", [{ id: "q1", timestamp: new Date(), attempts: 1, body: job }]);
  const retried: string[] = [];
  for (const m of first.messages) m.retry = () => void retried.push(m.id);
  await deliverWebhooks(first, env, endpoint);
  expect(retried).toEqual(["q1"]);

  status = 204;
  const second = createMessageBatch<WebhookJob>("cartback-webhooks", [{ id: "q1", timestamp: new Date(), attempts: 2, body: job }]);
  const acked: string[] = [];
  for (const m of second.messages) m.ack = () => void acked.push(m.id);
  await deliverWebhooks(second, env, endpoint);
  expect(acked).toEqual(["q1"]);

  const { url, headers, body } = received[1] as (typeof received)[number];
  expect(url).toBe("https://hooks.example/cartback");
  expect(JSON.parse(body)).toMatchObject({ id: "wh_1", type: "abandonment", site: site.key, data: { value: 2500 } });
  const signature = headers.get("cartback-signature") as string;
  expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  expect(await verify(SECRET, signature, body)).toBe(true);
  expect(await verify("another-secret-xyz", signature, body)).toBe(false);
  expect(await env.DB.prepare("SELECT attempts, last_status FROM webhook_deliveries WHERE id = 'wh_1'").first()).toEqual({
    attempts: 2,
    last_status: 204,
  });
});

it("gives up on an endpoint that never answers and retries the same event id, once it answers", async () => {
  const site = await seedSite(env.DB, [ORIGIN], { webhook: { url: "https://hooks.example/slow", secret: SECRET } });
  const job: WebhookJob = { id: "wh_slow", site: site.id, type: "click", createdAt: Date.now(), data: { email: "ana@example.com" } };
  const ids: string[] = [];
  let hang = true;
  // Takes the event, then never answers (and ignores the signal): the consumer must give up itself.
  const endpoint = (_url: string, init: RequestInit): Promise<Response> => {
    ids.push((JSON.parse(init.body as string) as { id: string }).id);
    return hang ? new Promise<Response>(() => undefined) : Promise.resolve(new Response(null, { status: 200 }));
  };
  const first = createMessageBatch<WebhookJob>("cartback-webhooks", [{ id: "q1", timestamp: new Date(), attempts: 1, body: job }]);
  const retried: string[] = [];
  for (const m of first.messages) m.retry = () => void retried.push(m.id);
  await deliverWebhooks(first, env, endpoint, 50);
  expect(retried).toEqual(["q1"]);
  expect(await env.DB.prepare("SELECT error FROM webhook_deliveries WHERE id = 'wh_slow'").first("error")).toMatch(/did not answer/);

  hang = false;
  const second = createMessageBatch<WebhookJob>("cartback-webhooks", [{ id: "q1", timestamp: new Date(), attempts: 2, body: job }]);
  const acked: string[] = [];
  for (const m of second.messages) m.ack = () => void acked.push(m.id);
  await deliverWebhooks(second, env, endpoint, 50);
  expect(acked).toEqual(["q1"]);
  // The receiver saw the event twice under one id: that id is what it de-duplicates by.
  expect(ids).toEqual(["wh_slow", "wh_slow"]);
});
