import * as v from "valibot";
import { domainChecks, saveDomainCheck } from "../../db/sending-domains";
import { providerOf } from "../../sites/sender";
import type { SiteSettings } from "../../sites/settings";
import { checkDomain, DEFAULT_DOH, type DomainReport, dohLookup, normaliseDomain, reportText } from "./check";
import { CHECKED_PROVIDERS, type CheckedProvider } from "./records";

/** What the merchant asks to check: a domain, the provider (the site's when not given) and any DKIM selectors. */
export const DomainCheckRequest = v.object({
  domain: v.pipe(
    v.string(),
    v.maxLength(253),
    v.check((d) => normaliseDomain(d) !== undefined, "must be a domain name like shop.example"),
  ),
  provider: v.optional(v.picklist(CHECKED_PROVIDERS, `must be one of ${CHECKED_PROVIDERS.join(", ")}`)),
  dkimSelectors: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.trim(), v.regex(/^[A-Za-z0-9._-]{1,100}$/, "letters, digits, dots, - and _ only"))),
      v.maxLength(5),
    ),
    [],
  ),
});
export type DomainCheckInput = v.InferOutput<typeof DomainCheckRequest>;

/** The provider a check is for: the one asked, else the site's own; the outbox has no domain to check. */
export function checkedProvider(
  env: Env,
  site: { settings: Pick<SiteSettings, "mailProvider"> },
  asked?: CheckedProvider,
): CheckedProvider | undefined {
  const provider = asked ?? providerOf(env.MAIL_PROVIDER, site.settings);
  return (CHECKED_PROVIDERS as readonly string[]).includes(provider) ? (provider as CheckedProvider) : undefined;
}

/**
 * Runs the sending-domain check for a site through the collector's resolver (DOH_URL, else
 * Cloudflare's), and remembers a result the resolver gave (a check that could not run changes
 * nothing that was known).
 *
 * @example
 * const { report, text } = await runDomainCheck(env, site, { domain: "shop.example", dkimSelectors: [] }, "resend");
 */
export async function runDomainCheck(
  env: Env,
  site: { id: number },
  input: DomainCheckInput,
  provider: CheckedProvider,
  fetcher?: typeof fetch,
): Promise<{ report: DomainReport; text: string }> {
  const domain = normaliseDomain(input.domain) as string;
  const report = await checkDomain(dohLookup(env.DOH_URL || DEFAULT_DOH, fetcher), domain, provider, input.dkimSelectors);
  if (report.checked) await saveDomainCheck(env.DB, site.id, { domain, provider, passed: report.passed, report }, Date.now());
  return { report, text: reportText(report) };
}

/** The site's remembered checks, as the API lists them. */
export const listDomainChecks = async (db: D1Database, site: number) =>
  (await domainChecks(db, site)).map((row) => ({
    domain: row.domain,
    provider: row.provider,
    passed: row.passed === 1,
    checkedAt: new Date(row.checked_at).toISOString(),
    findings: (JSON.parse(row.report) as DomainReport).findings,
  }));
