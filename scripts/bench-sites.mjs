// `npm run bench:sites -- --port 8819 [--rounds 6] [--requests 20] [--json]`: many sites in one D1
// (docs/capacity.md). A small site's `GET /v1/stats` (90 days) alone, and while a busy site's
// ingest writes batches through the collector's write path (POST /dev/bench/seed, the consumer's
// statements with their rollups), each against `GET /health` measured in the same round. Rounds
// interleave the three; the busy site keeps growing from round to round.
import { parseArgs } from "node:util";
import { setupLocal } from "./setup-local.mjs";
import { createSite } from "./site.mjs";
import { root, startCollector } from "./wrangler.mjs";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8819" },
    rounds: { type: "string", default: "6" },
    requests: { type: "string", default: "20" },
    "busy-carts": { type: "string", default: "20000" },
    json: { type: "boolean", default: false },
  },
});
const PORT = Number(values.port);
const ROUNDS = Math.max(6, Number(values.rounds));
const REQUESTS = Number(values.requests);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const STATE = `${root}.wrangler/bench-sites-state-${PORT}`;
const DAY = 86_400_000;
const log = values.json ? (...a) => console.error(...a) : console.log;

const sites = {
  small: { key: "pk_bench_small", secret: "sk_bench_small_local_only_0000000" },
  busy: { key: "pk_bench_busy", secret: "sk_bench_busy_local_only_00000000" },
};
await setupLocal({ port: PORT, persistTo: STATE, fresh: true });
for (const [name, s] of Object.entries(sites))
  createSite({
    ...s,
    name,
    origins: [ORIGIN],
    settings: { holdoutPercent: 0, quietHours: null },
    where: ["--local", "--persist-to", STATE],
  });
const { stop } = await startCollector({ port: PORT, persistTo: STATE });

function summary(list) {
  const s = [...list].sort((a, b) => a - b);
  const mid = s.length / 2;
  const median = s.length % 2 ? s[Math.floor(mid)] : (s[mid - 1] + s[mid]) / 2;
  const round = (n) => Math.round(n * 100) / 100;
  return { median: round(median), min: round(s[0]), max: round(s.at(-1)), runs: s.length };
}

async function timed(url, init) {
  const t = performance.now();
  const res = await fetch(url, init);
  const body = await res.text();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`);
  return performance.now() - t;
}

async function medianOf(url, init) {
  await timed(url, init);
  const ms = [];
  for (let i = 0; i < REQUESTS; i++) ms.push(await timed(url, init));
  return summary(ms).median;
}

const start = Date.now() - 85 * DAY;
const seeded = { small: 0, busy: 0 };
/** `count` more carts of a site through the collector's write path, 500 a request. */
async function seed(name, count) {
  for (let left = count; left > 0; left -= 500) {
    const n = Math.min(500, left);
    await timed(`${ORIGIN}/dev/bench/seed?site=${sites[name].key}&from=${seeded[name]}&count=${n}&start=${start}`, { method: "POST" });
    seeded[name] += n;
  }
}

const today = new Date().toISOString().slice(0, 10);
const from = new Date(Date.now() - 89 * DAY).toISOString().slice(0, 10);
const statsUrl = `${ORIGIN}/v1/stats?site=${sites.small.key}&from=${from}&to=${today}`;
const statsInit = { headers: { authorization: `Bearer ${sites.small.secret}` } };

try {
  log("Seeding: small site 200 carts, busy site", values["busy-carts"], "carts");
  await seed("small", 200);
  await seed("busy", Number(values["busy-carts"]));
  const figures = { aloneOverHealth: [], busyIngestOverHealth: [], busyIngestOverAlone: [], busyCartsPerSecond: [] };
  const measures = {
    health: () => medianOf(`${ORIGIN}/health`),
    alone: () => medianOf(statsUrl, statsInit),
    busy: async () => {
      // Two writers of the busy site for as long as the small site's stats are read.
      let done = false;
      const before = seeded.busy;
      const t = performance.now();
      const writers = [0, 1].map(async () => {
        while (!done) {
          const n = 200;
          const at = seeded.busy;
          seeded.busy += n;
          await timed(`${ORIGIN}/dev/bench/seed?site=${sites.busy.key}&from=${at}&count=${n}&start=${start}`, { method: "POST" });
        }
      });
      await new Promise((r) => setTimeout(r, 300)); // the writers under way
      const ms = await medianOf(statsUrl, statsInit);
      done = true;
      await Promise.all(writers);
      figures.busyCartsPerSecond.push(((seeded.busy - before) * 1000) / (performance.now() - t));
      return ms;
    },
  };
  for (let r = 0; r < ROUNDS; r++) {
    const order = ["health", "alone", "busy"];
    for (let k = 0; k < r % 3; k++) order.push(order.shift());
    const ms = {};
    for (const name of order) ms[name] = await measures[name]();
    figures.aloneOverHealth.push(ms.alone / ms.health);
    figures.busyIngestOverHealth.push(ms.busy / ms.health);
    figures.busyIngestOverAlone.push(ms.busy / ms.alone);
    log(
      `round ${r + 1}: health ${ms.health.toFixed(1)} ms, small stats alone ${ms.alone.toFixed(1)} ms, with the busy site ingesting ${ms.busy.toFixed(1)} ms (busy site: ${seeded.busy} carts)`,
    );
  }
  const result = {
    smallCarts: seeded.small,
    busyCartsAtEnd: seeded.busy,
    statsAloneOverHealth: summary(figures.aloneOverHealth),
    statsBusyIngestOverHealth: summary(figures.busyIngestOverHealth),
    statsBusyIngestOverAlone: summary(figures.busyIngestOverAlone),
    busyCartsWrittenPerSecond: summary(figures.busyCartsPerSecond),
  };
  log(`\nSmall site's stats (90 days) ÷ /health, ${ROUNDS} rounds, median (min–max):`);
  for (const [k, v] of Object.entries(result)) if (typeof v === "object") log(`  ${k}: ${v.median} (${v.min}–${v.max})`);
  if (values.json) console.log(JSON.stringify(result));
} finally {
  stop();
}
