import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../index";
import { ORIGIN, seedSite } from "../test/helpers";
import type { MailJob } from "./job";
import { type Mail, PermanentMailError, resendMailer, toMime } from "./mailer";

const mail: Mail = {
  id: "seq-1-0",
  to: "ana@example.com",
  from: "Tea & Kettle <shop@example.com>",
  replyTo: "help@example.com",
  subject: "Ana, your cart — saved",
  html: "<p>Hi</p>",
  text: "Hi",
  headers: { "List-Unsubscribe": "<https://c.example/u/t>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
};

describe("the Resend adapter", () => {
  it("posts the message with our id as the idempotency key", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const mailer = resendMailer("re_test", async (url, init) => {
      calls.push({ url, init });
      return Response.json({ id: "resend-123" });
    });
    expect(await mailer.send(mail)).toEqual({ providerId: "resend:resend-123" });
    const { url, init } = calls[0] as { url: string; init: RequestInit };
    expect(url).toBe("https://api.resend.com/emails");
    const headers = new Headers(init.headers);
    expect(headers.get("idempotency-key")).toBe("seq-1-0");
    expect(headers.get("authorization")).toBe("Bearer re_test");
    expect(JSON.parse(init.body as string)).toMatchObject({ to: ["ana@example.com"], reply_to: "help@example.com", headers: mail.headers });
  });

  it("tells a permanent refusal from a passing failure", async () => {
    const answering = (status: number) => resendMailer("re_test", async () => new Response('{"message":"nope"}', { status }));
    await expect(answering(422).send(mail)).rejects.toBeInstanceOf(PermanentMailError);
    for (const status of [429, 500, 503]) {
      const error = await answering(status)
        .send(mail)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(PermanentMailError);
    }
  });
});

describe("MIME for the send_email binding", () => {
  it("encodes non-ASCII headers, keeps bodies in base64, and lets no line break into a header", () => {
    const raw = toMime({ ...mail, subject: "Hola\r\nBcc: victim@example.com" });
    const head = raw.split("\r\n\r\n")[0] as string;
    expect(head).not.toMatch(/^Bcc:/m);
    expect(head).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    expect(toMime(mail)).toContain("Subject: =?UTF-8?B?");
    expect(raw).toContain("Content-Transfer-Encoding: base64");
  });
});

describe("failures", () => {
  it("a message that kept failing is recorded as failed and shown to the merchant", async () => {
    const site = await seedSite(env.DB, [ORIGIN]);
    await env.DB.prepare(
      "INSERT INTO messages (id, sequence_id, site_id, email, step, kind, status, due_at, queued_at) VALUES ('dead-0', 'dead', ?, 'x@example.com', 0, 'recovery', 'queued', 0, 0)",
    )
      .bind(site.id)
      .run();
    const batch = createMessageBatch<MailJob>("cartback-mail-dlq", [
      { id: "d1", timestamp: new Date(), attempts: 1, body: { kind: "recovery", id: "dead-0", site: site.id, email: "x@example.com" } },
    ]);
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toEqual(["d1"]);
    const res = await exports.default.fetch(`https://collector.test/v1/sites/${site.key}/messages?status=failed`, {
      headers: { authorization: `Bearer sk_${site.key}` },
    });
    const { messages } = (await res.json()) as { messages: { id: string; status: string; error: string }[] };
    expect(messages).toEqual([expect.objectContaining({ id: "dead-0", status: "failed", error: "gave up after repeated failures" })]);
  });
});
