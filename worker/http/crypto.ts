/** Hashing, signing and comparing secrets, the same way everywhere in the collector. */

export const hex = (bytes: ArrayBuffer): string => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * HMAC-SHA256 of `text` with `secret`, as hex.
 *
 * @example
 * await hmacHex("sk_…", "session:pk_….1795000000");
 */
export async function hmacHex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text)));
}

/** Equal strings, compared in constant time (through fixed-length digests), so timing leaks
 * nothing about how much of a guessed secret was right. */
export async function sameText(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([a, b].map((s) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(s))));
  return crypto.subtle.timingSafeEqual(x as ArrayBuffer, y as ArrayBuffer);
}

/** A request to a collector on this machine (local development): dev-only pages, non-Secure cookies. */
export const isLocalHost = (url: string): boolean => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(new URL(url).hostname);
