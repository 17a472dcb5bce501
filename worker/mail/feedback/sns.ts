// Amazon SNS message signatures (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):
// RSA PKCS#1 v1.5 over "Key\nValue\n" lines of fixed fields, SHA1 for SignatureVersion 1 and
// SHA256 for 2, with the public key of the X.509 certificate at SigningCertURL. That URL, and the
// SubscribeURL a confirmation is visited at, are trusted only on https://sns.<region>.amazonaws.com:
// a certificate from anywhere else would let anyone sign.
import { fromBase64 } from "../../../protocol/crypto";

/** The fields of an SNS HTTP(S) delivery that the collector reads. */
export interface SnsMessage {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
}

/** Why an SNS delivery is refused, in a code a program can branch on. */
export type SnsProblem = "untrusted_certificate_url" | "certificate_unavailable" | "unsupported_signature_version" | "invalid_signature";

/**
 * Whether a URL is one of SNS's own: https, on `sns.<region>.amazonaws.com`, default port.
 *
 * @example
 * isSnsUrl("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem"); // true
 * isSnsUrl("https://sns.eu-west-1.amazonaws.com.evil.test/x.pem"); // false
 */
export function isSnsUrl(text: string | undefined, pem = false): boolean {
  if (!text) return false;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (
    url.protocol === "https:" &&
    url.port === "" &&
    !url.username &&
    !url.password &&
    /^sns\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com$/.test(url.hostname) &&
    (!pem || url.pathname.endsWith(".pem"))
  );
}

/**
 * The text SNS signs for a message: its fields in the documented order, each as "Name\nvalue\n";
 * Subject only when present (notifications), SubscribeURL and Token for the confirmations.
 *
 * @example
 * stringToSign({ Type: "Notification", Message: "hi", MessageId: "1", Timestamp: "…", TopicArn: "arn:…", … });
 */
export function stringToSign(m: SnsMessage): string {
  const fields =
    m.Type === "Notification"
      ? ["Message", "MessageId", ...(m.Subject !== undefined ? ["Subject"] : []), "Timestamp", "TopicArn", "Type"]
      : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"];
  return fields.map((f) => `${f}\n${(m as unknown as Record<string, string | undefined>)[f] ?? ""}\n`).join("");
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** How the collector reaches SNS: replaced by tests with a fake SNS host. */
export const snsNetwork: { fetch: Fetch } = { fetch: (input, init) => fetch(input, init) };

// Signing certificates change rarely (SNS rotates them over months): each isolate keeps the keys
// it imported, by URL, and forgets the oldest past a handful. A failed fetch is not kept.
const KEYS_KEPT = 16;
const keys = new Map<string, Promise<CryptoKey[]>>();

/**
 * The certificate's public key, imported for both signature versions, fetched once per isolate.
 *
 * @example
 * const [sha1, sha256] = await signingKeys(message.SigningCertURL);
 */
export function signingKeys(url: string): Promise<CryptoKey[]> {
  const kept = keys.get(url);
  if (kept) return kept;
  const loading = (async () => {
    const res = await snsNetwork.fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
    const spki = publicKeyInfo(pemBytes(await res.text()));
    return Promise.all(
      ["SHA-1", "SHA-256"].map((hash) => crypto.subtle.importKey("spki", spki, { name: "RSASSA-PKCS1-v1_5", hash }, false, ["verify"])),
    );
  })();
  keys.set(url, loading);
  loading.catch(() => keys.delete(url));
  if (keys.size > KEYS_KEPT) keys.delete(keys.keys().next().value as string);
  return loading;
}

/** Forgets the imported keys (tests that change the fake certificate). */
export const forgetSigningKeys = (): void => keys.clear();

/**
 * Checks an SNS message's signature: null when SNS signed it, otherwise what is wrong.
 *
 * @example
 * const problem = await verifySns(message);
 */
export async function verifySns(m: SnsMessage): Promise<SnsProblem | null> {
  if (!isSnsUrl(m.SigningCertURL, true)) return "untrusted_certificate_url";
  if (m.SignatureVersion !== "1" && m.SignatureVersion !== "2") return "unsupported_signature_version";
  let pair: CryptoKey[];
  try {
    pair = await signingKeys(m.SigningCertURL);
  } catch {
    return "certificate_unavailable";
  }
  let signature: Uint8Array;
  try {
    signature = fromBase64(m.Signature);
  } catch {
    return "invalid_signature";
  }
  const key = pair[m.SignatureVersion === "1" ? 0 : 1] as CryptoKey;
  const ok = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signature, new TextEncoder().encode(stringToSign(m)));
  return ok ? null : "invalid_signature";
}

/** The DER bytes of the first PEM block. */
export function pemBytes(pem: string): Uint8Array {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1];
  if (!body) throw new Error("no certificate in the PEM");
  return fromBase64(body.replace(/\s+/g, ""));
}

/** One DER element: its tag, where its content starts and where it ends. */
function element(der: Uint8Array, at: number): { tag: number; content: number; end: number } {
  const tag = der[at] as number;
  let length = der[at + 1] as number;
  let content = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes < 1 || bytes > 4) throw new Error("DER length out of range");
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[content + i] as number);
    content += bytes;
  }
  const end = content + length;
  if (end > der.length) throw new Error("DER element past the end");
  return { tag, content, end };
}

/**
 * The SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 §4.1): the 7th field of the
 * TBSCertificate, or the 6th when the optional [0] version is absent. WebCrypto imports it as "spki".
 */
export function publicKeyInfo(der: Uint8Array): Uint8Array {
  const cert = element(der, 0);
  const tbs = element(der, cert.content);
  let at = tbs.content;
  const first = element(der, at);
  if (first.tag === 0xa0) at = first.end; // [0] EXPLICIT version
  for (let i = 0; i < 5; i++) at = element(der, at).end; // serial, signature, issuer, validity, subject
  const spki = element(der, at);
  if (spki.tag !== 0x30) throw new Error("no SubjectPublicKeyInfo where RFC 5280 puts it");
  return der.slice(at, spki.end);
}
