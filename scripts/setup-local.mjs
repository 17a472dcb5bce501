// Everything `npm start` and the browser tests need before the collector starts: the script and
// demo shop built, local D1 migrated, and the demo site allowed on the local origins.
//   node scripts/setup-local.mjs [--port 8787] [--persist-to dir] [--fresh]
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildScript } from "./build.mjs";
import { createSite } from "./site.mjs";
import { wrangler } from "./wrangler.mjs";

export const DEMO_SITE = {
  key: "pk_demo_local",
  secret: "sk_demo_local_only_not_secret",
  // What the local demo's platform webhooks are signed with (README: Webhooks from the platform).
  platformSecret: "pws_demo_local_only_not_secret",
  name: "Demo shop",
};

/** The demo site for a collector on `port`: allowed on the local origins, its recovery links
 * landing on the demo shop the collector serves at /demo/ (else they land on the collector's own
 * `/`, a 404), and no holdout and no quiet hours, so someone trying the demo always sees the
 * email, at any hour. */
export function demoSite(port = 8787) {
  const origin = `http://127.0.0.1:${port}`;
  return {
    ...DEMO_SITE,
    origins: [origin, `http://localhost:${port}`],
    settings: { holdoutPercent: 0, quietHours: null, restoreUrl: `${origin}/demo/` },
  };
}

export async function setupLocal({ port = 8787, persistTo, fresh = false } = {}) {
  const where = persistTo ? ["--local", "--persist-to", persistTo] : ["--local"];
  if (fresh && persistTo) rmSync(persistTo, { recursive: true, force: true });
  await buildScript();
  wrangler(["d1", "migrations", "apply", "DB", ...where], { quiet: true });
  // An existing demo site gets the origins and these settings for this port; other settings stay.
  createSite({ ...demoSite(port), upsert: true, where });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { port: { type: "string" }, "persist-to": { type: "string" }, fresh: { type: "boolean" } } });
  await setupLocal({ port: Number(values.port ?? 8787), persistTo: values["persist-to"], fresh: values.fresh });
  console.log("local setup done");
}
