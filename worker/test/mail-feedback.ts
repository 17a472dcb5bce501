// Each provider's feedback as the provider sends it, signed as the provider signs, from its public
// documentation (the URL beside each fixture). The collector is reached through its own fetch handler.
import { exports } from "cloudflare:workers";
import { MESSAGE_TAG, SITE_TAG } from "../mail/feedback/ids";
import { stringToSign } from "../mail/feedback/sns";
import { standardSignature } from "../mail/feedback/standard-webhooks";
import { fakeSnsCertificate } from "./x509";

export const RESEND_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const POSTMARK_USER = "cb_postmark";
export const POSTMARK_PASSWORD = "a-long-postmark-password";
export const SNS_TOPIC = "arn:aws:sns:eu-west-1:123456789012:cartback-ses-feedback";
export const SNS_CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem";

const post = (path: string, body: string, headers: Record<string, string>) =>
  exports.default.fetch(
    new Request(`https://collector.test${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body }),
  );

export type Kind = "hard_bounce" | "soft_bounce" | "complained" | "delivered";
export interface Ids {
  email: string;
  messageId?: string;
  siteKey: string;
}

/**
 * A Resend webhook body: https://resend.com/docs/dashboard/webhooks/event-types (email.bounced,
 * email.complained, email.delivered), tags as given at send (https://resend.com/docs/api-reference/emails/send-email).
 */
export function resendBody(kind: Kind, ids: Ids): string {
  const type = { hard_bounce: "email.bounced", soft_bounce: "email.bounced", complained: "email.complained", delivered: "email.delivered" }[
    kind
  ];
  return JSON.stringify({
    type,
    created_at: new Date().toISOString(),
    data: {
      created_at: new Date().toISOString(),
      email_id: crypto.randomUUID(),
      from: "Tea & Kettle <recovery@shop.example>",
      to: [ids.email],
      subject: "Your cart is waiting",
      ...(ids.messageId && { tags: { [MESSAGE_TAG]: ids.messageId, [SITE_TAG]: ids.siteKey } }),
      ...(kind.endsWith("bounce") && {
        bounce: { message: "550 5.1.1 user unknown", subType: "General", type: kind === "hard_bounce" ? "Permanent" : "Transient" },
      }),
    },
  });
}

/**
 * POSTs a Resend webhook signed as Svix signs it (https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests,
 * https://docs.svix.com/receiving/verifying-payloads/how-manual).
 */
export async function sendResend(
  siteKey: string,
  body: string,
  { id = `msg_${crypto.randomUUID()}`, secret = RESEND_SECRET, at = Date.now(), headers = {} as Record<string, string> } = {},
) {
  const timestamp = String(Math.floor(at / 1000));
  const signature = await standardSignature(secret, id, timestamp, body);
  return post(`/v1/mail/resend/events?site=${siteKey}`, body, {
    "svix-id": id,
    "svix-timestamp": timestamp,
    "svix-signature": signature,
    ...headers,
  });
}

/**
 * A Postmark webhook body: bounce (https://postmarkapp.com/developer/webhooks/bounce-webhook),
 * spam complaint (https://postmarkapp.com/developer/webhooks/spam-complaint-webhook), delivery
 * (https://postmarkapp.com/developer/webhooks/delivery-webhook); Metadata as given at send.
 */
export function postmarkBody(kind: Kind, ids: Ids, id = Math.floor(Math.random() * 1e9)): string {
  const Metadata = ids.messageId ? { [MESSAGE_TAG]: ids.messageId, [SITE_TAG]: ids.siteKey } : {};
  if (kind === "delivered") {
    return JSON.stringify({
      RecordType: "Delivery",
      ServerID: 23,
      MessageID: crypto.randomUUID(),
      Recipient: ids.email,
      DeliveredAt: new Date().toISOString(),
      Details: "Test delivery webhook details",
      MessageStream: "outbound",
      Metadata,
    });
  }
  const complaint = kind === "complained";
  return JSON.stringify({
    RecordType: complaint ? "SpamComplaint" : "Bounce",
    ID: id,
    Type: complaint ? "SpamComplaint" : kind === "hard_bounce" ? "HardBounce" : "SoftBounce",
    TypeCode: complaint ? 512 : kind === "hard_bounce" ? 1 : 4096,
    Name: complaint ? "Spam complaint" : "Hard bounce",
    MessageID: crypto.randomUUID(),
    ServerID: 23,
    Description: "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
    Details: "Test bounce details",
    Email: ids.email,
    From: "recovery@shop.example",
    BouncedAt: new Date().toISOString(),
    DumpAvailable: true,
    Inactive: kind !== "soft_bounce",
    CanActivate: true,
    Subject: "Your cart is waiting",
    MessageStream: "outbound",
    Metadata,
  });
}

/** POSTs a Postmark webhook with the Basic auth of its URL (https://postmarkapp.com/developer/webhooks/webhooks-overview#protecting-your-webhook). */
export function sendPostmark(siteKey: string, body: string, { user = POSTMARK_USER, password = POSTMARK_PASSWORD, auth = true } = {}) {
  return post(`/v1/mail/postmark/events?site=${siteKey}`, body, auth ? { authorization: `Basic ${btoa(`${user}:${password}`)}` } : {});
}

/**
 * An SES notification (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html:
 * configuration-set events with `mail.tags`; without `eventType`, identity notifications,
 * https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html).
 */
export function sesMessage(kind: Kind, ids: Ids): string {
  const mail = {
    timestamp: new Date().toISOString(),
    source: "recovery@shop.example",
    messageId: `0102015fd91a5ca3-${crypto.randomUUID()}-000000`,
    destination: [ids.email],
    ...(ids.messageId && { tags: { [MESSAGE_TAG]: [ids.messageId], [SITE_TAG]: [ids.siteKey], "ses:configuration-set": ["cartback"] } }),
  };
  const feedbackId = `01000157c44f053b-${crypto.randomUUID()}-000000`;
  if (kind === "complained") {
    return JSON.stringify({
      eventType: "Complaint",
      complaint: {
        complainedRecipients: [{ emailAddress: ids.email }],
        timestamp: new Date().toISOString(),
        feedbackId,
        complaintFeedbackType: "abuse",
      },
      mail,
    });
  }
  if (kind === "delivered") {
    return JSON.stringify({
      eventType: "Delivery",
      delivery: { timestamp: new Date().toISOString(), recipients: [ids.email], smtpResponse: "250 ok" },
      mail,
    });
  }
  return JSON.stringify({
    eventType: "Bounce",
    bounce: {
      bounceType: kind === "hard_bounce" ? "Permanent" : "Transient",
      bounceSubType: kind === "hard_bounce" ? "General" : "MailboxFull",
      bouncedRecipients: [{ emailAddress: ids.email, action: "failed", status: "5.1.1", diagnosticCode: "smtp; 550 5.1.1 user unknown" }],
      timestamp: new Date().toISOString(),
      feedbackId,
      reportingMTA: "dsn; mta.example.com",
    },
    mail,
  });
}

let certificate: Awaited<ReturnType<typeof fakeSnsCertificate>> | undefined;
/** The fake SNS signing certificate of this test file (2048-bit RSA takes a moment to make). */
export const snsCertificate = async () => {
  certificate ??= await fakeSnsCertificate();
  return certificate;
};

/**
 * An SNS HTTPS delivery (https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html),
 * signed as SNS signs it (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html).
 */
export async function snsEnvelope(
  type: "Notification" | "SubscriptionConfirmation",
  message: string,
  { version = "2" as "1" | "2", topic = SNS_TOPIC, certUrl = SNS_CERT_URL, at = Date.now(), id = crypto.randomUUID() } = {},
) {
  const m: Record<string, string> = {
    Type: type,
    MessageId: id,
    TopicArn: topic,
    Message: message,
    Timestamp: new Date(at).toISOString(),
    SignatureVersion: version,
    SigningCertURL: certUrl,
    ...(type === "SubscriptionConfirmation" && {
      Token: "2336412f37fb687f5d51e6e2425f004aed8b4f2e",
      SubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=2336412f37fb687f5d51e6e2425f004aed8b4f2e`,
    }),
    ...(type === "Notification" && { UnsubscribeURL: "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x" }),
  };
  const cert = await snsCertificate();
  m.Signature = await cert.sign(version === "1" ? "SHA-1" : "SHA-256", stringToSign(m as never));
  return m;
}

/** POSTs an SNS message as SNS does (text/plain, with its type header). */
export function sendSns(siteKey: string, m: Record<string, string>) {
  return post(`/v1/mail/ses/events?site=${siteKey}`, JSON.stringify(m), {
    "content-type": "text/plain; charset=UTF-8",
    "x-amz-sns-message-type": m.Type as string,
  });
}
