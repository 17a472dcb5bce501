// The one place that encodes, signs and compares secrets: shopper tokens, recovery links, merchant
// sessions, outgoing and incoming webhooks all go through here. WebCrypto and plain JS only, so it
// runs alike in Workers, browsers and Node 20+ (Node has no `crypto.subtle.timingSafeEqual`).

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export const utf8 = (text: string): Uint8Array => encoder.encode(text);

// WebCrypto takes bytes backed by an ArrayBuffer; what callers pass always is.
const bytesOf = (data: string | Uint8Array) => (typeof data === "string" ? utf8(data) : data) as Uint8Array<ArrayBuffer>;

/**
 * Standard base64 (with padding), for any size of input.
 *
 * @example
 * base64(utf8("hi")); // "aGk="
 */
export function base64(bytes: Uint8Array): string {
  let binary = "";
  // In slices: spreading a large array into fromCharCode overflows the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * URL-safe base64 without padding (RFC 4648 §5), as JWTs and URL tokens use it.
 *
 * @example
 * base64url(new Uint8Array([251, 255])); // "-_8"
 */
export const base64url = (bytes: Uint8Array): string => base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/**
 * Bytes of base64 in either alphabet, padded or not; throws on anything else.
 *
 * @example
 * fromBase64("-_8"); // Uint8Array [251, 255]
 */
export function fromBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw new TypeError("not base64");
  return Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
}

/**
 * Lower-case hex of bytes.
 *
 * @example
 * hex(new Uint8Array([1, 255])); // "01ff"
 */
export const hex = (bytes: ArrayBuffer | Uint8Array): string =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * SHA-256 of a string or bytes.
 *
 * @example
 * hex(await sha256("abc")); // "ba7816bf…"
 */
export async function sha256(data: string | Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytesOf(data)));
}

/**
 * HMAC of `data` keyed with `key` (a string is its UTF-8 bytes); SHA-256 unless told (Twilio signs with SHA-1).
 *
 * @example
 * base64(await hmac("sk_…", "t.body")); // "q3R…="
 */
export async function hmac(
  key: string | Uint8Array,
  data: string | Uint8Array,
  hash: "SHA-256" | "SHA-1" = "SHA-256",
): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey("raw", bytesOf(key), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, bytesOf(data)));
}

/**
 * HMAC-SHA256 of `text` with `secret`, as hex.
 *
 * @example
 * await hmacHex("sk_…", "session:pk_….1795000000");
 */
export const hmacHex = async (secret: string, text: string): Promise<string> => hex(await hmac(secret, text));

/**
 * Equal strings, compared in constant time: both are hashed first, so the comparison always runs
 * over 32 bytes whatever their lengths, and every byte is looked at, so timing leaks nothing about
 * how much of a guessed secret was right.
 *
 * @example
 * if (!(await sameText(given, secret))) throw forbidden;
 */
export async function sameText(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] as number) ^ (y[i] as number);
  return diff === 0;
}

/**
 * `bytes` random bytes as URL-safe base64: an unguessable token.
 *
 * @example
 * randomToken(32); // 43 characters, 256 bits
 */
export const randomToken = (bytes = 32): string => base64url(crypto.getRandomValues(new Uint8Array(bytes)));
