// The sending-domain check: SPF, DKIM and DMARC read through DNS over HTTPS (the JSON API of
// https://developers.cloudflare.com/1.1.1.1/encryption/dns-over-https/make-api-requests/dns-json/),
// judged against what the provider documents (records.ts), said in plain words. No Workers-only
// import: scripts/check-domain.mjs runs this same file in Node.

import { type CheckedProvider, PROVIDER_RECORDS } from "./records";

export const DEFAULT_DOH = "https://cloudflare-dns.com/dns-query";

export type RecordKind = "SPF" | "DKIM" | "DMARC" | "Return-Path";
export interface Finding {
  record: RecordKind;
  /** `ok`; `missing` or `wrong` (what to add is in `add`); `unknown` (the check cannot know: `says` tells what to look for). */
  status: "ok" | "missing" | "wrong" | "unknown";
  says: string;
  add?: { type: "TXT" | "CNAME"; name: string; value: string };
}
export interface DomainReport {
  domain: string;
  provider: CheckedProvider;
  /** False when the resolver could not be reached: nothing is known. */
  checked: boolean;
  passed: boolean;
  findings: Finding[];
  error?: string;
}

/** A DNS answer: the records' data (TXT strings joined), or `undefined` for no such name. */
export type Lookup = (name: string, type: "TXT" | "CNAME") => Promise<string[]>;

/** The resolver could not be asked, or did not answer: the check says it could not check. */
export class ResolverError extends Error {
  override name = "ResolverError";
}

/** A TXT record's data as the JSON API gives it (`"v=spf1 " "include:…"`), as one string. */
const txtData = (data: string): string => {
  const parts = [...data.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? "").replace(/\\(.)/g, "$1"));
  return parts.length ? parts.join("") : data;
};

/**
 * Looks names up through a DoH JSON resolver (`?name=…&type=…`, `accept: application/dns-json`);
 * an unreachable or failing resolver is a `ResolverError`, NXDOMAIN an empty answer.
 *
 * @example
 * const lookup = dohLookup("https://cloudflare-dns.com/dns-query");
 * await lookup("_dmarc.shop.example", "TXT"); // ["v=DMARC1; p=none"]
 */
export function dohLookup(resolver: string, fetcher: typeof fetch = (i, init) => fetch(i, init), timeoutMs = 5000): Lookup {
  return async (name, type) => {
    const url = `${resolver}${resolver.includes("?") ? "&" : "?"}name=${encodeURIComponent(name)}&type=${type}`;
    let res: Response;
    try {
      res = await fetcher(url, { headers: { accept: "application/dns-json" }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw new ResolverError(`could not reach the resolver ${resolver}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!res.ok) throw new ResolverError(`the resolver ${resolver} answered ${res.status}`);
    const answer = (await res.json().catch(() => undefined)) as { Status?: number; Answer?: { type: number; data: string }[] } | undefined;
    if (!answer || typeof answer.Status !== "number") throw new ResolverError(`the resolver ${resolver} did not answer DNS JSON`);
    // 0 NOERROR, 3 NXDOMAIN: both are answers. Others (SERVFAIL…) say nothing about the records.
    if (answer.Status !== 0 && answer.Status !== 3)
      throw new ResolverError(`the resolver could not resolve ${name} (DNS status ${answer.Status})`);
    const code = type === "TXT" ? 16 : 5;
    return (answer.Answer ?? [])
      .filter((a) => a.type === code)
      .map((a) => (type === "TXT" ? txtData(a.data) : a.data.replace(/\.$/, "").toLowerCase()));
  };
}

/** A domain as DNS takes it: lower case, no trailing dot, labels of letters, digits and hyphens. */
export function normaliseDomain(input: string): string | undefined {
  const domain = input.trim().toLowerCase().replace(/\.$/, "");
  const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
  const labels = domain.split(".");
  return domain.length <= 253 && labels.length >= 2 && labels.every((l) => label.test(l)) ? domain : undefined;
}

const at = (host: string, domain: string) => (host ? `${host}.${domain}` : domain);

async function checkSpf(lookup: Lookup, domain: string, provider: CheckedProvider): Promise<Finding[]> {
  const want = PROVIDER_RECORDS[provider];
  const findings: Finding[] = [];
  if (want.returnPath) {
    const name = at(want.returnPath.host, domain);
    const cname = await lookup(name, "CNAME");
    findings.push(
      cname.includes(want.returnPath.target)
        ? {
            record: "Return-Path",
            status: "ok",
            says: `${name} points to ${want.returnPath.target}, so SPF passes on ${want.label}'s bounces.`,
          }
        : {
            record: "Return-Path",
            status: cname.length ? "wrong" : "missing",
            says: `${want.label} checks SPF on a Return-Path of your domain, and ${name} ${cname.length ? `points to ${cname[0]}` : "does not exist"}. Add a CNAME record named ${name} pointing to ${want.returnPath.target}.`,
            add: { type: "CNAME", name, value: want.returnPath.target },
          },
    );
  }
  const host = at(want.spf?.host ?? "", domain);
  const spf = (await lookup(host, "TXT")).filter((t) => /^v=spf1(\s|$)/i.test(t));
  const include = want.spf?.include;
  const suggested = `v=spf1${include ? ` include:${include}` : ""} ~all`;
  if (spf.length > 1)
    findings.push({
      record: "SPF",
      status: "wrong",
      says: `${host} has ${spf.length} SPF records; with more than one, SPF fails for all of them (RFC 7208 §3.2). Merge them into one TXT record${include ? ` that includes ${include}` : ""}.`,
      add: { type: "TXT", name: host, value: suggested },
    });
  else if (!spf.length)
    findings.push(
      include
        ? {
            record: "SPF",
            status: "missing",
            says: `There is no SPF record at ${host}, so receivers cannot tell ${want.label} may send for you. Add a TXT record named ${host} with the value "${suggested}".`,
            add: { type: "TXT", name: host, value: suggested },
          }
        : {
            record: "SPF",
            status: "unknown",
            says: `There is no SPF record at ${host}; ${want.label} authenticates with DKIM, which DMARC accepts alone.`,
          },
    );
  else if (include && !new RegExp(`(^|\\s)[+]?include:${include.replace(/\./g, "\\.")}(\\s|$)`, "i").test(spf[0] as string))
    findings.push({
      record: "SPF",
      status: "wrong",
      says: `The SPF record at ${host} ("${spf[0]}") does not include ${include}, so mail from ${want.label} fails SPF. Add "include:${include}" before its "all".`,
      add: { type: "TXT", name: host, value: (spf[0] as string).replace(/\s+([~?+-]?all)\b/i, ` include:${include} $1`) },
    });
  else findings.push({ record: "SPF", status: "ok", says: `The SPF record at ${host} ${include ? `includes ${include}` : "is there"}.` });
  return findings;
}

async function checkDkim(lookup: Lookup, domain: string, provider: CheckedProvider, given: string[]): Promise<Finding[]> {
  const want = PROVIDER_RECORDS[provider].dkim;
  const label = PROVIDER_RECORDS[provider].label;
  const selectors = given.length ? given : want.selectors;
  if (!selectors.length)
    return [
      {
        record: "DKIM",
        status: "unknown",
        says: `The DKIM selector cannot be known from here. ${"hint" in want ? want.hint : ""}, then check again with it.`,
      },
    ];
  const findings: Finding[] = [];
  for (const selector of selectors) {
    const name = `${selector.replace(/\._domainkey(\..*)?$/, "")}._domainkey.${domain}`;
    const cname = await lookup(name, "CNAME");
    const txt =
      cname.length && want.record === "CNAME" ? [] : (await lookup(name, "TXT")).filter((t) => /(^|;)\s*p=[A-Za-z0-9+/=]{20,}/.test(t));
    const ok = want.record === "CNAME" ? cname.some((c) => c.endsWith(want.target ?? "")) : txt.length > 0 || cname.length > 0;
    findings.push(
      ok
        ? { record: "DKIM", status: "ok", says: `The DKIM key ${name} is published.` }
        : {
            record: "DKIM",
            status: "missing",
            says: `There is no DKIM key at ${name}, so ${label}'s signature on your mail cannot be checked. Add the ${want.record} record ${label} shows for ${name}${want.record === "CNAME" ? ` (it points to …${want.target})` : " (its value starts with p=)"}.`,
            add: {
              type: want.record,
              name,
              value: want.record === "CNAME" ? `${selector}.${want.target}` : `the p=… value ${label} shows`,
            },
          },
    );
  }
  return findings;
}

async function checkDmarc(lookup: Lookup, domain: string): Promise<Finding> {
  const name = `_dmarc.${domain}`;
  const dmarc = (await lookup(name, "TXT")).filter((t) => /^v=DMARC1\s*(;|$)/i.test(t));
  const suggested = `v=DMARC1; p=none; rua=mailto:dmarc-reports@${domain}`;
  if (!dmarc.length)
    return {
      record: "DMARC",
      status: "missing",
      says: `There is no DMARC record for ${domain}. Since 2024 Gmail and Yahoo require one from anyone sending them mail in bulk, so your recovery emails may be refused or filed as spam. Add a TXT record named ${name} with the value "${suggested}" (p=none only watches; move to p=quarantine once the reports look right).`,
      add: { type: "TXT", name, value: suggested },
    };
  if (dmarc.length > 1)
    return {
      record: "DMARC",
      status: "wrong",
      says: `${name} has ${dmarc.length} DMARC records; receivers then ignore them all (RFC 7489 §6.6.3). Keep one.`,
      add: { type: "TXT", name, value: dmarc[0] as string },
    };
  const policy = /(^|;)\s*p=(\w+)/i.exec(dmarc[0] as string)?.[2]?.toLowerCase();
  return policy
    ? {
        record: "DMARC",
        status: "ok",
        says: `DMARC is published for ${domain} (policy ${policy}${policy === "none" ? ": reports only" : ""}).`,
      }
    : {
        record: "DMARC",
        status: "wrong",
        says: `The DMARC record at ${name} has no policy (p=); receivers ignore it. Make it "${suggested}".`,
        add: { type: "TXT", name, value: suggested },
      };
}

/**
 * Checks a sending domain for a provider. `passed` means SPF (or the Return-Path), DKIM and DMARC
 * are all as the provider needs; a DKIM selector the check cannot know leaves it not passed, with
 * words saying where to find it (`dkimSelectors` then checks it). An unreachable resolver gives
 * `checked: false`, never a verdict.
 *
 * @example
 * const report = await checkDomain(dohLookup(DEFAULT_DOH), "shop.example", "resend");
 * report.findings.find((f) => f.record === "DMARC")?.says; // "There is no DMARC record for shop.example. …"
 */
export async function checkDomain(
  lookup: Lookup,
  domain: string,
  provider: CheckedProvider,
  dkimSelectors: string[] = [],
): Promise<DomainReport> {
  try {
    const findings = [
      ...(await checkSpf(lookup, domain, provider)),
      ...(await checkDkim(lookup, domain, provider, dkimSelectors)),
      await checkDmarc(lookup, domain),
    ];
    const passed = findings.every((f) => f.status === "ok" || (f.status === "unknown" && f.record === "SPF"));
    return { domain, provider, checked: true, passed, findings };
  } catch (e) {
    if (!(e instanceof ResolverError)) throw e;
    return { domain, provider, checked: false, passed: false, findings: [], error: `Could not check ${domain}: ${e.message}.` };
  }
}

/**
 * The report as sentences, one a line: what passed, what is missing and what to add.
 *
 * @example
 * console.log(reportText(report));
 */
export function reportText(report: DomainReport): string {
  const label = PROVIDER_RECORDS[report.provider].label;
  if (!report.checked)
    return `${report.error ?? `Could not check ${report.domain}.`} Nothing is known about its records; try again when the resolver is reachable.`;
  const head = report.passed
    ? `${report.domain} is ready to send through ${label}.`
    : `${report.domain} is not ready to send through ${label} yet:`;
  const mark = { ok: "ok", missing: "MISSING", wrong: "WRONG", unknown: "CHECK" } as const;
  return [
    head,
    ...report.findings.map((f) => `  [${mark[f.status]}] ${f.record}: ${f.says}`),
    `  (${label}'s own guide: ${PROVIDER_RECORDS[report.provider].doc})`,
  ].join("\n");
}
