import { AwsV4Signer } from "aws4fetch";
import { feedbackTags, type Mail, type Mailer, type SendOptions } from "../provider";
import { call, type Fetch, httpFailure, jsonOf } from "./http";

/** What SES needs: an IAM key allowed `ses:SendEmail`, its region, optionally a configuration
 * set (where its bounce and complaint events are published to SNS). */
export interface SesConfig {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  configurationSet?: string;
}

/** SES v2 error types (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html#API_SendEmail_Errors)
 * that pass: throttled, over the sending quota, or sending paused (by the merchant or AWS) until resumed. */
const RETRYABLE = new Set(["TooManyRequestsException", "LimitExceededException", "SendingPausedException"]);

const utf8 = (Data: string) => ({ Data, Charset: "UTF-8" });

/** The SendEmail body (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html), a Simple message. */
const body = (mail: Mail, config: SesConfig, opts?: SendOptions) =>
  JSON.stringify({
    FromEmailAddress: mail.from,
    Destination: { ToAddresses: [mail.to] },
    ...(mail.replyTo && { ReplyToAddresses: [mail.replyTo] }),
    Content: {
      Simple: {
        Subject: utf8(mail.subject),
        Body: { Text: utf8(mail.text), Html: utf8(mail.html) },
        Headers: Object.entries(mail.headers).map(([Name, Value]) => ({ Name, Value })),
      },
    },
    EmailTags: feedbackTags(mail.id, opts).map(({ name, value }) => ({ Name: name, Value: value })),
    ...(config.configurationSet && { ConfigurationSetName: config.configurationSet }),
  });

/**
 * Amazon SES v2 `SendEmail`, signed with SigV4 by aws4fetch. SES has no idempotency key: as with
 * Postmark, the send lease limits a double send to a request given up mid-flight. The message id
 * and site key go as EmailTags, which its SNS bounce and complaint events carry back.
 *
 * @example
 * const ses = sesMailer({ accessKeyId, secretAccessKey, region: "eu-west-1" });
 * const { providerId } = await ses.send(mail, { site: "pk_…" }); // "ses:0102…"
 */
export function sesMailer(config: SesConfig, fetcher?: Fetch, timeoutMs?: number, datetime?: string): Mailer {
  const url = `https://email.${config.region}.amazonaws.com/v2/email/outbound-emails`;
  return {
    async send(mail, opts) {
      const payload = body(mail, config, opts);
      const signed = await new AwsV4Signer({
        method: "POST",
        url,
        headers: { "content-type": "application/json" },
        body: payload,
        accessKeyId: config.accessKeyId,
        secretAccessKey: config.secretAccessKey,
        service: "ses",
        region: config.region,
        ...(datetime && { datetime }),
      }).sign();
      const { res, body: answer } = await call({ fetcher, timeoutMs }, "Amazon SES", url, {
        method: "POST",
        headers: signed.headers,
        body: payload,
      });
      const id = jsonOf(answer)?.MessageId;
      if (res.ok && typeof id === "string") return { providerId: `ses:${id}` };
      const type = (res.headers.get("x-amzn-errortype") ?? String(jsonOf(answer)?.__type ?? "")).split(":")[0]?.split("#").pop() ?? "";
      throw httpFailure("Amazon SES", res.status, `${type} ${answer}`, res.ok || RETRYABLE.has(type));
    },
  };
}
