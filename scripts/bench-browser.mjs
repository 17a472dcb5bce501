// `npm run bench:browser`: what one cart change costs the shopper's tab, in real Chromium.
//   node scripts/bench-browser.mjs [--rounds 6] [--changes 10] [--queued 300] [--port 8818] [--json]
// Each round opens two fresh browser profiles on a page with the built `cartback.js`: in one the
// collector is unreachable and --queued cart changes wait in the outbox; in the other every send is
// answered and the outbox is drained before each change (the anchor). Then --changes timed cart
// changes in each (`await cartback("updateLine", …)`, timed in the page). The two run interleaved,
// their order alternating per round. A round's figure is the median of its changes; printed are the
// median, min and max over rounds. No collector is started: a small local server serves the page
// and answers the drained profile's sends.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { buildScript } from "./build.mjs";
import { launchProfile } from "./chromium.mjs";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "6" },
    changes: { type: "string", default: "10" },
    queued: { type: "string", default: "300" },
    port: { type: "string", default: "8818" },
    json: { type: "boolean", default: false },
    "no-build": { type: "boolean", default: false },
  },
});
const ROUNDS = Math.max(6, Number(values.rounds));
const CHANGES = Number(values.changes);
const QUEUED = Number(values.queued);
const PORT = Number(values.port);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const log = (...a) => (values.json ? console.error(...a) : console.log(...a));

if (!values["no-build"]) await buildScript();
const script = readFileSync(new URL("../dist/public/cartback.js", import.meta.url));
const page = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<script>window.cartback=window.cartback||function(){(cartback.q=cartback.q||[]).push(arguments)};</script>
<script src="/cartback.js" data-site="pk_bench" data-currency="EUR" data-endpoint="${ORIGIN}"></script>
</head><body>bench</body></html>`;
const server = createServer((req, res) => {
  if (req.url.startsWith("/cartback.js")) return res.writeHead(200, { "content-type": "text/javascript" }).end(script);
  if (req.url.startsWith("/v1/events")) {
    // Read the body first: an answer before it was read can reset the connection.
    req.resume();
    return req.on("end", () =>
      res.writeHead(202, { "content-type": "application/json", "access-control-allow-origin": "*" }).end('{"accepted":1}'),
    );
  }
  res.writeHead(200, { "content-type": "text/html" }).end(page);
});
await new Promise((resolve) => server.listen(PORT, "127.0.0.1", resolve));

const call = (p, ...args) => p.evaluate((a) => window.cartback(...a), args);
/** One timed change, in the page: from the call to its promise resolving (saved). */
const timedChange = (p, quantity) =>
  p.evaluate(async (q) => {
    const t = performance.now();
    await window.cartback("updateLine", "tea", { quantity: q });
    return performance.now() - t;
  }, quantity);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** A fresh profile on the bench page: `queued` events waiting (collector unreachable), or none. */
async function open(queued) {
  const dir = mkdtempSync(`${tmpdir()}/cartback-bench-`);
  const context = await launchProfile(dir);
  if (queued) await context.route("**/v1/events**", (route) => route.abort("connectionrefused"));
  const p = context.pages()[0] ?? (await context.newPage());
  await p.goto(`${ORIGIN}/`);
  await p.waitForFunction(() => typeof window.cartback === "function" && !window.cartback.q);
  await call(p, "addLine", { id: "tea", name: "Tea", price: 450, quantity: 1 });
  for (let i = 1; i < queued; i++) await call(p, "updateLine", "tea", { quantity: 1 + (i % 7) });
  if (!queued) await call(p, "flush");
  return { p, close: async () => (await context.close(), rmSync(dir, { recursive: true, force: true })) };
}

async function measure(queued) {
  const { p, close } = await open(queued);
  const times = [];
  for (let i = 0; i < CHANGES; i++) {
    times.push(await timedChange(p, 2 + (i % 5)));
    // The anchor: drained again before its next change (the send itself is not timed).
    if (!queued) await call(p, "flush");
  }
  await close();
  return median(times);
}

const queuedRuns = [];
const drainedRuns = [];
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 ? ["drained", "queued"] : ["queued", "drained"];
  for (const mode of order) {
    if (mode === "queued") queuedRuns.push(await measure(QUEUED));
    else drainedRuns.push(await measure(0));
  }
  log(`round ${r + 1}: queued ${queuedRuns.at(-1).toFixed(2)} ms, drained ${drainedRuns.at(-1).toFixed(2)} ms`);
}
server.close();

const figure = (xs) => ({
  median: +median(xs).toFixed(2),
  min: +Math.min(...xs).toFixed(2),
  max: +Math.max(...xs).toFixed(2),
  runs: xs.length,
});
const result = { changeMsQueued300: figure(queuedRuns), changeMsDrained: figure(drainedRuns) };
const ratios = queuedRuns.map((q, i) => q / drainedRuns[i]);
log(
  `one cart change, ${QUEUED} queued: median ${result.changeMsQueued300.median} ms (${result.changeMsQueued300.min}–${result.changeMsQueued300.max}), ` +
    `drained ${result.changeMsDrained.median} ms (${result.changeMsDrained.min}–${result.changeMsDrained.max}); ` +
    `ratio per round median ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}), ${ROUNDS} rounds × ${CHANGES} changes`,
);
if (values.json) console.log(JSON.stringify(result));
