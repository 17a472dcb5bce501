const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** 22 URL-safe characters, 132 random bits. Not crypto.randomUUID: that needs a secure
 * context, and shops still serve pages over plain http. */
export const randomId = (): string => Array.from(crypto.getRandomValues(new Uint8Array(22)), (b) => ALPHABET[b & 63]).join("");
