// `node scripts/bench-retention.mjs --events 2000000 --port 8815 [--json]`: the retention job over
// one site with that many events (two per shopper, every shopper gone), its longest statement as
// D1 timed it (issue 21.3: none over 1 s at 2,000,000 events). The rows are written by SQL before
// the collector starts (the retention job reads and deletes only raw rows; the stats bench seeds
// through the write path), then the job runs through the collector's local-only route.
import { parseArgs } from "node:util";
import { DEMO_SITE, setupLocal } from "./setup-local.mjs";
import { root, startCollector, wrangler } from "./wrangler.mjs";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "2000000" },
    port: { type: "string", default: "8815" },
    json: { type: "boolean", default: false },
  },
});
const EVENTS = Number(values.events);
const SHOPPERS = Math.ceil(EVENTS / 2);
const PORT = Number(values.port);
const STATE = `${root}.wrangler/bench-retention-state-${PORT}`;
const DAY = 86_400_000;
const start = Date.now() - 90 * DAY;

await setupLocal({ port: PORT, persistTo: STATE, fresh: true });
const d1 = (sql) => wrangler(["d1", "execute", "DB", "--local", "--persist-to", STATE, "--command", sql], { quiet: true });
const site = `(SELECT id FROM sites WHERE key = '${DEMO_SITE.key}')`;
const t0 = performance.now();
// In slices of 250,000 shoppers, so no one command holds the whole seed.
for (let from = 0; from < SHOPPERS; from += 250_000) {
  const to = Math.min(SHOPPERS, from + 250_000);
  const n = `WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to - 1})`;
  const at = `${start} + (i * 7777777) % ${80 * DAY}`;
  d1(`${n} INSERT INTO shoppers (site_id, aid, first_seen, last_seen) SELECT ${site}, 'r' || printf('%08d', i), ${at}, ${at} FROM n`);
  d1(`${n} INSERT INTO carts (site_id, aid, status, currency, lines, item_count, value, updated_at, client_at, version, expires_at)
      SELECT ${site}, 'r' || printf('%08d', i), 'active', 'EUR', '[]', 1, 1000, ${at}, ${at}, 'v', ${at} + ${7 * DAY} FROM n`);
  d1(`${n} INSERT INTO events (site_id, id, aid, type, at, client_at, received_at, data)
      SELECT ${site}, 'e' || i || '-' || k.value, 'r' || printf('%08d', i), 'cart', ${at} + k.value, ${at}, ${at}, '{"type":"cart","action":"set","cart":{"currency":"EUR","lines":[]}}'
      FROM n, json_each('[0,1]') k`);
  console.log(`  ${to} shoppers, ${to * 2} events (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
const { stop } = await startCollector({ port: PORT, persistTo: STATE });
try {
  const t = performance.now();
  const res = await fetch(`http://127.0.0.1:${PORT}/dev/bench/retention?site=${DEMO_SITE.key}&now=${Date.now() + 30 * DAY}`, {
    method: "POST",
  });
  const purged = await res.json();
  if (!res.ok) throw new Error(JSON.stringify(purged));
  const seconds = (performance.now() - t) / 1000;
  console.log(
    `Retention over ${EVENTS} events of one site: ${purged.events} events of ${purged.shoppers} shoppers purged in ${purged.slices} slices, ` +
      `${seconds.toFixed(1)} s in all; longest statement ${purged.longestMs} ms`,
  );
  if (values.json)
    console.log(
      JSON.stringify({ events: EVENTS, purged: purged.events, slices: purged.slices, seconds, longestStatementMs: purged.longestMs }),
    );
} finally {
  stop();
}
process.exit(0);
