// What each provider asks a sending domain to publish, from its own documentation. Where the
// DKIM selector is made per account (Postmark's dated one, SES's three tokens), it cannot be
// guessed: the check says so and what to look for, and checks it once the merchant gives it.

/** A provider whose sending domain can be checked. */
export type CheckedProvider = "resend" | "postmark" | "ses" | "cloudflare";
export const CHECKED_PROVIDERS: readonly CheckedProvider[] = ["resend", "postmark", "ses", "cloudflare"];

export interface ProviderRecords {
  label: string;
  /** Where its setup is documented. */
  doc: string;
  /** The SPF record it needs: on which host (`""` = the domain itself) and which include. */
  spf?: { host: string; include: string };
  /** A bounce (Return-Path) CNAME that stands in for SPF, when the provider uses one. */
  returnPath?: { host: string; target: string };
  /** The DKIM selectors, when fixed; else how to find them. */
  dkim:
    | { selectors: string[]; record: "TXT" | "CNAME"; target?: string }
    | { selectors: []; record: "TXT" | "CNAME"; target?: string; hint: string };
}

export const PROVIDER_RECORDS: Record<CheckedProvider, ProviderRecords> = {
  resend: {
    label: "Resend",
    doc: "https://resend.com/docs/dashboard/domains/introduction",
    // Resend sends with a custom MAIL FROM on the `send` subdomain, through Amazon SES.
    spf: { host: "send", include: "amazonses.com" },
    dkim: { selectors: ["resend"], record: "TXT" },
  },
  postmark: {
    label: "Postmark",
    doc: "https://postmarkapp.com/support/article/1091-how-do-i-set-up-dkim-for-postmark",
    // https://postmarkapp.com/support/article/910-adding-a-custom-return-path-domain: SPF is
    // checked on the Return-Path, which this CNAME puts on the shop's domain.
    returnPath: { host: "pm-bounces", target: "pm.mtasv.net" },
    dkim: {
      selectors: [],
      record: "TXT",
      hint: "Postmark makes a dated selector per domain (a TXT record named like 20240101000000pm._domainkey): copy its name from Postmark → Sender signatures → your domain → DNS settings",
    },
  },
  ses: {
    label: "Amazon SES",
    doc: "https://docs.aws.amazon.com/ses/latest/dg/send-email-authentication-dkim-easy.html",
    spf: { host: "", include: "amazonses.com" },
    dkim: {
      selectors: [],
      record: "CNAME",
      target: "dkim.amazonses.com",
      hint: "Easy DKIM makes three CNAME records, <token>._domainkey → <token>.dkim.amazonses.com: copy the three tokens from the SES console → Verified identities → your domain → DKIM",
    },
  },
  cloudflare: {
    label: "Cloudflare Email Service",
    doc: "https://developers.cloudflare.com/email-service/configuration/domains/",
    dkim: {
      selectors: [],
      record: "TXT",
      hint: "Cloudflare adds the DKIM record when the domain is onboarded: copy its selector from the dashboard → Email Service → your domain → DNS records",
    },
  },
};
