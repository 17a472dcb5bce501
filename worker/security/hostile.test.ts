import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { CartbackEvent } from "../../protocol/types";
import type { MailJob } from "../mail/job";
import { REASONS } from "../sites/settings";
import { count, eventually, ORIGIN, randomId, seedSite } from "../test/helpers";
import { abandon, deliver } from "../test/recovery";

// What a hostile page, shopper or careless merchant can type, each with a `pwn` marker: escaped,
// it is harmless text; unescaped anywhere, the HTML parser below finds a <pwn> element or a pwn
// attribute.
const CORPUS = [
  "<pwn>tag</pwn>",
  '"><pwn>',
  "'><pwn>",
  '" onpwn="alert(1)',
  "' onpwn='alert(1)",
  "</title><pwn>",
  "</script><pwn>",
  "</style><pwn>",
  "</textarea><pwn>",
  "<svg><pwn/></svg>",
  "<![CDATA[<pwn>]]>",
  "{{name}}<pwn>",
  "\u202eexe.<pwn>",
];
// Each is a valid http(s) URL the protocol accepts; none may become a link or an image.
const HOSTILE_URLS = [
  "https://evil.example/phish",
  `${ORIGIN}.evil.example/suffix`,
  "http://127.0.0.1:8787@evil.example/userinfo",
  `https://evil.example/${ORIGIN}`,
  `${ORIGIN}/x?"><pwn>`,
];
const BASE = "http://127.0.0.1:8787"; // local, so the dev outbox answers too

/** Parses `html` with workerd's HTMLRewriter and lists every injected element or attribute, and
 * every link, form target or image that leaves the allowed origins. */
async function problemsIn(where: string, html: string, allowed: string[]): Promise<string[]> {
  const problems: string[] = [];
  const checkUrl = (tag: string, attr: string, value: string) => {
    // Same document, same origin, or the dashboard's empty favicon.
    if (/^(#|\?|\/(?!\/))/.test(value) || value === "" || (tag === "link" && value === "data:,")) return;
    let origin = "";
    try {
      origin = new URL(value).origin;
    } catch {}
    if (!allowed.includes(origin)) problems.push(`${where}: <${tag} ${attr}="${value}"> leaves the allowed origins`);
  };
  await new HTMLRewriter()
    .on("*", {
      element(el) {
        if (el.tagName.includes("pwn")) problems.push(`${where}: <${el.tagName}> element`);
        for (const [name = "", value = ""] of el.attributes) {
          if (name.includes("pwn")) problems.push(`${where}: ${name} attribute on <${el.tagName}>`);
          if (["href", "src", "action", "formaction", "background"].includes(name)) checkUrl(el.tagName, name, value);
        }
      },
    })
    .transform(new Response(html))
    .text();
  return problems;
}

const get = (path: string, cookie = "") => exports.default.fetch(`${BASE}${path}`, { headers: { cookie }, redirect: "manual" });

it("a corpus of hostile names, URLs and texts finds nothing unescaped in any email or page", async () => {
  const corpusText = (i: number) => `${CORPUS[i % CORPUS.length]} ${i}`;
  const templates = Object.fromEntries(
    REASONS.map((r, i) => [
      r,
      { subject: `{{name}} ${corpusText(i)}`, heading: corpusText(i + 1), body: corpusText(i + 2), cta: corpusText(i + 3) },
    ]),
  );
  const site = await seedSite(env.DB, [ORIGIN], {
    abandonAfterMinutes: 1,
    holdoutPercent: 0,
    shopName: `Tea "&" <pwn>Co</pwn>`,
    fromName: `'><pwn> Shop`,
    templates,
    incentive: { code: "TEA10", description: "</td><pwn> 10% off", expiresInHours: 48 },
    steps: [{ afterMinutes: 0, incentive: true }],
    notifyEmail: "owner@example.com",
  });
  const email = "hostile.corpus@example.com";
  const lines = CORPUS.map((text, i) => ({
    id: `line-${i}`,
    name: text,
    variant: CORPUS[(i + 1) % CORPUS.length],
    price: 100 + i,
    quantity: 1,
    url: HOSTILE_URLS[i % HOSTILE_URLS.length],
    image: HOSTILE_URLS[(i + 2) % HOSTILE_URLS.length],
  }));
  const steps: CartbackEvent[] = CORPUS.map((code, i) => ({
    id: randomId(),
    at: Date.now() - 5 * 60_000 + i,
    type: "moment",
    kind: "step",
    code,
  }));
  await abandon(site.key, email, { name: CORPUS.slice(0, 4).join(" "), lines: lines as never, extra: steps });

  // The recovery message and the merchant's notice, through the real mail consumer.
  const [sequence] = (
    await eventually(async () => {
      const rows = await env.DB.prepare(
        "SELECT s.id, m.id AS message FROM sequences s JOIN messages m ON m.sequence_id = s.id WHERE s.email = ?",
      )
        .bind(email)
        .all<{ id: string; message: string }>();
      expect(rows.results).toHaveLength(1);
      return rows;
    }, 15_000)
  ).results as [{ id: string; message: string }];
  const jobs: MailJob[] = [
    { kind: "recovery", id: sequence.message, site: site.id, email },
    { kind: "merchant_notice", id: `${sequence.id}-notice`, site: site.id, email: "owner@example.com", about: email },
  ];
  await deliver(jobs);
  const mails = (
    await env.DB.prepare(`SELECT id, subject, headers, html FROM dev_outbox WHERE "to" IN (?, ?)`).bind(email, "owner@example.com").all<{
      id: string;
      subject: string;
      headers: string;
      html: string;
    }>()
  ).results;
  expect(mails).toHaveLength(2);

  const shopAndCollector = [ORIGIN, env.PUBLIC_URL.replace(/\/+$/, "")];
  const problems: string[] = [];
  const surfaces: string[] = [];
  const check = async (where: string, html: string, allowed: string[]) => {
    surfaces.push(where);
    problems.push(...(await problemsIn(where, html, allowed)));
  };
  for (const mail of mails) {
    await check(`email "${mail.subject}"`, mail.html, shopAndCollector);
    // Header injection: no line breaks in any header the mailer is handed.
    for (const [name, value] of Object.entries({ subject: mail.subject, ...(JSON.parse(mail.headers) as Record<string, string>) })) {
      if (/[\r\n]/.test(value)) problems.push(`email header ${name} holds a line break`);
    }
  }

  // The recovery link's page and the unsubscribe page, reached from the email's own links.
  const recovery = mails.find((m) => m.html.includes("/r/"))?.html ?? "";
  for (const prefix of ["/r/", "/u/"]) {
    const path = [...recovery.matchAll(/href="([^"]+)"/g)].map((m) => m[1] ?? "").find((h) => h.includes(prefix));
    expect(path, `the email links to ${prefix}`).toBeTruthy();
    const url = new URL((path as string).replace(/&#38;/g, "&"));
    await check(`page ${prefix}`, await (await get(url.pathname)).text(), shopAndCollector);
  }

  // The merchant's dashboard, every template's preview, the CSV export, and the dev outbox.
  const login = await exports.default.fetch(`${BASE}/dashboard/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE },
    body: new URLSearchParams({ site: site.key, secret: `sk_${site.key}` }).toString(),
  });
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] as string;
  await check("dashboard", await (await get("/dashboard", cookie)).text(), [...shopAndCollector, BASE]);
  for (const reason of REASONS) {
    await check(`preview ${reason}`, await (await get(`/dashboard/preview?reason=${reason}&step=0`, cookie)).text(), shopAndCollector);
  }
  const csv = await (await get("/dashboard/orders.csv", cookie)).text();
  for (const cell of csv.split(/[,\n]/)) if (/^"?[=+\-@]/.test(cell)) problems.push(`CSV cell starts a formula: ${cell}`);
  await check("dev outbox", await (await get("/dev/outbox")).text(), [BASE]);
  for (const mail of mails) await check(`dev outbox message`, await (await get(`/dev/outbox/${mail.id}`)).text(), [BASE]);

  expect(surfaces.length).toBeGreaterThanOrEqual(12);
  expect(problems).toEqual([]);
  // The corpus did reach the pages (escaped), so the check above looked at real hostile input.
  expect(await count(env.DB, "SELECT count(*) AS n FROM carts WHERE lines LIKE '%<pwn>%'")).toBeGreaterThan(0);
  expect(mails.find((m) => m.html.includes("/r/"))?.html).toContain("&#60;pwn&#62;");
});
