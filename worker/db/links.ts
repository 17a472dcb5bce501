import { hex } from "../http/crypto";

/** Links in emails: restore a cart, or unsubscribe. The token travels; only its hash is stored. */
export type LinkKind = "restore" | "unsubscribe";

export interface Link {
  kind: LinkKind;
  site_id: number;
  email: string;
  aid: string | null;
  message_id: string | null;
  sequence_id: string | null;
  expires_at: number;
}

export const hashToken = async (token: string): Promise<string> =>
  hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));

/** An unguessable token (256 random bits) for a new link. */
function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/**
 * Stores a link and returns its token.
 *
 * @example
 * const token = await createLink(env.DB, { kind: "restore", site_id: 1, email, aid, message_id, sequence_id, expires_at });
 */
export async function createLink(db: D1Database, link: Link): Promise<string> {
  const token = newToken();
  await db
    .prepare(
      "INSERT INTO links (token_hash, kind, site_id, email, aid, message_id, sequence_id, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(await hashToken(token), link.kind, link.site_id, link.email, link.aid, link.message_id, link.sequence_id, link.expires_at)
    .run();
  return token;
}

/** The live link of this kind behind a token, or null (unknown, malformed or expired). */
export async function findLink(db: D1Database, token: string, kind: LinkKind, now = Date.now()): Promise<Link | null> {
  if (!/^[\w-]{20,100}$/.test(token)) return null;
  return db
    .prepare(
      "SELECT kind, site_id, email, aid, message_id, sequence_id, expires_at FROM links WHERE token_hash = ? AND kind = ? AND expires_at > ?",
    )
    .bind(await hashToken(token), kind, now)
    .first<Link>();
}
