// `npm run bench:sites -- --port 8819 [--rounds 6] [--requests 20] [--json]`: many sites in one D1
// (docs/capacity.md). A small site's `GET /v1/stats` (90 days) alone, and while a busy site's
// ingest writes batches through the collector's write path (POST /dev/bench/seed, the consumer's
// statements with their rollups), each against `GET /health` measured in the same round. Rounds
// interleave the three; the busy site keeps growing from round to round. The same three against a
// per-site SQLite Durable Object prototype (worker/test/site-store/, test-only, on --store-port):
// the busy and the small site in objects of their own.
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { setupLocal } from "./setup-local.mjs";
import { createSite } from "./site.mjs";
import { offlineEnv, root, startCollector } from "./wrangler.mjs";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8819" },
    "store-port": { type: "string", default: "8809" },
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
const STORE = `http://127.0.0.1:${values["store-port"]}`;
const storeDev = spawn(
  `${root}node_modules/.bin/wrangler`,
  [
    "dev",
    "-c",
    "worker/test/site-store/wrangler.toml",
    "--ip",
    "127.0.0.1",
    "--port",
    values["store-port"],
    "--persist-to",
    `${STATE}-store`,
    "--log-level",
    "warn",
  ],
  { cwd: root, env: offlineEnv, stdio: ["ignore", "ignore", "inherit"], detached: true },
);
const stopStore = () => {
  try {
    process.kill(-storeDev.pid, "SIGTERM");
  } catch {}
};
process.on("exit", stopStore);
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${STORE}/health`)).ok) break;
  } catch {}
  if (i > 120) throw new Error("the site-store prototype did not start");
  await new Promise((r) => setTimeout(r, 500));
}

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

/** A write of seed carts, sent again when the local server drops it (seeding is idempotent). */
async function write(url) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await timed(url, { method: "POST" });
    } catch (e) {
      if (attempt >= 5) throw e;
      log(`  ${e.message.slice(0, 120)}; again`);
    }
  }
}

async function medianOf(url, init) {
  await timed(url, init);
  const ms = [];
  for (let i = 0; i < REQUESTS; i++) ms.push(await timed(url, init));
  return summary(ms).median;
}

const start = Date.now() - 85 * DAY;
const seeded = { small: 0, busy: 0, storeSmall: 0, storeBusy: 0 };
const seedUrl = {
  small: (from, n) => `${ORIGIN}/dev/bench/seed?site=${sites.small.key}&from=${from}&count=${n}&start=${start}`,
  busy: (from, n) => `${ORIGIN}/dev/bench/seed?site=${sites.busy.key}&from=${from}&count=${n}&start=${start}`,
  storeSmall: (from, n) => `${STORE}/seed?site=small&from=${from}&count=${n}&start=${start}`,
  storeBusy: (from, n) => `${STORE}/seed?site=busy&from=${from}&count=${n}&start=${start}`,
};
/** `count` more carts of a site through its write path, 500 a request. */
async function seed(name, count) {
  for (let left = count; left > 0; left -= 500) {
    const n = Math.min(500, left);
    await write(seedUrl[name](seeded[name], n));
    seeded[name] += n;
  }
}

/** The median of the small site's stats while two writers add the busy site's carts; its carts a second. */
async function whileBusy(busy, url, init, perSecond) {
  let done = false;
  const before = seeded[busy];
  const t = performance.now();
  const writers = [0, 1].map(async () => {
    while (!done) {
      const at = seeded[busy];
      seeded[busy] += 200;
      await write(seedUrl[busy](at, 200));
    }
  });
  await new Promise((r) => setTimeout(r, 300)); // the writers under way
  const ms = await medianOf(url, init);
  done = true;
  await Promise.all(writers);
  perSecond.push(((seeded[busy] - before) * 1000) / (performance.now() - t));
  return ms;
}

const today = new Date().toISOString().slice(0, 10);
const from = new Date(Date.now() - 89 * DAY).toISOString().slice(0, 10);
const statsUrl = `${ORIGIN}/v1/stats?site=${sites.small.key}&from=${from}&to=${today}`;
const statsInit = { headers: { authorization: `Bearer ${sites.small.secret}` } };

try {
  log("Seeding: small site 200 carts, busy site", values["busy-carts"], "carts");
  await seed("small", 200);
  await seed("busy", Number(values["busy-carts"]));
  await seed("storeSmall", 200);
  await seed("storeBusy", Number(values["busy-carts"]));
  const storeStats = `${STORE}/stats?site=small`;
  const figures = {
    d1: { alone: [], busy: [], busyOverAlone: [], perSecond: [] },
    store: { alone: [], busy: [], busyOverAlone: [], perSecond: [] },
  };
  const measures = {
    health: () => medianOf(`${ORIGIN}/health`),
    alone: () => medianOf(statsUrl, statsInit),
    busy: () => whileBusy("busy", statsUrl, statsInit, figures.d1.perSecond),
    storeHealth: () => medianOf(`${STORE}/health`),
    storeAlone: () => medianOf(storeStats),
    storeBusy: () => whileBusy("storeBusy", storeStats, undefined, figures.store.perSecond),
  };
  for (let r = 0; r < ROUNDS; r++) {
    const order = Object.keys(measures);
    for (let k = 0; k < r % order.length; k++) order.push(order.shift());
    const ms = {};
    for (const name of order) ms[name] = await measures[name]();
    for (const [arm, health, alone, busy] of [
      ["d1", ms.health, ms.alone, ms.busy],
      ["store", ms.storeHealth, ms.storeAlone, ms.storeBusy],
    ]) {
      figures[arm].alone.push(alone / health);
      figures[arm].busy.push(busy / health);
      figures[arm].busyOverAlone.push(busy / alone);
    }
    log(
      `round ${r + 1}: shared D1: health ${ms.health.toFixed(1)} ms, small stats alone ${ms.alone.toFixed(1)} ms, busy site ingesting ${ms.busy.toFixed(1)} ms (${seeded.busy} carts); ` +
        `per-site objects: health ${ms.storeHealth.toFixed(1)} ms, alone ${ms.storeAlone.toFixed(1)} ms, busy ${ms.storeBusy.toFixed(1)} ms (${seeded.storeBusy} carts)`,
    );
  }
  const arm = (f) => ({
    statsAloneOverHealth: summary(f.alone),
    statsBusyIngestOverHealth: summary(f.busy),
    statsBusyIngestOverAlone: summary(f.busyOverAlone),
    busyCartsWrittenPerSecond: summary(f.perSecond),
  });
  const result = {
    smallCarts: seeded.small,
    busyCartsAtEnd: { sharedD1: seeded.busy, perSiteObject: seeded.storeBusy },
    sharedD1: arm(figures.d1),
    perSiteObject: arm(figures.store),
  };
  log(`\nSmall site's stats (90 days) ÷ /health of the same worker, ${ROUNDS} rounds, median (min–max):`);
  for (const name of ["sharedD1", "perSiteObject"])
    for (const [k, v] of Object.entries(result[name])) log(`  ${name} ${k}: ${v.median} (${v.min}–${v.max})`);
  if (values.json) console.log(JSON.stringify(result));
} finally {
  stop();
  stopStore();
}
