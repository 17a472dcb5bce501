// A self-signed X.509 certificate made in the test (WebCrypto has keys but no certificates), to
// stand in for SNS's signing certificate: just enough DER (RFC 5280 §4.1) for a parser to find
// the SubjectPublicKeyInfo where every certificate has it, signed by its own key.

const bytes = (...parts: (Uint8Array | number[])[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const length = (n: number): number[] => (n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
const tlv = (tag: number, ...content: (Uint8Array | number[])[]): Uint8Array => {
  const body = bytes(...content);
  return bytes([tag, ...length(body.length)], body);
};
const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
const SHA256_RSA = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const COMMON_NAME = [0x55, 0x04, 0x03];
const name = (cn: string) => seq(tlv(0x31, seq(tlv(0x06, COMMON_NAME), tlv(0x0c, new TextEncoder().encode(cn)))));
const algorithm = () => seq(tlv(0x06, SHA256_RSA), tlv(0x05));
const time = (text: string) => tlv(0x17, new TextEncoder().encode(text));

/**
 * An RSA key pair (for both SNS signature versions) and a PEM certificate of its public key.
 *
 * @example
 * const { pem, sign } = await fakeSnsCertificate(); const signature = await sign("SHA-256", text);
 */
export async function fakeSnsCertificate(cn = "sns.amazonaws.com") {
  const generate = (hash: string) =>
    crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash }, true, [
      "sign",
      "verify",
    ]) as Promise<CryptoKeyPair>;
  const pair = await generate("SHA-256");
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", pair.privateKey);
  const sha1 = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-1" }, false, ["sign"]);
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  const tbs = seq(
    tlv(0xa0, tlv(0x02, [2])),
    tlv(0x02, [1, 0x2d]),
    algorithm(),
    name(cn),
    seq(time("250101000000Z"), time("351231235959Z")),
    name(cn),
    spki,
  );
  const selfSigned = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", pair.privateKey, tbs));
  const der = seq(tbs, algorithm(), tlv(0x03, [0], selfSigned));
  const base64 = btoa(String.fromCharCode(...der));
  const pem = `-----BEGIN CERTIFICATE-----\n${(base64.match(/.{1,64}/g) ?? []).join("\n")}\n-----END CERTIFICATE-----\n`;
  const b64 = (buf: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(buf)));
  return {
    pem,
    /** The base64 signature SNS would send: SHA-1 for SignatureVersion 1, SHA-256 for 2. */
    sign: async (hash: "SHA-1" | "SHA-256", text: string) =>
      b64(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", hash === "SHA-1" ? sha1 : pair.privateKey, new TextEncoder().encode(text))),
  };
}
