/** 22 URL-safe characters (0-9, a-v), 110 random bits. Not crypto.randomUUID: that needs a secure
 * context, and shops still serve pages over plain http. Five bits a byte rather than an alphabet
 * of 64: the alphabet cost the script 50 bytes. */
export const randomId = (): string => Array.from(crypto.getRandomValues(new Uint8Array(22)), (b) => (b & 31).toString(32)).join("");
