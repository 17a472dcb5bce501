// `sms_suppressions`: numbers a site never texts again. Written by the opt-out webhook and by a
// withdrawn consent; read before every text.

/** Why a number is suppressed: the phone said STOP, the shopper withdrew consent, the provider
 * said the number cannot take texts, or the merchant listed it (db/audience.ts). */
export type SuppressWhy = "stop" | "withdrawn" | "undeliverable" | "merchant";

/**
 * Suppresses a number for a site, for good. The first reason stays: a STOP is never relabelled.
 *
 * @example
 * await suppressPhone(env.DB, site.id, "+34600111222", "stop", Date.now());
 */
export async function suppressPhone(db: D1Database, site: number, phone: string, why: SuppressWhy, at: number): Promise<void> {
  await db
    .prepare("INSERT OR IGNORE INTO sms_suppressions (site_id, phone, at, why) VALUES (?1, ?2, ?3, ?4)")
    .bind(site, phone, at, why)
    .run();
}

/**
 * Whether a site may no longer text a number.
 *
 * @example
 * if (await isSuppressed(env.DB, site.id, phone)) return; // never texted again
 */
export async function isSuppressed(db: D1Database, site: number, phone: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 AS x FROM sms_suppressions WHERE site_id = ?1 AND phone = ?2").bind(site, phone).first()) !== null;
}
