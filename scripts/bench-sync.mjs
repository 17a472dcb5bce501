// `npm run bench:sync`: cross-device figures.
//  1. Merge cost: merging two replicas of a 200-line cart (the collector does this on every sync).
//  2. Convergence: a line added in one real Chromium profile, until it shows in another profile
//     signed in as the same user (median and p95 over --rounds, default 20; goal p95 ≤ 1 s).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { launchProfile } from "./chromium.mjs";
import { DEMO_SITE, setupLocal } from "./setup-local.mjs";
import { root, startCollector } from "./wrangler.mjs";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "20" } } });
const ROUNDS = Number(values.rounds);
const load = async (entry) => {
  const out = await build({ entryPoints: [`${root}${entry}`], bundle: true, format: "esm", write: false, logLevel: "warning" });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
};
const { merge, record, emptySync, tick } = await load("protocol/merge.ts");
const { signShopperToken } = await load("server/token.ts");
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

// 1. Merge cost.
const lines = (device, n) =>
  Array.from({ length: n }, (_, i) => ({ id: `sku-${i}`, name: `Product ${i}`, price: 100 + i, quantity: 1 + ((i + device.length) % 3) }));
let clock = [0, 0, "a"];
const a = record(emptySync("EUR"), { currency: "EUR", lines: lines("a", 200) }, () => (clock = tick(clock, "a", Date.now())));
let clockB = [0, 0, "b"];
const b = record(emptySync("EUR"), { currency: "EUR", lines: lines("bb", 200) }, () => (clockB = tick(clockB, "b", Date.now())));
for (let i = 0; i < 200; i++) merge(a, b); // warm up
const runs = [];
for (let r = 0; r < 20; r++) {
  const t = performance.now();
  for (let i = 0; i < 100; i++) merge(a, b);
  runs.push((performance.now() - t) / 100);
}
runs.sort((x, y) => x - y);
console.log("## Merge cost\n\n| cart | median per merge | p95 |\n|---|---|---|");
console.log(
  `| 200 lines, every line changed on both sides | ${(quantile(runs, 0.5) * 1000).toFixed(0)} µs | ${(quantile(runs, 0.95) * 1000).toFixed(0)} µs |`,
);

// 2. Convergence between two browser profiles.
const PORT = 8791;
const ORIGIN = `http://127.0.0.1:${PORT}`;
const STATE = `${root}.wrangler/bench-sync-state`;
await setupLocal({ port: PORT, persistTo: STATE, fresh: true });
const { stop } = await startCollector({ port: PORT, persistTo: STATE });
const user = `bench-${Date.now()}`;
const token = await signShopperToken({ site: DEMO_SITE.key, userId: user, secret: DEMO_SITE.secret });
const browsers = [];
for (let i = 0; i < 2; i++) {
  const dir = mkdtempSync(`${tmpdir()}/cartback-bench-`);
  const context = await launchProfile(dir);
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${ORIGIN}/demo/`);
  await page.evaluate(([u, t]) => window.cartback("identify", { userId: u, token: t }), [user, token]);
  browsers.push({ dir, context, page });
}
const [from, to] = browsers;
await new Promise((r) => setTimeout(r, 2000));
const lags = [];
for (let i = 0; i < ROUNDS; i++) {
  const id = `bench-line-${i}`;
  const started = Date.now();
  await from.page.evaluate((lineId) => window.cartback("addLine", { id: lineId, name: lineId, price: 100, quantity: 1 }), id);
  await to.page.waitForSelector(`[data-line="${id}"]`, { timeout: 15_000 });
  lags.push(Date.now() - started);
}
lags.sort((x, y) => x - y);
console.log(`\n## Convergence between two browser profiles (${ROUNDS} changes)\n\n| median | p95 | max |\n|---|---|---|`);
console.log(`| ${quantile(lags, 0.5)} ms | ${quantile(lags, 0.95)} ms | ${lags.at(-1)} ms |`);
console.log("\nGoal: p95 ≤ 1 s. Propagation is polling: on every change, on focus and visibility, and every half second while visible.");
for (const b of browsers) {
  await b.context.close();
  rmSync(b.dir, { recursive: true, force: true });
}
stop();
process.exit(0);
