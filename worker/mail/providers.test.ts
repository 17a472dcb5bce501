import { env } from "cloudflare:workers";
import { AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { OutboundTimeout } from "../http/outbound";
import { type Mail, MailFailure, mailerFor, PermanentMailError, postmarkMailer, resendMailer, sesMailer } from "./mailer";
import { FEEDBACK_TAG } from "./provider";
import { cloudflareMailer } from "./providers/cloudflare";

const mail: Mail = {
  id: "seq-1-0",
  to: "ana@example.com",
  from: '"Té y Tetera" <recovery@shop.example>',
  replyTo: "owner@shop.example",
  subject: "Ana, tu carrito en Té y Tetera",
  html: "<p>Hola</p>",
  text: "Hola",
  headers: { "List-Unsubscribe": "<https://c.example/u/t>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
};
const UNSUBSCRIBE = [
  { Name: "List-Unsubscribe", Value: "<https://c.example/u/t>" },
  { Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click" },
];

type Call = { url: string; init: RequestInit };
/** A fetch that records each request and answers from `answer`. */
const recording = (answer: (call: Call) => Response | Promise<Response>) => {
  const calls: Call[] = [];
  return {
    calls,
    fetcher: async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return answer({ url, init });
    },
  };
};
const bodyOf = (call: Call | undefined) => JSON.parse(String(call?.init.body));
const failureOf = (p: Promise<unknown>) => p.then(() => undefined).catch((e: unknown) => e as Error);

describe("Resend (https://resend.com/docs/api-reference/emails/send-email)", () => {
  it("tags every send with the message id and the site key, for its webhooks", async () => {
    const resend = recording(() => Response.json({ id: "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794" }));
    expect(await resendMailer("re_test", resend.fetcher).send(mail, { site: "pk_abc" })).toEqual({
      providerId: "resend:49a3999c-0ce1-4ea6-ab68-afcd6dc2e794",
    });
    expect(bodyOf(resend.calls[0]).tags).toEqual([
      { name: FEEDBACK_TAG.message, value: "seq-1-0" },
      { name: FEEDBACK_TAG.site, value: "pk_abc" },
    ]);
    expect(bodyOf(resend.calls[0]).headers).toEqual(mail.headers);
  });
});

describe("Postmark (https://postmarkapp.com/developer/api/email-api#send-a-single-email)", () => {
  // The documented success answer.
  const ok = () =>
    Response.json({
      To: "ana@example.com",
      SubmittedAt: "2026-12-07T19:00:00.0000000Z",
      MessageID: "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
      ErrorCode: 0,
      Message: "OK",
    });

  it("posts to the transactional stream with the server token, the unsubscribe headers and the metadata", async () => {
    const postmark = recording(ok);
    expect(await postmarkMailer("pm-token", postmark.fetcher).send(mail, { site: "pk_abc" })).toEqual({
      providerId: "postmark:b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
    });
    const [call] = postmark.calls;
    expect(call?.url).toBe("https://api.postmarkapp.com/email");
    const headers = new Headers(call?.init.headers);
    expect(headers.get("x-postmark-server-token")).toBe("pm-token");
    expect(headers.get("accept")).toBe("application/json");
    expect(bodyOf(call)).toMatchObject({
      From: mail.from,
      To: "ana@example.com",
      ReplyTo: "owner@shop.example",
      Subject: mail.subject,
      HtmlBody: mail.html,
      TextBody: mail.text,
      MessageStream: "outbound",
      Headers: UNSUBSCRIBE,
      Metadata: { [FEEDBACK_TAG.message]: "seq-1-0", [FEEDBACK_TAG.site]: "pk_abc" },
    });
  });

  it("tells a refusal for good (an inactive recipient, an unverified sender) from one a retry can cure", async () => {
    // https://postmarkapp.com/developer/api/overview#error-codes
    const answering = (status: number, code: number) =>
      postmarkMailer("pm-token", async () => Response.json({ ErrorCode: code, Message: "documented" }, { status }));
    for (const [status, code] of [
      [422, 406],
      [422, 400],
      [422, 300],
      [401, 10],
    ] as const)
      expect(await failureOf(answering(status, code).send(mail)), `${status}/${code}`).toBeInstanceOf(PermanentMailError);
    for (const [status, code] of [
      [429, 429],
      [500, 0],
      [422, 405],
      [503, 100],
    ] as const) {
      const e = await failureOf(answering(status, code).send(mail));
      expect(e, `${status}/${code}`).toBeInstanceOf(MailFailure);
      expect((e as MailFailure).retryable, `${status}/${code}`).toBe(true);
    }
  });

  it("gives up a Postmark that never answers within the timeout, as a retryable failure", async () => {
    const e = await failureOf(postmarkMailer("pm-token", () => new Promise<Response>(() => undefined), 30).send(mail));
    expect(e).toBeInstanceOf(OutboundTimeout);
  });
});

describe("Amazon SES v2 (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html)", () => {
  const config = {
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    region: "eu-west-1",
    configurationSet: "cartback",
  };

  /** SES as its docs describe it: a request whose SigV4 signature (over the method, URL, signed
   * headers and body) does not verify is refused 403, else the message id comes back. */
  const ses = () =>
    recording(async ({ url, init }) => {
      const headers = new Headers(init.headers);
      const expected = await new AwsV4Signer({
        method: "POST",
        url,
        headers: { "content-type": headers.get("content-type") ?? "" },
        body: String(init.body),
        accessKeyId: config.accessKeyId,
        secretAccessKey: config.secretAccessKey,
        service: "ses",
        region: config.region,
        datetime: headers.get("x-amz-date") ?? "",
      }).authHeader();
      if (headers.get("authorization") !== expected)
        return Response.json(
          { message: "The request signature we calculated does not match" },
          { status: 403, headers: { "x-amzn-ErrorType": "SignatureDoesNotMatch" } },
        );
      return Response.json({ MessageId: "0102018c-example-000000" });
    });

  it("signs the SendEmail request (SigV4, service ses) and carries the unsubscribe headers and the feedback tags", async () => {
    const fake = ses();
    expect(await sesMailer(config, fake.fetcher).send(mail, { site: "pk_abc" })).toEqual({ providerId: "ses:0102018c-example-000000" });
    const [call] = fake.calls;
    expect(call?.url).toBe("https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails");
    expect(new Headers(call?.init.headers).get("authorization")).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/ses\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/,
    );
    expect(bodyOf(call)).toMatchObject({
      FromEmailAddress: mail.from,
      Destination: { ToAddresses: ["ana@example.com"] },
      ReplyToAddresses: ["owner@shop.example"],
      Content: { Simple: { Subject: { Data: mail.subject, Charset: "UTF-8" }, Headers: UNSUBSCRIBE } },
      EmailTags: [
        { Name: FEEDBACK_TAG.message, Value: "seq-1-0" },
        { Name: FEEDBACK_TAG.site, Value: "pk_abc" },
      ],
      ConfigurationSetName: "cartback",
    });
  });

  it("is refused by the fake when the signature is wrong (the fake checks), and says so for good", async () => {
    const fake = ses();
    const e = await failureOf(sesMailer({ ...config, secretAccessKey: "wrong" }, fake.fetcher).send(mail));
    expect(e).toBeInstanceOf(PermanentMailError);
    expect(e?.message).toContain("SignatureDoesNotMatch");
  });

  it("retries throttling and a paused account; a rejected message fails for good", async () => {
    // https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html#API_SendEmail_Errors
    const answering = (status: number, type: string) =>
      sesMailer(config, async () =>
        Response.json({ message: type }, { status, headers: { "x-amzn-ErrorType": `${type}:http://internal.amazon.com/` } }),
      );
    for (const [status, type] of [
      [429, "TooManyRequestsException"],
      [400, "LimitExceededException"],
      [400, "SendingPausedException"],
      [500, "InternalFailure"],
    ] as const)
      expect(((await failureOf(answering(status, type).send(mail))) as MailFailure).retryable, type).toBe(true);
    for (const [status, type] of [
      [400, "MessageRejected"],
      [400, "MailFromDomainNotVerifiedException"],
      [400, "BadRequestException"],
    ] as const)
      expect(await failureOf(answering(status, type).send(mail)), type).toBeInstanceOf(PermanentMailError);
  });
});

describe("Cloudflare send_email (https://developers.cloudflare.com/email-service/api/send-emails/workers-api/)", () => {
  it("uses the structured send: Cloudflare builds the MIME, the unsubscribe headers go as headers", async () => {
    const sent: unknown[] = [];
    const binding = { send: async (m: unknown) => (sent.push(m), { messageId: "cf-1" }) } as unknown as SendEmail;
    expect(await cloudflareMailer(binding).send(mail)).toEqual({ providerId: "cloudflare:cf-1" });
    expect(sent[0]).toEqual({
      from: { name: "Té y Tetera", email: "recovery@shop.example" },
      to: "ana@example.com",
      subject: mail.subject,
      html: mail.html,
      text: mail.text,
      replyTo: "owner@shop.example",
      headers: mail.headers,
    });
  });

  it("on a runtime that takes only an EmailMessage, sends folded MIME instead", async () => {
    const sent: { from: string; to: string }[] = [];
    // An older binding: anything but an EmailMessage is a TypeError, before anything is sent.
    const binding = {
      send: async (m: { from: unknown; to: unknown }) => {
        // (miniflare's EmailMessage is not `instanceof` its class: told apart by its shape)
        if (typeof m.from !== "string" || "subject" in m)
          throw new TypeError("Failed to execute 'send': parameter 1 is not of type 'EmailMessage'.");
        sent.push(m as { from: string; to: string });
      },
    } as unknown as SendEmail;
    expect(await cloudflareMailer(binding).send(mail)).toEqual({ providerId: "cloudflare:seq-1-0" });
    expect(sent.map((m) => [m.from, m.to])).toEqual([["recovery@shop.example", "ana@example.com"]]);
  });

  it("gives up a binding that never answers within the timeout, as a retryable failure", async () => {
    const hanging = { send: () => new Promise(() => undefined) } as unknown as SendEmail;
    expect(await failureOf(cloudflareMailer(hanging, 30).send(mail))).toBeInstanceOf(OutboundTimeout);
  });

  it("a header the binding refuses fails for good; anything else is retried", async () => {
    const refusing = (message: string) =>
      cloudflareMailer({ send: async () => Promise.reject(new Error(message)) } as unknown as SendEmail);
    expect(await failureOf(refusing("E_HEADER_NOT_ALLOWED: Date").send(mail))).toBeInstanceOf(PermanentMailError);
    expect(((await failureOf(refusing("E_RATE_LIMIT_EXCEEDED").send(mail))) as MailFailure).retryable).toBe(true);
  });
});

describe("the provider a site sends through", () => {
  const site = { id: 1, key: "pk_site", settings: { mailProvider: "postmark" as const } };
  const withSecrets = {
    ...env,
    MAIL_PROVIDER: "outbox",
    MAIL_FROM: "Shop <recovery@shop.example>",
    POSTMARK_SERVER_TOKEN: "pm-token",
  } as Env;

  it("is the site's own setting, over MAIL_PROVIDER, and carries the site's key", async () => {
    const postmark = recording(() => Response.json({ MessageID: "pm-1", ErrorCode: 0 }));
    expect(await mailerFor(withSecrets, site, postmark.fetcher).send(mail)).toEqual({ providerId: "postmark:pm-1" });
    expect(bodyOf(postmark.calls[0]).Metadata).toEqual({ [FEEDBACK_TAG.message]: "seq-1-0", [FEEDBACK_TAG.site]: "pk_site" });
  });

  it("never hands the placeholder sender to a real provider", async () => {
    const postmark = recording(() => Response.json({ MessageID: "pm-1", ErrorCode: 0 }));
    const e = await failureOf(
      mailerFor(withSecrets, site, postmark.fetcher).send({ ...mail, from: "Cartback <recovery@cartback.invalid>" }),
    );
    expect(e).toBeInstanceOf(PermanentMailError);
    expect(e?.message).toMatch(/placeholder/);
    expect(postmark.calls).toEqual([]);
  });

  it("says which secret a provider is missing, for good", async () => {
    for (const [provider, secret] of [
      ["resend", "RESEND_API_KEY"],
      ["postmark", "POSTMARK_SERVER_TOKEN"],
      ["ses", "SES_ACCESS_KEY_ID"],
      ["cloudflare", "send_email"],
    ] as const) {
      const e = await failureOf(
        mailerFor({ ...env, MAIL_FROM: "recovery@shop.example" } as Env, { id: 1, settings: { mailProvider: provider } }).send(mail),
      );
      expect(e, provider).toBeInstanceOf(PermanentMailError);
      expect(e?.message, provider).toContain(secret);
    }
  });
});
