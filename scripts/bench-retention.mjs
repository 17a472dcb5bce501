// `node scripts/bench-retention.mjs --events 2000000 --port 8815 [--json]`: the retention job over
// one site with that many events (every shopper gone), its longest statement as D1 timed it
// (issue 21.3: none over 1 s at 2,000,000 events). The events are seeded through the collector's
// own write path (POST /dev/bench/seed with sequences=0: the ingest consumer's storeChunks, rollups
// included; about 1.98 events a cart), then the job runs through the collector's local-only route,
// as often as it needs (it is resumable: each call continues from the site's cursor).
// With --json the last line is one JSON object:
//   { "events", "purged", "slices", "seconds", "retentionLongestStatementMs": { "median", "min", "max", "runs" } }
// (one figure per call of the job; runs is the number of calls).
import { benchArgs, freshCollector, postAgain, summary } from "./bench-common.mjs";
import { DEMO_SITE } from "./setup-local.mjs";

const { values, ORIGIN, log, progress, ...bench } = benchArgs("bench-retention", {
  port: 8815,
  options: { events: { type: "string", default: "2000000" } },
});
const EVENTS = Number(values.events);
// A bench cart has a cart event, a checkout one in two, a step one in three, a purchase one in seven.
const EVENTS_PER_CART = 1 + 1 / 2 + 1 / 3 + 1 / 7;
const CARTS = Math.ceil(EVENTS / EVENTS_PER_CART);
const DAY = 86_400_000;
const start = Date.now() - 90 * DAY;

const { stop } = await freshCollector(bench);
try {
  const t0 = performance.now();
  const CHUNK = 5000;
  for (let i = 0; i < CARTS; i += CHUNK) {
    const count = Math.min(CHUNK, CARTS - i);
    await postAgain(`${ORIGIN}/dev/bench/seed?site=${DEMO_SITE.key}&from=${i}&count=${count}&start=${start}&sequences=0`, {
      onRetry: (e) => progress(`chunk at ${i} failed (${e.message.slice(0, 80)}); again`),
    });
    if ((i / CHUNK) % 10 === 0 || i + count >= CARTS)
      progress(`${i + count} of ${CARTS} carts seeded (${((i + count) / ((performance.now() - t0) / 1000)).toFixed(0)} carts/s)`);
  }
  const t = performance.now();
  const longest = [];
  let purged = { events: 0, shoppers: 0, slices: 0 };
  // The job stops when its invocation's budget is spent and continues from its cursor next time.
  for (let call = 1; call <= 1000; call++) {
    const done = await postAgain(`${ORIGIN}/dev/bench/retention?site=${DEMO_SITE.key}&now=${Date.now() + 100 * DAY}`);
    longest.push(done.longestMs);
    purged = { events: purged.events + done.events, shoppers: purged.shoppers + done.shoppers, slices: purged.slices + done.slices };
    progress(
      `call ${call}: ${done.events} events of ${done.shoppers} shoppers in ${done.slices} slices, longest statement ${done.longestMs} ms`,
    );
    if (done.done) break;
  }
  const seconds = (performance.now() - t) / 1000;
  const figure = summary(longest);
  log(
    `Retention over ${EVENTS} events of one site: ${purged.events} events of ${purged.shoppers} shoppers purged in ${purged.slices} slices, ` +
      `${seconds.toFixed(1)} s in all; longest statement per call ${figure.median} ms median (${figure.min}–${figure.max}, ${figure.runs} calls)`,
  );
  if (values.json)
    log(JSON.stringify({ events: EVENTS, purged: purged.events, slices: purged.slices, seconds, retentionLongestStatementMs: figure }));
} finally {
  stop();
}
process.exit(0);
