// `node scripts/ingest-phases.mjs [--rounds 6] [--json]`: where the ingest route's own CPU goes.
// The collector's code runs in Node's V8 (workerd's engine) with its bindings stubbed (D1 answers
// the demo site, the queue only serialises, the rate limiter says yes), so what is left is the
// route's fixed cost: Hono, the body, JSON, the schema, the site and origin checks, the shopper's
// languages and time zone. Inside workerd, performance.now() only moves on I/O, so this cannot be
// timed there. Each phase is timed alone, in interleaved rounds with a whole `GET /health` request
// as the anchor; figures are µs and the ratio to the anchor, median/min/max over the rounds.
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "6" }, json: { type: "boolean", default: false } } });
const root = new URL("..", import.meta.url).pathname;

const harness = `
import * as v from "valibot";
import { app } from "./worker/index";
import { BatchSchema } from "./protocol/schema";
import { whereabouts } from "./worker/ingest/route";
import { originAllowed } from "./worker/sites/sites";
import { decode } from "./worker/http/body";
import { parsePreferences, validTimeZone } from "./worker/copy/builtin";

const ORIGIN = "http://127.0.0.1:8787";
const siteRow = { id: 1, key: "pk_demo_local", name: "Demo", origins: JSON.stringify([ORIGIN]), settings: "{}", version: 1 };
const statement = (sql) => ({
  bind: () => statement(sql),
  first: async () => (sql.includes("FROM sites WHERE key") ? siteRow : null),
  all: async () => ({ results: [] }),
  run: async () => ({ meta: { changes: 0 } }),
});
const env = {
  DB: { prepare: statement },
  INGEST: { send: async (m) => void JSON.stringify(m) },
  INGEST_PER_SITE: { limit: async () => ({ success: true }) },
  INGEST_PER_IP: { limit: async () => ({ success: true }) },
};
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} };
let n = 0;
const id = () => (n++).toString(36).padStart(22, "x");
const text = () => JSON.stringify({ aid: id(), sentAt: Date.now(), locale: "es-ES", timeZone: "Europe/Madrid", events: [{ id: id(), at: Date.now(), type: "cart", action: "add",
  cart: { currency: "EUR", lines: [{ id: "green-tea-100g", name: "Green tea", price: 1250, quantity: 2, url: ORIGIN + "/demo/#tea" }, { id: "mug-blue", name: "Stoneware mug", price: 2400, quantity: 1, variant: "Blue" }] } }] });
const headers = (body) => ({ "content-type": "text/plain;charset=UTF-8", origin: ORIGIN, "content-length": String(body.length), "accept-language": "es-ES,es;q=0.9,en;q=0.8" });
const ingestRequest = () => { const body = text(); return new Request(ORIGIN + "/v1/events?site=pk_demo_local", { method: "POST", body, headers: headers(body) }); };
const body = text(), json = JSON.parse(body), bytes = new TextEncoder().encode(body), request = ingestRequest();

export const phases = {
  "GET /health, whole request (anchor)": async () => (await app.fetch(new Request(ORIGIN + "/health"), env, ctx)).status,
  "POST /v1/events, whole request (bindings stubbed)": async () => {
    const res = await app.fetch(ingestRequest(), env, ctx);
    if (res.status !== 202) throw new Error(await res.text());
  },
  "making the test's Request (in both: not the route's)": () => ingestRequest(),
  "body: UTF-8 decode": () => decode(bytes),
  "body: JSON.parse": () => JSON.parse(body),
  "batch schema (valibot)": () => v.safeParse(BatchSchema, json),
  "origin check": () => originAllowed([ORIGIN], ORIGIN),
  "languages and time zone (memoized, as the route does)": () => whereabouts(request, json),
  "languages and time zone, unmemoized (Intl each time)": () => [parsePreferences(json.locale), parsePreferences(request.headers.get("accept-language")), validTimeZone(json.timeZone)],
  "queue message serialised": () => JSON.stringify({ site: 1, aid: json.aid, receivedAt: 1, skew: 0, ttlDays: 7, events: json.events, locale: "es-ES,es,en" }),
};
`;
const out = `${root}.wrangler/ingest-phases.mjs`;
const stub = (contents) => ({ contents, loader: "js" });
await build({
  stdin: { contents: harness, resolveDir: root, loader: "ts" },
  bundle: true,
  platform: "node",
  format: "esm",
  outfile: out,
  logLevel: "error",
  plugins: [
    {
      name: "cloudflare-stubs",
      setup(b) {
        b.onResolve({ filter: /^cloudflare:/ }, (a) => ({ path: a.path, namespace: "stub" }));
        b.onLoad({ filter: /.*/, namespace: "stub" }, () =>
          stub(
            "export class DurableObject {}; export class EmailMessage {}; export const env = {}; export const exports = {}; export const connect = () => { throw new Error('no sockets'); };",
          ),
        );
      },
    },
  ],
});
const { phases } = await import(out);
rmSync(out);

async function microsPerCall(f, ms = 400) {
  for (let i = 0; i < 200; i++) await f();
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await f();
    calls++;
  }
  return (1000 * (performance.now() - start)) / calls;
}

const names = Object.keys(phases);
const runs = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < Number(values.rounds); r++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(r + k) % names.length];
    runs[name].push(await microsPerCall(phases[name]));
  }
}
const spread = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s.at(-1), runs: s.length };
};
const anchor = names[0];
console.log("| phase | µs a call (median) | min–max | ÷ `/health` request (median) |");
console.log("|---|---|---|---|");
const result = {};
for (const name of names) {
  const us = spread(runs[name]);
  const ratio = spread(runs[name].map((x, i) => x / runs[anchor][i]));
  result[name] = { us, overHealth: ratio };
  console.log(`| ${name} | ${us.median.toFixed(1)} | ${us.min.toFixed(1)}–${us.max.toFixed(1)} | ${ratio.median.toFixed(2)} |`);
}
if (values.json) console.log(JSON.stringify(result));
