import { hex, randomToken, sha256 } from "../../protocol/crypto";
import { insertLink, type Link, type LinkKind, linkByHash } from "../db/links";

export type { Link, LinkKind } from "../db/links";

// The token travels in the email; only its hash is stored, so a leaked table opens no link.
export const hashToken = async (token: string): Promise<string> => hex(await sha256(token));

/**
 * Stores a link and returns its token.
 *
 * @example
 * const token = await createLink(env.DB, { kind: "restore", site_id: 1, email, aid, message_id, sequence_id, expires_at });
 * const short = await createLink(env.DB, link, 16); // a text's: 128 bits, 22 characters
 */
export async function createLink(db: D1Database, link: Link, bytes = 32): Promise<string> {
  const token = randomToken(bytes); // 256 random bits, or `bytes` × 8
  await insertLink(db, await hashToken(token), link);
  return token;
}

/** The live link of this kind behind a token, or null (unknown, malformed or expired). */
export async function findLink(db: D1Database, token: string, kind: LinkKind, now = Date.now()): Promise<Link | null> {
  if (!/^[\w-]{20,100}$/.test(token)) return null;
  return linkByHash(db, await hashToken(token), kind, now);
}
