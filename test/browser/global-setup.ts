// @ts-expect-error: plain .mjs scripts, no types
import { setupLocal } from "../../scripts/setup-local.mjs";
// @ts-expect-error: plain .mjs scripts, no types
import { startCollector } from "../../scripts/wrangler.mjs";
import { PORT, STATE } from "./env";

let stop: (() => void) | undefined;

export async function setup(): Promise<void> {
  await setupLocal({ port: PORT, persistTo: STATE, fresh: true });
  ({ stop } = await startCollector({ port: PORT, persistTo: STATE, stdio: ["ignore", "inherit", "inherit"] }));
}

export async function teardown(): Promise<void> {
  stop?.();
}
