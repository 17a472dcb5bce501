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

/** Stores a link under its token's hash. */
export const insertLink = (db: D1Database, hash: string, link: Link) =>
  db
    .prepare(
      "INSERT INTO links (token_hash, kind, site_id, email, aid, message_id, sequence_id, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(hash, link.kind, link.site_id, link.email, link.aid, link.message_id, link.sequence_id, link.expires_at)
    .run();

/** The live link of this kind stored under a token's hash, or null (unknown or expired). */
export const linkByHash = (db: D1Database, hash: string, kind: LinkKind, now: number) =>
  db
    .prepare(
      "SELECT kind, site_id, email, aid, message_id, sequence_id, expires_at FROM links WHERE token_hash = ? AND kind = ? AND expires_at > ?",
    )
    .bind(hash, kind, now)
    .first<Link>();
