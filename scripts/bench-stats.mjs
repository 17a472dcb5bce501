// `npm run bench:stats`: the stats page and API with 100,000 abandoned carts in local D1.
// Seeds sequences (5% holdout, 1 in 7 recovered), one message each, and cart / checkout / step
// events over 90 days; then times GET /v1/stats (90 days) and the signed-in /dashboard page.
// Options: --carts N (default 100000), --requests N (default 20)
import { parseArgs } from "node:util";
import { DEMO_SITE, setupLocal } from "./setup-local.mjs";
import { d1Rows, root, startCollector, wrangler } from "./wrangler.mjs";

const { values } = parseArgs({ options: { carts: { type: "string", default: "100000" }, requests: { type: "string", default: "20" } } });
const CARTS = Number(values.carts);
const REQUESTS = Number(values.requests);
const PORT = 8790;
const ORIGIN = `http://127.0.0.1:${PORT}`;
const STATE = `${root}.wrangler/bench-stats-state`;
const DAY = 86_400_000;
const end = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const start = end - 89 * DAY;

await setupLocal({ port: PORT, persistTo: STATE, fresh: true });
const d1 = (sql) => wrangler(["d1", "execute", "DB", "--local", "--persist-to", STATE, "--command", sql], { quiet: true });
const site = `(SELECT id FROM sites WHERE key = '${DEMO_SITE.key}')`;
const rows = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${CARTS})`;

console.log(`Seeding ${CARTS} abandoned carts…`);
const seeded = Date.now();
d1(`${rows}
INSERT INTO sequences (id, site_id, email, aid, abandoned_at, started_at, value, currency, reason, status, holdout, recovered_order_id, recovered_value, recovered_at)
SELECT 'bench-' || i, ${site}, 'shopper' || i || '@example.com', 'aid' || i, t, t + 1800000, 1000 + (i * 37) % 9000, 'EUR',
  CASE i % 6 WHEN 0 THEN 'card_declined' WHEN 1 THEN 'extra_costs' WHEN 2 THEN 'hesitation' WHEN 3 THEN 'question' WHEN 4 THEN 'just_browsing' ELSE 'too_complicated' END,
  'completed', i % 20 = 0, CASE WHEN i % 7 = 0 THEN 'o' || i END, CASE WHEN i % 7 = 0 THEN 1000 + (i * 37) % 9000 END, CASE WHEN i % 7 = 0 THEN t + 7200000 END
FROM (SELECT i, ${start} + (i * 77777777) % ${90 * DAY} AS t FROM n)`);
d1(`INSERT INTO messages (id, sequence_id, site_id, email, step, kind, template, status, due_at, queued_at, sent_at, clicked_at, abandoned_at)
SELECT id || '-0', id, site_id, email, 0, 'recovery', 'reminder', 'sent', abandoned_at, abandoned_at, abandoned_at + 1800000,
  CASE WHEN recovered_order_id IS NOT NULL THEN abandoned_at + 3600000 END, abandoned_at
FROM sequences WHERE id LIKE 'bench-%' AND holdout = 0`);
d1(`${rows}
INSERT INTO events (site_id, id, aid, type, at, client_at, received_at, data)
SELECT ${site}, 'ev-' || i, 'aid' || i, 'cart', t, t, t, '{"type":"cart"}' FROM (SELECT i, ${start} + (i * 77777777) % ${90 * DAY} AS t FROM n)
UNION ALL SELECT ${site}, 'evc-' || i, 'aid' || i, 'checkout', t, t, t, '{"type":"checkout"}' FROM (SELECT i, ${start} + (i * 77777777) % ${90 * DAY} AS t FROM n) WHERE i % 2 = 0
UNION ALL SELECT ${site}, 'evs-' || i, 'aid' || i, 'moment', t, t, t, '{"type":"moment","kind":"step","code":"payment"}' FROM (SELECT i, ${start} + (i * 77777777) % ${90 * DAY} AS t FROM n) WHERE i % 3 = 0`);
console.log(`Seeded in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);

const { stop } = await startCollector({ port: PORT, persistTo: STATE });

const login = await fetch(`${ORIGIN}/dashboard/login`, {
  method: "POST",
  redirect: "manual",
  headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
  body: new URLSearchParams({ site: DEMO_SITE.key, secret: DEMO_SITE.secret }),
});
const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
const from = new Date(start).toISOString().slice(0, 10);
const to = new Date(end).toISOString().slice(0, 10);

async function time(name, url, headers) {
  const ms = [];
  let size = 0;
  for (let i = 0; i < REQUESTS + 2; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers });
    const body = await res.text();
    if (!res.ok) throw new Error(`${name}: ${res.status} ${body.slice(0, 200)}`);
    if (i >= 2) ms.push(performance.now() - t); // two warm-up requests
    size = body.length;
  }
  ms.sort((a, b) => a - b);
  const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(0);
  return `| ${name} | ${q(0.5)} ms | ${q(0.95)} ms | ${ms.at(-1).toFixed(0)} ms | ${(size / 1024).toFixed(0)} KiB |`;
}

const stats = await (
  await fetch(`${ORIGIN}/v1/stats?site=${DEMO_SITE.key}&from=${from}&to=${to}`, {
    headers: { authorization: `Bearer ${DEMO_SITE.secret}` },
  })
).json();
console.log(`\n## Stats with ${stats.abandoned.carts} carts in local D1 (90 days, ${REQUESTS} requests each)\n`);
console.log("| request | median | p95 | max | size |");
console.log("|---|---|---|---|---|");
console.log(
  await time("GET /v1/stats (90 days)", `${ORIGIN}/v1/stats?site=${DEMO_SITE.key}&from=${from}&to=${to}`, {
    authorization: `Bearer ${DEMO_SITE.secret}`,
  }),
);
console.log(
  await time("GET /v1/stats/orders (newest 50)", `${ORIGIN}/v1/stats/orders?site=${DEMO_SITE.key}&from=${from}&to=${to}`, {
    authorization: `Bearer ${DEMO_SITE.secret}`,
  }),
);
console.log(await time("GET /dashboard (90 days)", `${ORIGIN}/dashboard?from=${from}&to=${to}`, { cookie }));
console.log("\nGoal: under 300 ms.");

// The daily retention job over the same data: every seeded shopper has no live cart, so all
// events older than 7 days are folded into funnel_daily and deleted, in one D1 batch per site.
const countEvents = () => d1Rows("SELECT count(*) AS n FROM events", ["--local", "--persist-to", STATE])[0].n;
const eventsBefore = countEvents();
const purgeStarted = performance.now();
const run = await fetch(`${ORIGIN}/__scheduled?cron=17+3+*+*+*`);
if (!run.ok) throw new Error(`the retention job answered ${run.status}`);
// The handler hands the work to waitUntil: wait for the event count to settle.
let eventsAfter = eventsBefore;
for (let i = 0; i < 600; i++) {
  await new Promise((r) => setTimeout(r, 250));
  try {
    const n = countEvents();
    if (n < eventsBefore && n === eventsAfter) break;
    eventsAfter = n;
  } catch {} // SQLITE_BUSY while the job writes
}
const purgeSeconds = (performance.now() - purgeStarted) / 1000;
const after = await (
  await fetch(`${ORIGIN}/v1/stats?site=${DEMO_SITE.key}&from=${from}&to=${to}`, {
    headers: { authorization: `Bearer ${DEMO_SITE.secret}` },
  })
).json();
console.log(`\n## Retention job\n`);
console.log(
  `Purged ${eventsBefore - eventsAfter} of ${eventsBefore} events in about ${purgeSeconds.toFixed(1)} s (including polling). ` +
    `Funnel before and after: ${JSON.stringify(stats.funnel) === JSON.stringify(after.funnel) ? "identical" : `DIFFERENT: ${JSON.stringify(stats.funnel)} vs ${JSON.stringify(after.funnel)}`}.`,
);
console.log(
  await time("GET /v1/stats (90 days, after retention)", `${ORIGIN}/v1/stats?site=${DEMO_SITE.key}&from=${from}&to=${to}`, {
    authorization: `Bearer ${DEMO_SITE.secret}`,
  }),
);
stop();
process.exit(0);
