// `npm run bench:stats`: the stats API and the dashboard at 100,000 or 1,000,000 abandoned carts,
// each as a ratio to an indexed read (one sequence by primary key) measured in the same run, then
// the retention job over the same data with its longest statement (issue 21.7).
// Carts are seeded through the collector's own write path (POST /dev/bench/seed, local only: the
// ingest consumer's statements with their rollups, the sequence, claim, send, click and credit
// writes), so the rollups are exercised, not bypassed. Nothing else touches the collector's
// storage during the run. Per level: >= 6 interleaved rounds of anchor, /v1/stats (90 days) and
// /dashboard (90 days), each request timed alone; a round's figure is the median of its requests.
//   npm run bench:stats -- --carts 100000,1000000 --port 8790 [--rounds 6] [--requests 5] [--json]
// With --json the last line printed is one JSON object:
//   { "levels": [{ "carts", "statsOverIndexed", "dashboardOverIndexed", "retentionLongestStatementMs" }] }
// each figure { "median", "min", "max", "runs" }.
import { benchArgs, freshCollector, medianOf, postAgain, summary } from "./bench-common.mjs";
import { DEMO_SITE } from "./setup-local.mjs";

const { values, ORIGIN, ROUNDS, log, progress, ...bench } = benchArgs("bench-stats", {
  port: 8790,
  options: { carts: { type: "string", default: "100000" }, requests: { type: "string", default: "5" } },
});
const LEVELS = values.carts.split(",").map(Number);
const REQUESTS = Number(values.requests);
const DAY = 86_400_000;
const end = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const start = end - 89 * DAY;
const from = new Date(start).toISOString().slice(0, 10);
const to = new Date(end).toISOString().slice(0, 10);

/** Carts `already` … `carts - 1` through the collector's write path, in chunks, with progress. */
async function seed(carts, already) {
  const t = performance.now();
  const CHUNK = 5000;
  let ingestMs = 0;
  let sequencesMs = 0;
  for (let i = already; i < carts; i += CHUNK) {
    const count = Math.min(CHUNK, carts - i);
    // Seeding is idempotent (every write is), so a chunk the local server dropped is sent again.
    const done = await postAgain(`${ORIGIN}/dev/bench/seed?site=${DEMO_SITE.key}&from=${i}&count=${count}&start=${start}`, {
      onRetry: (e) => progress(`chunk at ${i} failed (${e.message.slice(0, 80)}); again`),
    });
    ingestMs += done.ingestMs;
    sequencesMs += done.sequencesMs;
    const s = (performance.now() - t) / 1000;
    if (((i - already) / CHUNK) % 10 === 0 || i + count >= carts)
      progress(
        `${i + count} carts seeded (${((i + count - already) / s).toFixed(0)} carts/s; ingest ${ingestMs} ms, sequences ${sequencesMs} ms)`,
      );
  }
  log(`Seeded ${carts - already} carts in ${((performance.now() - t) / 1000).toFixed(0)} s`);
}

const { stop } = await freshCollector(bench);
const login = await fetch(`${ORIGIN}/dashboard/login`, {
  method: "POST",
  redirect: "manual",
  headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
  body: new URLSearchParams({ site: DEMO_SITE.key, secret: DEMO_SITE.secret }),
});
const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
const statsUrl = `${ORIGIN}/v1/stats?site=${DEMO_SITE.key}&from=${from}&to=${to}`;
const statsInit = { headers: { authorization: `Bearer ${DEMO_SITE.secret}` } };
const dashboardUrl = `${ORIGIN}/dashboard?from=${from}&to=${to}`;

const levels = [];
let seeded = 0;
try {
  for (const carts of LEVELS) {
    await seed(carts, seeded);
    seeded = carts;
    const check = await (await fetch(statsUrl, statsInit)).json();
    log(`\n## ${carts} carts: /v1/stats sees ${check.abandoned.carts} abandoned, ${check.treated.recovered} recovered`);
    const ratios = { stats: [], dashboard: [], anchor: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const anchorUrl = `${ORIGIN}/dev/bench/anchor?id=seq-bench-${(r * 7919) % carts}`;
      const anchor = await medianOf(anchorUrl, undefined, REQUESTS);
      const stats = await medianOf(statsUrl, statsInit, REQUESTS);
      const dashboard = await medianOf(dashboardUrl, { headers: { cookie } }, REQUESTS);
      const anchorAfter = await medianOf(anchorUrl, undefined, REQUESTS);
      const a = (anchor + anchorAfter) / 2;
      ratios.anchor.push(a);
      ratios.stats.push(stats / a);
      ratios.dashboard.push(dashboard / a);
      log(
        `round ${r + 1}: anchor ${a.toFixed(2)} ms, stats ${stats.toFixed(2)} ms (${(stats / a).toFixed(2)}×), dashboard ${dashboard.toFixed(2)} ms (${(dashboard / a).toFixed(2)}×)`,
      );
    }
    levels.push({
      carts,
      statsOverIndexed: summary(ratios.stats),
      dashboardOverIndexed: summary(ratios.dashboard),
      anchorMs: summary(ratios.anchor),
    });
  }
  // Retention, after every level's figures: a clock 100 days on, when every seeded shopper is gone.
  log("\n## Retention (every seeded shopper gone)");
  const before = await (await fetch(statsUrl, statsInit)).json();
  const t = performance.now();
  const purged = await (
    await fetch(`${ORIGIN}/dev/bench/retention?site=${DEMO_SITE.key}&now=${end + 100 * DAY}`, { method: "POST" })
  ).json();
  log(
    `Purged ${purged.events} events of ${purged.shoppers} shoppers in ${purged.slices} slices, ${((performance.now() - t) / 1000).toFixed(1)} s; longest statement ${purged.longestMs} ms`,
  );
  const after = await (await fetch(statsUrl, statsInit)).json();
  log(`Funnel after the purge: ${JSON.stringify(after.funnel)}${JSON.stringify(after) === JSON.stringify(before) ? "" : " (changed!)"}`);
  const last = levels.at(-1);
  if (last) last.retentionLongestStatementMs = summary([purged.longestMs]);
  for (const level of levels) level.retentionLongestStatementMs ??= null;
} finally {
  stop();
}

log("\n| carts | /v1/stats ÷ indexed read | /dashboard ÷ indexed read | rounds |");
log("|---|---|---|---|");
for (const l of levels) {
  const f = (s) => `${s.median}× (${s.min}–${s.max})`;
  log(`| ${l.carts} | ${f(l.statsOverIndexed)} | ${f(l.dashboardOverIndexed)} | ${l.statsOverIndexed.runs} |`);
}
if (values.json) {
  log(
    JSON.stringify({
      levels: levels.map(({ carts, statsOverIndexed, dashboardOverIndexed, retentionLongestStatementMs }) => ({
        carts,
        statsOverIndexed,
        dashboardOverIndexed,
        retentionLongestStatementMs,
      })),
    }),
  );
}
process.exit(0);
