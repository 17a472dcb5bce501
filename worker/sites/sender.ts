// Who a site's email comes from. The From address must be one the provider will sign for: on a
// domain whose sending-domain check passed for the site's provider (db/sending-domains.ts), or
// the provider's verified sender the operator set as MAIL_FROM. Decided here, at save time, so a
// merchant hears why (a 4xx naming the field) rather than finding failed messages later.

import { domainPassed } from "../db/sending-domains";
import { MAIL_PROVIDERS, type MailProvider, type SiteSettings } from "./settings";

/** The address part of a From header, lower case. */
export const addressOf = (from: string): string => (/<([^>]+)>/.exec(from)?.[1] ?? from).trim().toLowerCase();

/** An address no real mailbox can have (RFC 2606's `.invalid`): the collector's placeholder sender. */
export const isPlaceholder = (address: string): boolean => /\.invalid$/i.test(addressOf(address));

/** The provider a site sends through: its own setting, else MAIL_PROVIDER, else the outbox. */
export const providerOf = (mailProvider: string | undefined, settings?: { mailProvider?: MailProvider }): MailProvider => {
  const named = settings?.mailProvider ?? mailProvider;
  return (MAIL_PROVIDERS as readonly string[]).includes(named ?? "") ? (named as MailProvider) : "outbox";
};

/** What the collector's operator configured: MAIL_FROM (the provider's verified sender) and MAIL_PROVIDER. */
export interface Operator {
  MAIL_FROM: string;
  MAIL_PROVIDER?: string;
}

/**
 * Why a site's `fromAddress` cannot be used, as settings issues (empty when it can).
 *
 * @example
 * await senderIssues(env.DB, site.id, { fromAddress: "hola@shop.example", mailProvider: "resend" }, env);
 * // [{ path: "fromAddress", message: "shop.example has not passed the sending-domain check for resend: …" }]
 */
export async function senderIssues(
  db: D1Database,
  site: number,
  settings: Pick<SiteSettings, "fromAddress" | "mailProvider">,
  operator: Operator,
): Promise<{ path: string; message: string }[]> {
  const from = settings.fromAddress;
  if (!from) return [];
  const issue = (message: string) => [{ path: "fromAddress", message }];
  if (isPlaceholder(from)) return issue(`${from} is a placeholder address: no provider delivers from it`);
  const provider = providerOf(operator.MAIL_PROVIDER, settings);
  // The outbox sends nowhere; the check applies when the site moves to a real provider.
  if (provider === "outbox") return [];
  if (addressOf(from) === addressOf(operator.MAIL_FROM) && !isPlaceholder(operator.MAIL_FROM)) return [];
  const domain = addressOf(from).split("@")[1] ?? "";
  if (await domainPassed(db, site, domain, provider)) return [];
  return issue(
    `${domain} has not passed the sending-domain check for ${provider}: run it (POST /v1/sites/:key/sending-domain, the dashboard's settings or npm run site:check-domain -- --domain ${domain} --provider ${provider}), add the records it names and check again; or send from ${addressOf(operator.MAIL_FROM)}`,
  );
}
