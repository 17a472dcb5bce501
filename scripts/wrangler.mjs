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

/** Starts `wrangler dev` in the background. `--test-scheduled` lets you run the daily job by hand
 * (GET /__scheduled?cron=17+3+*+*+*) and keeps wrangler from warning that crons don't fire locally. */
export function startWrangler(args, options = {}) {
  return spawn(bin, ["dev", "--test-scheduled", ...args], { cwd: root, env: offlineEnv, stdio: "inherit", ...options });
}
