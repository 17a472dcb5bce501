// The `sending_domains` table (migration 0026): the last domain check per site, domain and provider.

export interface SendingDomainRow {
  domain: string;
  provider: string;
  passed: number;
  checked_at: number;
  report: string;
}

/**
 * Keeps a check's result, replacing the previous one for that domain and provider.
 *
 * @example
 * await saveDomainCheck(env.DB, site.id, { domain: "shop.example", provider: "resend", passed: true, report }, Date.now());
 */
export const saveDomainCheck = (
  db: D1Database,
  site: number,
  check: { domain: string; provider: string; passed: boolean; report: unknown },
  at: number,
) =>
  db
    .prepare(
      `INSERT INTO sending_domains (site_id, domain, provider, passed, checked_at, report) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (site_id, domain, provider) DO UPDATE SET passed = excluded.passed, checked_at = excluded.checked_at, report = excluded.report`,
    )
    .bind(site, check.domain, check.provider, check.passed ? 1 : 0, at, JSON.stringify(check.report))
    .run();

/** Whether the domain's last check for the provider passed. */
export const domainPassed = async (db: D1Database, site: number, domain: string, provider: string): Promise<boolean> =>
  (await db
    .prepare("SELECT passed FROM sending_domains WHERE site_id = ? AND domain = ? AND provider = ?")
    .bind(site, domain, provider)
    .first<number>("passed")) === 1;

/** A site's checked domains, newest check first. */
export const domainChecks = (db: D1Database, site: number) =>
  db
    .prepare("SELECT domain, provider, passed, checked_at, report FROM sending_domains WHERE site_id = ? ORDER BY checked_at DESC LIMIT 20")
    .bind(site)
    .all<SendingDomainRow>()
    .then((r) => r.results);
