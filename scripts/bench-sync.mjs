// `npm run bench:sync`: cross-device figures, each with its number of samples and its spread.
//  1. Merge cost: merging two replicas of a 200-line cart (the account object does this per change).
//  2. Convergence: a line added in one real Chromium profile, until it shows in another profile
//     signed in as the same user (--rounds, default 50; goal p95 ≤ 250 ms locally).
//  3. An idle, visible, signed-in tab: requests and socket frames per minute (goal: no requests,
//     keep-alives only), and its main-thread time per minute against a guest tab's (goal ≤ 2×).
//  4. Bytes on the wire per single-line change of a 100-line cart, both ways (goal ≤ 1 KB).
//  5. Idle sockets one local collector holds (--sockets, default 1000), and the collector's memory.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { launchProfile } from "./chromium.mjs";
import { DEMO_SITE, setupLocal } from "./setup-local.mjs";
import { root, startCollector } from "./wrangler.mjs";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "50" },
    sockets: { type: "string", default: "1000" },
    idle: { type: "string", default: "30" },
  },
});
const ROUNDS = Number(values.rounds);
const SOCKETS = Number(values.sockets);
const IDLE_S = Number(values.idle);
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
  `| 200 lines, every line changed on both sides (20 runs of 100 merges) | ${(quantile(runs, 0.5) * 1000).toFixed(0)} µs | ${(quantile(runs, 0.95) * 1000).toFixed(0)} µs |`,
);

// 2-5 against a local collector, as `npm start` runs it.
const PORT = 8791;
const ORIGIN = `http://127.0.0.1:${PORT}`;
const STATE = `${root}.wrangler/bench-sync-state`;
await setupLocal({ port: PORT, persistTo: STATE, fresh: true });
const { stop } = await startCollector({ port: PORT, persistTo: STATE });
const stats = (xs) => {
  const sorted = [...xs].sort((x, y) => x - y);
  return { n: sorted.length, min: sorted[0], p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: sorted.at(-1) };
};
const browsers = [];
async function profile({ user, watch = false } = {}) {
  const dir = mkdtempSync(`${tmpdir()}/cartback-bench-`);
  const context = await launchProfile(dir);
  const page = context.pages()[0] ?? (await context.newPage());
  const seen = { requests: 0, frames: { sent: [], received: [] } };
  page.on("request", (r) => r.url().startsWith(ORIGIN) && !r.url().includes("/demo/") && seen.requests++);
  page.on("websocket", (ws) => {
    ws.on("framesent", (f) => watch && seen.frames.sent.push(Buffer.byteLength(String(f.payload))));
    ws.on("framereceived", (f) => watch && seen.frames.received.push(Buffer.byteLength(String(f.payload))));
  });
  await page.goto(`${ORIGIN}/demo/`);
  if (user) {
    const token = await signShopperToken({ site: DEMO_SITE.key, userId: user, secret: DEMO_SITE.secret });
    await page.evaluate(([u, t]) => window.cartback("identify", { userId: u, token: t }), [user, token]);
  }
  const b = { dir, context, page, seen };
  browsers.push(b);
  return b;
}
const user = `bench-${Date.now()}`;
const from = await profile({ user, watch: true });
const to = await profile({ user, watch: true });
await new Promise((r) => setTimeout(r, 3000));

// 2. Convergence.
const lags = [];
for (let i = 0; i < ROUNDS; i++) {
  const id = `bench-line-${i}`;
  const started = performance.now();
  await from.page.evaluate((lineId) => window.cartback("addLine", { id: lineId, name: lineId, price: 100, quantity: 1 }), id);
  await to.page.waitForSelector(`[data-line="${id}"]`, { timeout: 15_000 });
  lags.push(performance.now() - started);
}
await from.page.evaluate(() => window.cartback("clear"));
const lag = stats(lags);
console.log(`\n## Convergence between two browser profiles\n\n| samples | min | median | p95 | max |\n|---|---|---|---|---|`);
console.log(`| ${lag.n} | ${lag.min.toFixed(0)} ms | ${lag.p50.toFixed(0)} ms | ${lag.p95.toFixed(0)} ms | ${lag.max.toFixed(0)} ms |`);
console.log("\nGoal: p95 ≤ 250 ms locally. Pushed over the account's socket.");

// 3. Idle tabs: requests, frames and main-thread time over IDLE_S seconds each, two windows.
const guest = await profile();
await new Promise((r) => setTimeout(r, 3000));
async function idle(b) {
  const cdp = await b.context.newCDPSession(b.page);
  await cdp.send("Performance.enable");
  const metric = async () => Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const windows = [];
  for (let w = 0; w < 2; w++) {
    const before = await metric();
    const requests = b.seen.requests;
    const frames = b.seen.frames.sent.length;
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const after = await metric();
    const perMinute = 60 / IDLE_S;
    windows.push({
      requests: (b.seen.requests - requests) * perMinute,
      frames: (b.seen.frames.sent.length - frames) * perMinute,
      taskMs: (after.TaskDuration - before.TaskDuration) * 1000 * perMinute,
    });
  }
  return windows;
}
to.seen.frames.sent.length = 0;
const [signedIdle, guestIdle] = [await idle(to), await idle(guest)];
const range = (ws, k, digits = 0) => ws.map((w) => w[k].toFixed(digits)).join(" / ");
console.log(
  `\n## An idle, visible tab (2 windows of ${IDLE_S} s each, per minute)\n\n| tab | requests | socket frames sent | main-thread ms |\n|---|---|---|---|`,
);
console.log(`| signed in | ${range(signedIdle, "requests")} | ${range(signedIdle, "frames")} | ${range(signedIdle, "taskMs", 1)} |`);
console.log(`| guest | ${range(guestIdle, "requests")} | — | ${range(guestIdle, "taskMs", 1)} |`);
const ratio = signedIdle.map((w, i) => w.taskMs / (guestIdle[i]?.taskMs || 1));
console.log(
  `\nSigned-in / guest main-thread time: ${ratio.map((x) => `${x.toFixed(2)}×`).join(" / ")} (goal ≤ 2×). Frames are keep-alive pings.`,
);

// 4. Bytes per single-line change of a 100-line cart.
const hundred = Array.from({ length: 100 }, (_, i) => ({
  id: `sku-${i}`,
  name: `Product number ${i}`,
  price: 1000 + i,
  quantity: 1,
  url: `${ORIGIN}/p/${i}`,
  image: `${ORIGIN}/i/${i}.jpg`,
}));
await from.page.evaluate((ls) => window.cartback("setCart", { currency: "EUR", lines: ls }), hundred);
await to.page.waitForSelector('[data-line="sku-99"]', { timeout: 15_000 });
await new Promise((r) => setTimeout(r, 1000));
from.seen.frames.sent.length = from.seen.frames.received.length = 0;
const perChange = [];
for (let i = 0; i < 10; i++) {
  const [fs, fr, tr] = [from.seen.frames.sent.length, from.seen.frames.received.length, to.seen.frames.received.length];
  await from.page.evaluate((q) => window.cartback("updateLine", "sku-50", { quantity: q }), 2 + i);
  await to.page
    .waitForFunction((q) => window.document.querySelector('[data-line="sku-50"]')?.textContent?.includes(String(q)), 2 + i, {
      timeout: 15_000,
    })
    .catch(() => {});
  await new Promise((r) => setTimeout(r, 300));
  const sum = (xs, n) => xs.slice(n).reduce((a, b) => a + b, 0);
  perChange.push({ up: sum(from.seen.frames.sent, fs), ack: sum(from.seen.frames.received, fr), pushed: sum(to.seen.frames.received, tr) });
}
const up = stats(perChange.map((c) => c.up));
const ack = stats(perChange.map((c) => c.ack));
const pushed = stats(perChange.map((c) => c.pushed));
console.log(
  `\n## Bytes on the wire per single-line change, 100-line cart (${up.n} changes, WebSocket payloads)\n\n| | min | median | max |\n|---|---|---|---|`,
);
console.log(`| up, from the editing tab | ${up.min} B | ${up.p50} B | ${up.max} B |`);
console.log(`| down, its answer | ${ack.min} B | ${ack.p50} B | ${ack.max} B |`);
console.log(`| down, pushed to the other tab | ${pushed.min} B | ${pushed.p50} B | ${pushed.max} B |`);
console.log("\nGoal: ≤ 1 KB both ways per change (frame headers of 2-8 bytes not counted).");
for (const b of browsers) {
  await b.context.close();
  rmSync(b.dir, { recursive: true, force: true });
}

// 5. Idle sockets: one per account (SOCKETS shoppers), each signed in with its hello, then left idle.
const { default: WebSocket } = await import("ws");
const rss = () => {
  const out = spawnSync("ps", ["-eo", "rss=,args="], { encoding: "utf8" }).stdout;
  return (
    out
      .split("\n")
      .filter((l) => l.includes("workerd") && l.includes("serve"))
      .reduce((kb, l) => kb + Number(l.trim().split(/\s+/)[0]), 0) / 1024
  );
};
const memBefore = rss();
const sockets = [];
const account = async (u) => {
  const token = await signShopperToken({ site: DEMO_SITE.key, userId: u, secret: DEMO_SITE.secret });
  const res = await fetch(`${ORIGIN}/v1/sync?site=${DEMO_SITE.key}`, {
    method: "POST",
    headers: { origin: ORIGIN },
    body: JSON.stringify({
      token,
      aid: `benchdevice${String(sockets.length).padStart(11, "0")}`,
      cart: { currency: "EUR", currencyAt: [0, 0, ""], lines: {} },
    }),
  });
  return { token, account: (await res.json()).account };
};
const openStarted = performance.now();
for (let i = 0; i < SOCKETS; i++) {
  const u = `idle-${user}-${i}`;
  const { token, account: id } = await account(u);
  const ws = new WebSocket(`ws://127.0.0.1:${PORT}/v1/sync/ws?site=${DEMO_SITE.key}&account=${id}`, { headers: { origin: ORIGIN } });
  await new Promise((resolve, reject) => {
    ws.once("open", () => {
      ws.send(
        JSON.stringify({
          t: "hello",
          token,
          aid: `benchdevice${String(i).padStart(11, "0")}`,
          w: 0,
          d: { currency: "EUR", currencyAt: [0, 0, ""], lines: {} },
          k: [0, 0, ""],
        }),
      );
    });
    ws.once("message", resolve);
    ws.once("error", reject);
  });
  sockets.push(ws);
}
const openSeconds = (performance.now() - openStarted) / 1000;
await new Promise((r) => setTimeout(r, 10_000));
const memAfter = rss();
// Still there after idling: each answers a keep-alive.
let pongs = 0;
await Promise.all(
  sockets.map(
    (ws) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        ws.once("message", (m) => {
          if (String(m) === "pong") pongs++;
          clearTimeout(timer);
          resolve();
        });
        ws.send("ping");
      }),
  ),
);
const open = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
console.log(
  `\n## Idle sockets on one local collector\n\n| sockets (one account each) | still open after 10 s idle | answered a keep-alive | workerd memory before / after | per socket |\n|---|---|---|---|---|`,
);
console.log(
  `| ${SOCKETS} (opened in ${openSeconds.toFixed(1)} s) | ${open} | ${pongs} | ${memBefore.toFixed(0)} MB / ${memAfter.toFixed(0)} MB | ${(((memAfter - memBefore) * 1024) / SOCKETS).toFixed(1)} KB |`,
);
for (const ws of sockets) ws.close();
stop();
process.exit(0);
