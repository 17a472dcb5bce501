// @vitest-environment node
// `npm run site:check-domain` against a local DNS-over-HTTPS server shaped as Cloudflare's JSON API
// documents it (https://developers.cloudflare.com/1.1.1.1/encryption/dns-over-https/make-api-requests/dns-json/):
// GET ?name=…&type=TXT|CNAME with accept: application/dns-json, answering
// { Status: 0 | 3, Answer: [{ name, type: 16 | 5, TTL, data }] }, TXT data quoted.
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type Zone = Record<string, { TXT?: string[]; CNAME?: string[] }>;

function fakeResolver(zone: Zone): Promise<{ url: string; server: Server; asked: string[] }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const name = (url.searchParams.get("name") ?? "").toLowerCase();
    const type = url.searchParams.get("type") as "TXT" | "CNAME";
    asked.push(`${type} ${name}`);
    if (url.pathname !== "/dns-query" || req.headers.accept !== "application/dns-json") {
      res.writeHead(400).end();
      return;
    }
    const records = zone[name]?.[type] ?? [];
    const known = Object.keys(zone).some((n) => n === name || n.endsWith(`.${name}`));
    const Answer = records.map((data) => ({
      name: `${name}.`,
      type: type === "TXT" ? 16 : 5,
      TTL: 300,
      data: type === "TXT" ? `"${data}"` : `${data}.`,
    }));
    res.writeHead(200, { "content-type": "application/dns-json" });
    res.end(
      JSON.stringify({
        Status: known ? 0 : 3,
        TC: false,
        RD: true,
        RA: true,
        AD: false,
        CD: false,
        Question: [{ name, type: type === "TXT" ? 16 : 5 }],
        ...(Answer.length && { Answer }),
      }),
    );
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dns-query`, server, asked }),
    ),
  );
}

const run = (args: string[]): Promise<{ code: number; out: string }> =>
  new Promise((resolve) =>
    execFile("node", ["scripts/check-domain.mjs", ...args], { env: { ...process.env, DOH_URL: "" } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, out: `${stdout}${stderr}` }),
    ),
  );

const ZONE: Zone = {
  "shop.example": { TXT: ["google-site-verification=abc", "v=spf1 include:_spf.google.com ~all"] },
  "send.shop.example": { TXT: ["v=spf1 include:amazonses.com ~all"] },
  "resend._domainkey.shop.example": { TXT: ["p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDexample"] },
  "ready.example": { TXT: ["v=spf1 include:amazonses.com ~all"] },
  "send.ready.example": { TXT: ["v=spf1 include:amazonses.com ~all"] },
  "resend._domainkey.ready.example": { TXT: ["p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDexample"] },
  "_dmarc.ready.example": { TXT: ["v=DMARC1; p=quarantine; rua=mailto:d@ready.example"] },
};

describe("npm run site:check-domain", () => {
  let dns: Awaited<ReturnType<typeof fakeResolver>>;
  beforeAll(async () => {
    dns = await fakeResolver(ZONE);
  });
  afterAll(() => void dns.server.close());

  it("explains a missing DMARC record in words, names the record to add, and exits 1", async () => {
    const { code, out } = await run(["--domain", "Shop.Example.", "--provider", "resend", "--resolver", dns.url]);
    expect(code).toBe(1);
    expect(out).toContain("shop.example is not ready to send through Resend yet");
    expect(out).toMatch(/\[MISSING\] DMARC: There is no DMARC record for shop\.example\. Since 2024 Gmail and Yahoo require one/);
    expect(out).toContain(
      'Add a TXT record named _dmarc.shop.example with the value "v=DMARC1; p=none; rua=mailto:dmarc-reports@shop.example"',
    );
    expect(out).toMatch(/\[ok\] SPF: The SPF record at send\.shop\.example includes amazonses\.com/);
    expect(out).toMatch(/\[ok\] DKIM: The DKIM key resend\._domainkey\.shop\.example is published/);
    expect(dns.asked).toContain("TXT _dmarc.shop.example");
  });

  it("says a domain with every record is ready, and exits 0", async () => {
    const { code, out } = await run(["--domain", "ready.example", "--resolver", dns.url]);
    expect(out).toContain("ready.example is ready to send through Resend.");
    expect(code).toBe(0);
  });

  it("says an SPF record without the provider's include is wrong, and how to fix it", async () => {
    const { code, out } = await run(["--domain", "shop.example", "--provider", "ses", "--resolver", dns.url, "--json"]);
    expect(code).toBe(1);
    const report = JSON.parse(out);
    expect(report.findings.find((f: { record: string }) => f.record === "SPF")).toMatchObject({
      status: "wrong",
      add: { type: "TXT", name: "shop.example", value: "v=spf1 include:_spf.google.com include:amazonses.com ~all" },
    });
    // SES's DKIM tokens are per identity: said, not guessed.
    expect(report.findings.find((f: { record: string }) => f.record === "DKIM")).toMatchObject({ status: "unknown" });
    expect(report.findings.find((f: { record: string }) => f.record === "DKIM").says).toMatch(/three CNAME records/);
  });

  it("checks the selectors it is given (Postmark's dated one)", async () => {
    const { out } = await run([
      "--domain",
      "shop.example",
      "--provider",
      "postmark",
      "--dkim-selector",
      "20240101000000pm",
      "--resolver",
      dns.url,
    ]);
    expect(out).toMatch(/\[MISSING\] DKIM: There is no DKIM key at 20240101000000pm\._domainkey\.shop\.example/);
    expect(out).toMatch(/\[MISSING\] Return-Path: .*Add a CNAME record named pm-bounces\.shop\.example pointing to pm\.mtasv\.net/);
  });

  it("without a reachable resolver says it could not check, and exits 2", async () => {
    const closed = await fakeResolver({});
    const url = `${closed.url}`;
    await new Promise((r) => closed.server.close(r));
    const { code, out } = await run(["--domain", "shop.example", "--resolver", url]);
    expect(code).toBe(2);
    expect(out).toMatch(/^Could not check shop\.example: could not reach the resolver/);
  });

  it("refuses what is not a domain, and an unknown provider", async () => {
    expect((await run(["--domain", "shop example"])).code).toBe(64);
    expect((await run(["--domain", "shop.example", "--provider", "sendgrid"])).code).toBe(64);
  });
});
