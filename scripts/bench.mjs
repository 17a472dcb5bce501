// `npm run bench`: prints figures, asserts nothing. On one local `wrangler dev` with its own state:
//  1. The script's size, min+gzip and min+brotli, per public entry.
//  2. Recovery lag: shoppers whose carts come due over 20 s; for each first email, the time from its
//     due time to the moment it is in the dev outbox, both read through the collector's own HTTP
//     routes (the merchant API's messages, /dev/outbox.json): nothing else touches its storage.
//  3. Ingest: `POST /v1/events` against `GET /health` (the anchor), and the same batches spread over
//     many sites (seeded before the collector starts) against one site, in interleaved rounds whose
//     order rotates; each ratio per round, then median, min and max. Once the collector is stopped,
//     checks that every accepted batch was stored once.
// Options: --port N (default 8807), --json (last line: one JSON object), --rounds N (default 6),
//          --seconds N (per route and round, default 4), --concurrency N (default 16),
//          --shoppers N (default 100, at most 100: the merchant API lists 100 messages),
//          --sites N (default 20000)
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { benchArgs, freshCollector, summary } from "./bench-common.mjs";
import { DEMO_SITE } from "./setup-local.mjs";
import { measure, sizeTable } from "./size.mjs";
import { d1Rows, wrangler } from "./wrangler.mjs";

const { values, ORIGIN, ROUNDS, progress, ...bench } = benchArgs("bench", {
  port: 8807,
  options: {
    seconds: { type: "string", default: "4" },
    concurrency: { type: "string", default: "16" },
    shoppers: { type: "string", default: "100" },
    sites: { type: "string", default: "20000" },
  },
});
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const SHOPPERS = Math.min(100, Number(values.shoppers));
const SITES = Number(values.sites);
const { STATE } = bench;
const WHERE = ["--local", "--persist-to", STATE];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

console.log("## Script size\n");
console.log(sizeTable(await measure()));

const { stop } = await freshCollector(bench, () => {
  progress("local D1 migrated");
  seedSites(SITES);
  progress(`${SITES} sites seeded`);
});
// wrangler dev may reload the worker once in its first seconds (it watches the assets just built).
await sleep(5_000);

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const id = () => randomBytes(16).toString("base64url");
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const spread = (xs) => summary(xs, 3);

/** The bench's sites, written before the collector starts (a second process must not open its D1 while it runs). */
function seedSites(n) {
  const file = `${STATE}-sites.sql`;
  const origins = JSON.stringify([ORIGIN]);
  const rows = Array.from(
    { length: n },
    (_, i) => `('${siteKey(i)}', 'sk_bench_${i}', 'Bench shop ${i}', '${origins}', '{}', ${Date.now()})`,
  );
  const statements = [];
  for (let i = 0; i < rows.length; i += 500) {
    statements.push(`INSERT INTO sites (key, secret, name, origins, settings, created_at) VALUES ${rows.slice(i, i + 500).join(",\n")};`);
  }
  writeFileSync(file, statements.join("\n"));
  wrangler(["d1", "execute", "DB", ...WHERE, "--file", file, "--yes"], { quiet: true });
  rmSync(file);
}

function siteKey(i) {
  return `pk_bench_${String(i).padStart(6, "0")}`;
}

function request(method, path, body, headers = {}) {
  return new Promise((resolve) => {
    const req = http.request(
      `${ORIGIN}${path}`,
      {
        method,
        agent,
        headers: body
          ? { "content-type": "text/plain;charset=UTF-8", origin: ORIGIN, "accept-language": "es-ES,es;q=0.9,en;q=0.8", ...headers }
          : headers,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("error", () => resolve({ status: 0, text: "" }));
    // Nothing in the bench waits forever on one answer: a request still open after 60 s counts as failed.
    req.setTimeout(60_000, () => req.destroy());
    req.end(body);
  });
}

const merchant = { authorization: `Bearer ${DEMO_SITE.secret}`, "content-type": "application/json" };

// ---- Recovery lag: first, on a quiet collector, as a shop's traffic would find it ----
console.log(`\n## Recovery lag (${SHOPPERS} shoppers coming due over 20 s)\n`);
const patched = await fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/settings`, {
  method: "PATCH",
  headers: merchant,
  body: JSON.stringify({ abandonAfterMinutes: 1, holdoutPercent: 0 }),
});
if (!patched.ok) throw new Error(`could not set the threshold: ${patched.status}`);
const run = Date.now();
const emailOf = (i) => `lag-${run}-${i}@example.com`;
await Promise.all(
  Array.from({ length: SHOPPERS }, async (_, i) => {
    // Last activity set so the cart comes due 10 to 30 s from now, spread evenly: the alarms fire
    // while the collector is busy with the others.
    const at = run - 60_000 + 10_000 + Math.round((i * 20_000) / SHOPPERS);
    const cart = { currency: "EUR", lines: [{ id: "tea", name: "Green tea", price: 1250, quantity: 1 }] };
    const body = JSON.stringify({
      aid: id(),
      sentAt: Date.now(),
      events: [
        { id: id(), at, type: "cart", action: "set", cart },
        { id: id(), at, type: "identify", email: emailOf(i) },
      ],
    });
    // A 503 is what the script retries too (same event ids: stored once): wrangler dev answers it
    // when it reloads the worker mid-request, as it may just after starting.
    for (let attempt = 1; ; attempt++) {
      const { status, text } = await request("POST", `/v1/events?site=${DEMO_SITE.key}`, body);
      if (status === 202) break;
      if (status !== 503 || attempt === 5) {
        console.error(`[bench] shopper ${i}: ingest answered ${status} ${text}`);
        break;
      }
      await sleep(1000);
    }
  }),
);
/** When each shopper's email entered the outbox (the collector's clock), by address. */
const inOutbox = new Map();
for (let i = 0; i < 120 && inOutbox.size < SHOPPERS; i++) {
  await sleep(1000);
  const { status, text } = await request("GET", "/dev/outbox.json");
  if (status !== 200) continue;
  for (const mail of JSON.parse(text)) if (mail.to.startsWith(`lag-${run}-`)) inOutbox.set(mail.to, mail.created_at);
}
const { messages } = JSON.parse((await request("GET", `/v1/sites/${DEMO_SITE.key}/messages`, undefined, merchant)).text);
const lags = messages
  .filter((m) => m.step === 0 && inOutbox.has(m.email))
  .map((m) => inOutbox.get(m.email) - m.due_at)
  .sort((a, b) => a - b);
const lag = { p50: quantile(lags, 0.5), p95: quantile(lags, 0.95), max: lags.at(-1), shoppers: lags.length };
console.log("| shoppers | in the outbox | p50 | p95 | max |");
console.log("|---|---|---|---|---|");
console.log(`| ${SHOPPERS} | ${lags.length} | ${lag.p50} ms | ${lag.p95} ms | ${lag.max} ms |`);
console.log(
  "\nFrom each first message's due time (last activity + threshold) to the email in the dev outbox (goal: p95 ≤ 1.5 s, max ≤ 2 s).",
);

// ---- Ingest's fixed cost: interleaved rounds against /health, and many sites against one ----
console.log(`\n## Ingest (${CONCURRENCY} connections, ${ROUNDS} rounds × ${SECONDS} s per route, ${SITES} sites)\n`);

/** A realistic batch: one cart change of two lines, from a new shopper each time, with the page's
 * language and the browser's time zone as the script sends them. */
function eventBatch() {
  const now = Date.now();
  return JSON.stringify({
    aid: id(),
    sentAt: now,
    locale: "es-ES",
    timeZone: "Europe/Madrid",
    events: [
      {
        id: id(),
        at: now,
        type: "cart",
        action: "add",
        cart: {
          currency: "EUR",
          lines: [
            { id: "green-tea-100g", name: "Green tea", price: 1250, quantity: 2, url: `${ORIGIN}/demo/#tea` },
            { id: "mug-blue", name: "Stoneware mug", price: 2400, quantity: 1, variant: "Blue" },
          ],
        },
      },
    ],
  });
}

let nextSite = 0;
const routes = {
  health: () => request("GET", "/health"),
  oneSite: () => request("POST", `/v1/events?site=${DEMO_SITE.key}`, eventBatch()),
  manySites: () => request("POST", `/v1/events?site=${siteKey(nextSite++ % SITES)}`, eventBatch()),
};

async function round(send, seconds) {
  const statuses = {};
  let count = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const { status } = await send();
        count++;
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  return { rps: count / ((performance.now() - started) / 1000), statuses };
}

// Warm up: the isolate, the queue, and every site once (a site's first request in an isolate reads D1).
const warm = { oneSite: 50, manySites: SITES };
for (const send of [routes.health, routes.oneSite]) await Promise.all(Array.from({ length: 50 }, send));
for (let i = 0; i < SITES; i += CONCURRENCY * 4)
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY * 4, SITES - i) }, routes.manySites));

const names = Object.keys(routes);
const perRound = { ingestOverHealth: [], manySitesOverOne: [] };
const totals = Object.fromEntries(names.map((n) => [n, { rps: [], statuses: {} }]));
for (let r = 0; r < ROUNDS; r++) {
  const rps = {};
  // The order rotates, so no route always runs right after another's queue backlog.
  for (let k = 0; k < names.length; k++) {
    const name = names[(r + k) % names.length];
    const result = await round(routes[name], SECONDS);
    rps[name] = result.rps;
    totals[name].rps.push(result.rps);
    for (const [s, n] of Object.entries(result.statuses)) totals[name].statuses[s] = (totals[name].statuses[s] ?? 0) + n;
  }
  perRound.ingestOverHealth.push(rps.oneSite / rps.health);
  perRound.manySitesOverOne.push(rps.manySites / rps.oneSite);
}
console.log("| route | requests/s (median of rounds) | min | max | statuses |");
console.log("|---|---|---|---|---|");
for (const name of names) {
  const s = spread(totals[name].rps);
  console.log(
    `| ${name} | ${s.median.toFixed(0)} | ${s.min.toFixed(0)} | ${s.max.toFixed(0)} | ${JSON.stringify(totals[name].statuses)} |`,
  );
}
const ingestOverHealth = spread(perRound.ingestOverHealth);
const manySitesOverOne = spread(perRound.manySitesOverOne);
console.log(
  `\nPOST /v1/events ÷ GET /health, per round: median ${ingestOverHealth.median}, ${ingestOverHealth.min}–${ingestOverHealth.max} (goal ≥ 0.80)`,
);
console.log(
  `${SITES} sites ÷ one site, per round: median ${manySitesOverOne.median}, ${manySitesOverOne.min}–${manySitesOverOne.max} (goal ≥ 0.90)`,
);

// Every 202 must become exactly one stored event; read once the collector is stopped (its queue
// given time to drain first), so no second process opens its D1 while it runs.
const accepted = (totals.oneSite.statuses["202"] ?? 0) + (totals.manySites.statuses["202"] ?? 0) + warm.oneSite + warm.manySites;
await sleep(20_000);
stop();
await sleep(2_000);
// Each batch holds one cart event; the lag shoppers' carts are the others.
const stored = d1Rows("SELECT count(*) AS n FROM events WHERE type = 'cart'", WHERE)[0]?.n - SHOPPERS;
console.log(`\nAccepted ${accepted} cart batches (with the warm-up); stored ${stored}; missing ${accepted - stored}.`);

if (values.json) console.log(JSON.stringify({ ingestOverHealth, manySitesOverOne, lagToOutboxMs: lag }));
process.exit(0);
