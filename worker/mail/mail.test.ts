import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../index";
import { readSettings } from "../sites/settings";
import { eventually, ORIGIN, seedSite } from "../test/helpers";
import { abandon, messagesOf } from "../test/recovery";
import { deliverMail } from "./deliver";
import type { MailJob } from "./job";
import { type Mail, PermanentMailError, resendMailer, toMime } from "./mailer";
import { droppedImages, fromHeader, renderMerchantNotice, renderRecovery } from "./render";

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

/**
 * Resend's send-email endpoint as its docs describe idempotency
 * (https://resend.com/docs/dashboard/emails/idempotency-keys): a key seen in the last 24 hours with
 * the same body answers the first email's id and sends nothing more. `hangOnce`: the first request
 * is taken (the email goes) but its answer never comes, as on a connection that stalls.
 */
function simulatedResend(hangOnce: boolean) {
  const sent = new Map<string, { id: string; body: string }>();
  let hang = hangOnce;
  const fetcher = (_url: string, init: RequestInit): Promise<Response> => {
    const key = new Headers(init.headers).get("idempotency-key") ?? crypto.randomUUID();
    const body = String(init.body);
    const known = sent.get(key);
    if (!known) sent.set(key, { id: `re_${sent.size + 1}`, body });
    else if (known.body !== body) return Promise.resolve(Response.json({ name: "invalid_idempotent_request" }, { status: 409 }));
    if (hang) {
      hang = false;
      // Never answers, and ignores the signal: the client must give up by itself.
      return new Promise<Response>(() => undefined);
    }
    return Promise.resolve(Response.json({ id: sent.get(key)?.id }));
  };
  return { sent, fetcher };
}

describe("a Resend that does not answer", () => {
  it("is given up within the timeout as a passing failure, and the retry sends nothing twice", async () => {
    const resend = simulatedResend(true);
    const mailer = resendMailer("re_test", resend.fetcher, 50);
    const error = await mailer.send(mail).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentMailError);
    expect((error as Error).message).toMatch(/did not answer within 50 ms/);
    // The queue's retry: the same id, the same email.
    expect(await mailer.send(mail)).toEqual({ providerId: "resend:re_1" });
    expect(resend.sent.size).toBe(1);
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

describe("one provider call per message", () => {
  /** A send_email binding (no idempotency key of its own) that takes `ms` and counts its calls. */
  const binding = (ms: number, fail = 0) => {
    const calls: string[] = [];
    return {
      calls,
      send: async (message: { to: string }) => {
        calls.push(message.to);
        await new Promise((r) => setTimeout(r, ms));
        if (calls.length <= fail) throw new Error("provider unavailable");
      },
    };
  };
  const claimed = async (email: string) => {
    const site = await seedSite(env.DB, [ORIGIN], { abandonAfterMinutes: 1, holdoutPercent: 0 });
    await abandon(site.key, email);
    const [row] = await eventually(async () => {
      const { results } = await messagesOf(email);
      expect(results).toHaveLength(1);
      return results;
    }, 15_000);
    return { id: row?.id as string, site: site.id };
  };
  const batchOf = (job: MailJob, attempts = 1) =>
    createMessageBatch<MailJob>("cartback-mail", [{ id: `q-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body: job }]);

  it("two deliveries of one email at once (a redelivery of one that looked stuck) call the provider once", async () => {
    const email = "twin.delivery@example.com";
    const { id, site } = await claimed(email);
    const email_ = binding(300);
    // A real provider is never given the placeholder sender (mailerFor): the operator has set MAIL_FROM.
    const withBinding = { ...env, MAIL_PROVIDER: "cloudflare", MAIL_FROM: "Shop <recovery@shop.example>", EMAIL: email_ } as unknown as Env;
    const job: MailJob = { kind: "recovery", id, site, email };
    const [a, b] = [batchOf(job), batchOf(job)];
    await Promise.all([deliverMail(a, withBinding), deliverMail(b, withBinding)]);
    expect(email_.calls).toEqual([email]);
    // The twin is retried; by then the message is sent, and it ends there.
    const results = await Promise.all([a, b].map((x) => getQueueResult(x, createExecutionContext())));
    expect(results.map((r: { retryMessages: unknown[] }) => r.retryMessages.length).sort()).toEqual([0, 1]);
    await deliverMail(batchOf(job, 2), withBinding);
    expect(email_.calls).toEqual([email]);
    expect((await messagesOf(email)).results[0]).toMatchObject({ status: "sent" });
  });

  it("a send that failed gives the lease back: the retry sends at once, not a lease later", async () => {
    const email = "failed.once@example.com";
    const { id, site } = await claimed(email);
    const email_ = binding(0, 1);
    // A real provider is never given the placeholder sender (mailerFor): the operator has set MAIL_FROM.
    const withBinding = { ...env, MAIL_PROVIDER: "cloudflare", MAIL_FROM: "Shop <recovery@shop.example>", EMAIL: email_ } as unknown as Env;
    const job: MailJob = { kind: "recovery", id, site, email };
    await deliverMail(batchOf(job), withBinding);
    expect((await messagesOf(email)).results[0]).toMatchObject({ status: "queued" });
    await deliverMail(batchOf(job, 2), withBinding);
    expect(email_.calls).toEqual([email, email]);
    expect((await messagesOf(email)).results[0]).toMatchObject({ status: "sent" });
  });
});

// Bidi controls (U+202A–U+202E, U+2066–U+2069, LRM, RLM, ALM) reorder what a mail client shows:
// "\u202eAna" can make a subject read backwards, or hide where the shopper's text ends.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: asserting there are none
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe("names in subjects and greetings", () => {
  const cart = { currency: "EUR", lines: [{ id: "tea", name: "Tea", price: 500, quantity: 1 }] };
  const input = {
    to: "ana@example.com",
    from: "shop@example.com",
    messageId: "seq-1-0",
    shop: "Tea",
    origins: [ORIGIN],
    settings: readSettings("{}"),
    reason: "reminder" as const,
    step: 0,
    cart,
    restoreUrl: "https://c.example/r/t",
    unsubscribeUrl: "https://c.example/u/t",
  };

  it("strip bidi and control characters from the shopper's and the shop's names", () => {
    for (const mark of "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u0085\u009b\u0007\u2028") {
      const mail = renderRecovery({ ...input, name: `${mark}Ana${mark}`, shop: `Tea${mark} & Kettle` });
      expect(mail.subject, `U+${mark.charCodeAt(0).toString(16)}`).toBe("Ana, you left something in your cart");
      expect(mail.subject).not.toMatch(BIDI);
      expect(mail.text).not.toMatch(BIDI);
      expect(mail.html).not.toMatch(BIDI);
      expect(mail.html).toContain("Tea &#38; Kettle");
    }
    const templates = { reminder: { subject: "{{shop}}: {{name}}", heading: "Hi {{name}}", body: "From {{shop}}", cta: "Go" } };
    const mail = renderRecovery({
      ...input,
      settings: readSettings(JSON.stringify({ templates })),
      name: "\u2067Ana\u2069 Lopez",
      shop: "\u202eTea\r\nBcc: x",
    });
    expect(mail.subject).toBe("Tea Bcc: x: Ana");
    expect(mail.text.split("\n")[0]).toBe("Hi Ana");
    for (const value of [mail.subject, mail.text]) {
      expect(value).not.toMatch(BIDI);
      expect(value.replace(/\n/g, "")).not.toMatch(CONTROL);
    }
  });

  it("strip them from the merchant's notice too", () => {
    const notice = renderMerchantNotice({
      id: "n",
      to: "o@example.com",
      from: "s@example.com",
      shop: "Tea\u202e Shop",
      shopper: "\u2066ana@example.com\u2069",
    });
    expect(notice.subject).toBe("Interrupted order at Tea Shop: ana@example.com (€0.00)");
  });
});

describe("fromHeader", () => {
  const named = "Cartback <recovery@cartback.invalid>";
  const bare = "recovery@cartback.invalid";

  it("is MAIL_FROM itself when the site sets no name", () => {
    for (const name of [undefined, "", "   ", "\r\n", "\u202e", "<>"]) {
      expect(fromHeader(name, named)).toBe(named);
      expect(fromHeader(name, bare)).toBe(bare);
    }
  });

  it("puts the site's name before MAIL_FROM's address, named or bare, as a quoted string", () => {
    expect(fromHeader("Tea & Kettle", named)).toBe('"Tea & Kettle" <recovery@cartback.invalid>');
    expect(fromHeader("Tea & Kettle", bare)).toBe('"Tea & Kettle" <recovery@cartback.invalid>');
    expect(fromHeader("Thé, Café", ` ${bare} `)).toBe('"Thé, Café" <recovery@cartback.invalid>');
  });

  it("escapes quotes and backslashes", () => {
    expect(fromHeader('Tea "Best" Shop', named)).toBe('"Tea \\"Best\\" Shop" <recovery@cartback.invalid>');
    expect(fromHeader("Tea \\ Shop", named)).toBe('"Tea \\\\ Shop" <recovery@cartback.invalid>');
    expect(fromHeader('Tea\\"', named)).toBe('"Tea\\\\\\"" <recovery@cartback.invalid>');
  });

  it("lets no line break, control, bidi control or second address into the header", () => {
    const from = fromHeader("Tea\r\nBcc: victim@example.com\u0000\u0085\u202e", named);
    expect(from).toBe('"Tea Bcc: victim@example.com" <recovery@cartback.invalid>');
    const spoof = fromHeader("Tea <evil@example.com>", named);
    expect(spoof).toBe('"Tea evil@example.com" <recovery@cartback.invalid>');
    // What the send_email adapter takes as the envelope sender.
    expect(/<([^>]+)>/.exec(spoof)?.[1]).toBe("recovery@cartback.invalid");
    const head = toMime({ ...mail, from }).split("\r\n\r\n")[0] as string;
    expect(head.split("\r\n").filter((l) => /^(From|Bcc):/i.test(l))).toEqual([`From: ${from}`]);
  });
});

describe("product images in the email", () => {
  const line = (id: string, image?: string) => ({ id, name: `Product ${id}`, price: 500, quantity: 1, image, url: `${ORIGIN}/p/${id}` });
  const input = (images: (string | undefined)[], origins = [ORIGIN, "http://127.0.0.1:8787"], imageHosts: string[] = []) => ({
    to: "ana@example.com",
    from: "shop@example.com",
    messageId: "seq-1-0",
    shop: "Tea",
    origins,
    settings: readSettings(JSON.stringify({ imageHosts })),
    reason: "reminder" as const,
    step: 0,
    cart: { currency: "EUR", lines: images.map((image, i) => line(`l${i}`, image)) },
    restoreUrl: "https://c.example/r/t",
    unsubscribeUrl: "https://c.example/u/t",
  });
  const imagesOf = (html: string) => [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);

  it("keeps https images on the origins' hosts and the image hosts, on any port; drops the others, counted by host and why", () => {
    const images = [
      `${ORIGIN}/tea.png`,
      "https://shop.example:8443/mug.png",
      "https://cdn.shop.example/kettle.png",
      "https://a.img.example/oolong.png",
      "https://cdn.other.example/x.png",
      "https://cdn.other.example/y.png",
      "http://shop.example/http.png",
      "http://cdn.shop.example/http.png",
      "http://evil.example/both.png",
      "https://shop.example.evil.example/suffix.png",
      "http://127.0.0.1:8787/img/tea.svg",
      "http://localhost:9000/cdn.png",
      undefined,
    ];
    const rendered = renderRecovery(input(images, [ORIGIN, "http://127.0.0.1:8787"], ["cdn.shop.example", "*.img.example", "localhost"]));
    expect(imagesOf(rendered.html)).toEqual([
      `${ORIGIN}/tea.png`,
      "https://shop.example:8443/mug.png",
      "https://cdn.shop.example/kettle.png",
      "https://a.img.example/oolong.png",
      "http://127.0.0.1:8787/img/tea.svg",
      "http://localhost:9000/cdn.png",
    ]);
    expect(droppedImages(input(images, [ORIGIN, "http://127.0.0.1:8787"], ["cdn.shop.example", "*.img.example", "localhost"]))).toEqual([
      { host: "cdn.other.example", reason: "host", count: 2 },
      { host: "shop.example", reason: "http", count: 1 },
      { host: "cdn.shop.example", reason: "http", count: 1 },
      { host: "evil.example", reason: "host", count: 1 },
      { host: "shop.example.evil.example", reason: "host", count: 1 },
    ]);
  });

  it("takes a wildcard origin's hosts, and drops an http image of a site whose origin is http", () => {
    const rendered = renderRecovery(
      input(["https://www.brand.example/a.png", "http://www.brand.example/b.png"], ["http://*.brand.example"]),
    );
    expect(imagesOf(rendered.html)).toEqual(["https://www.brand.example/a.png"]);
  });
});
