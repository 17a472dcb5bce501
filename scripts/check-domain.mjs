#!/usr/bin/env node
// Checks a shop's sending domain: SPF, DKIM and DMARC through DNS over HTTPS, against what the
// mail provider documents, in plain words (docs/mail-providers.md).
//   npm run site:check-domain -- --domain shop.example [--provider resend|postmark|ses|cloudflare]
//                                [--dkim-selector SEL …] [--resolver URL] [--json]
// The resolver is Cloudflare's DoH JSON API unless --resolver or DOH_URL names another.
// Exit status: 0 ready, 1 records missing or wrong, 2 could not check (no network), 64 bad usage.
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;

function usage(message) {
  console.error(
    `${message}\nusage: npm run site:check-domain -- --domain shop.example [--provider resend|postmark|ses|cloudflare] [--dkim-selector SEL] [--resolver URL] [--json]`,
  );
  process.exit(64);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      domain: { type: "string" },
      provider: { type: "string", default: "resend" },
      "dkim-selector": { type: "string", multiple: true, default: [] },
      resolver: { type: "string" },
      json: { type: "boolean", default: false },
    },
  }));
} catch (e) {
  usage(e.message);
}

// The worker's own check, bundled on the fly: one implementation for the CLI and the dashboard.
const bundle = await build({
  entryPoints: [`${root}worker/mail/domain/check.ts`],
  bundle: true,
  write: false,
  format: "esm",
  platform: "node",
  logLevel: "silent",
});
const { checkDomain, dohLookup, normaliseDomain, reportText, DEFAULT_DOH } = await import(
  `data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString("base64")}`
);
const { CHECKED_PROVIDERS } = await import(
  `data:text/javascript;base64,${Buffer.from(
    (await build({ entryPoints: [`${root}worker/mail/domain/records.ts`], bundle: true, write: false, format: "esm", logLevel: "silent" }))
      .outputFiles[0].text,
  ).toString("base64")}`
);

const domain = normaliseDomain(values.domain ?? "");
if (!domain) usage(`--domain must be a domain name like shop.example (got ${JSON.stringify(values.domain ?? "")})`);
if (!CHECKED_PROVIDERS.includes(values.provider)) usage(`--provider must be one of ${CHECKED_PROVIDERS.join(", ")}`);
const resolver = values.resolver ?? process.env.DOH_URL ?? DEFAULT_DOH;

const report = await checkDomain(dohLookup(resolver), domain, values.provider, values["dkim-selector"]);
console.log(values.json ? JSON.stringify(report, null, 2) : reportText(report));
process.exit(!report.checked ? 2 : report.passed ? 0 : 1);
