// What every collector bench shares (issue 21.7): its options (--port, --json, --rounds of at
// least 6), a fresh local collector with its own state, summaries as { median, min, max, runs },
// timed requests, and progress lines with the time since the start.
import { parseArgs } from "node:util";
import { setupLocal } from "./setup-local.mjs";
import { root, startCollector } from "./wrangler.mjs";

/**
 * The bench's options: `--port`, `--json`, `--rounds` (at least 6) and its own (`options`, as
 * node:util parseArgs takes them). `log` prints figures; `progress` prints to stderr, with the
 * seconds since the start, so a long run shows where it is and `--json`'s last line stays the JSON.
 */
export function benchArgs(name, { port, rounds = 6, options = {} }) {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: String(port) },
      json: { type: "boolean", default: false },
      rounds: { type: "string", default: String(rounds) },
      ...options,
    },
  });
  const began = Date.now();
  const PORT = Number(values.port);
  return {
    values,
    PORT,
    ORIGIN: `http://127.0.0.1:${PORT}`,
    STATE: `${root}.wrangler/${name}-state-${PORT}`,
    ROUNDS: Math.max(6, Number(values.rounds)),
    log: (...a) => console.log(...a),
    progress: (...a) => console.error(`[${name} ${Math.round((Date.now() - began) / 1000)} s]`, ...a),
  };
}

/**
 * Migrates a fresh state folder (after `before`, which may write rows with wrangler while no
 * collector has the database open), then starts the collector on it. Resolves to `{ origin, stop }`.
 */
export async function freshCollector({ PORT, STATE }, before = () => {}) {
  await setupLocal({ port: PORT, persistTo: STATE, fresh: true });
  await before();
  return startCollector({ port: PORT, persistTo: STATE });
}

/** { median, min, max, runs } of a list of numbers, rounded to `digits`. */
export function summary(list, digits = 2) {
  const s = [...list].sort((a, b) => a - b);
  const mid = s.length / 2;
  const median = s.length % 2 ? s[Math.floor(mid)] : (s[mid - 1] + s[mid]) / 2;
  const f = 10 ** digits;
  const round = (n) => Math.round(n * f) / f;
  return { median: round(median), min: round(s[0]), max: round(s.at(-1)), runs: s.length };
}

/** "median× (min–max)" of a summary. */
export const ratioText = (s) => `${s.median}× (${s.min}–${s.max}, ${s.runs} rounds)`;

/** Milliseconds of one request, its body read; throws on anything but a 2xx. */
export async function timed(url, init) {
  const t = performance.now();
  const res = await fetch(url, init);
  const body = await res.text();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`);
  return performance.now() - t;
}

/** The median milliseconds of `n` requests, after one to warm up. */
export async function medianOf(url, init, n = 5) {
  await timed(url, init);
  const ms = [];
  for (let i = 0; i < n; i++) ms.push(await timed(url, init));
  return summary(ms).median;
}

/**
 * A POST that is idempotent on the collector's side (a seed chunk), sent again when the local
 * server drops it (wrangler dev answers 503 while it reloads); resolves to the parsed JSON body.
 */
export async function postAgain(url, { attempts = 5, onRetry = () => {} } = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, { method: "POST" });
      const text = await res.text();
      if (!res.ok) throw new Error(`${res.status} ${text.slice(0, 200)}`);
      return JSON.parse(text);
    } catch (e) {
      if (attempt >= attempts) throw e;
      onRetry(e);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
