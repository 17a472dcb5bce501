// Runs the project's pinned wrangler with what it needs to work offline: no metrics, no
// update check, no Request.cf lookup (see ../shared/platform-notes.md).
import { spawn, spawnSync } from "node:child_process";

export const root = new URL("..", import.meta.url).pathname;
const bin = `${root}node_modules/.bin/wrangler`;

export const offlineEnv = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  X_LOCAL_EXPLORER: "false",
};

/** Runs wrangler to completion; throws with its output when it fails. */
export function wrangler(args, { quiet = false } = {}) {
  const run = spawnSync(bin, args, { cwd: root, env: offlineEnv, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${run.stdout}\n${run.stderr}`);
  if (!quiet) process.stdout.write(run.stdout);
  return run.stdout;
}

/** Runs one SQL statement against D1 (`where`: wrangler's target, e.g. `--local --persist-to dir`) and returns its rows. */
export function d1Rows(sql, where = ["--local"]) {
  return JSON.parse(wrangler(["d1", "execute", "DB", ...where, "--json", "--command", sql], { quiet: true }))[0].results;
}

/** Starts `wrangler dev` in the background. `--test-scheduled` lets you run the daily job by hand
 * (GET /__scheduled?cron=17+3+*+*+*) and keeps wrangler from warning that crons don't fire locally. */
export function startWrangler(args, options = {}) {
  return spawn(bin, ["dev", "--test-scheduled", ...args], { cwd: root, env: offlineEnv, stdio: "inherit", ...options });
}

/**
 * Starts a local collector on 127.0.0.1:`port` with its own state folder (after `setupLocal`), and
 * resolves once it answers. Links in its emails point at it. `stop()` ends it and its workerd.
 */
export async function startCollector({ port, persistTo, stdio = ["ignore", "ignore", "inherit"] }) {
  const origin = `http://127.0.0.1:${port}`;
  const dev = startWrangler(
    ["--ip", "127.0.0.1", "--port", String(port), "--persist-to", persistTo, "--log-level", "warn", "--var", `PUBLIC_URL:${origin}`],
    { stdio, detached: true },
  );
  const stop = () => {
    try {
      process.kill(-dev.pid, "SIGTERM"); // wrangler runs workerd as a child: end the whole group
    } catch {}
  };
  process.on("exit", stop);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${origin}/health`)).ok) return { origin, stop };
    } catch {}
    if (Date.now() > deadline) {
      stop();
      throw new Error(`the local collector did not start on ${origin} within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
