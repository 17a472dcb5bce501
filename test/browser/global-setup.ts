import type { ChildProcess } from "node:child_process";
// @ts-expect-error: plain .mjs scripts, no types
import { setupLocal } from "../../scripts/setup-local.mjs";
// @ts-expect-error: plain .mjs scripts, no types
import { startWrangler } from "../../scripts/wrangler.mjs";
import { ORIGIN, PORT, STATE } from "./env";

let dev: ChildProcess | undefined;

export async function setup(): Promise<void> {
  await setupLocal({ port: PORT, persistTo: STATE, fresh: true });
  dev = startWrangler(
    ["--ip", "127.0.0.1", "--port", String(PORT), "--persist-to", STATE, "--log-level", "warn", "--var", `PUBLIC_URL:${ORIGIN}`],
    {
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
    },
  ) as ChildProcess;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${ORIGIN}/health`)).ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error("wrangler dev did not start within 60 s");
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function teardown(): Promise<void> {
  // wrangler dev runs workerd as a child: end the whole process group.
  if (dev?.pid) process.kill(-dev.pid, "SIGTERM");
}
