// Everything `npm start` and the browser tests need before the collector starts: the script and
// demo shop built, local D1 migrated, and the demo site allowed on the local origins.
//   node scripts/setup-local.mjs [--port 8787] [--persist-to dir] [--fresh]
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildScript } from "./build.mjs";
import { createSite } from "./site.mjs";
import { wrangler } from "./wrangler.mjs";

export const DEMO_SITE = { key: "pk_demo_local", secret: "sk_demo_local_only_not_secret", name: "Demo shop" };

export async function setupLocal({ port = 8787, persistTo, fresh = false } = {}) {
  const where = persistTo ? ["--local", "--persist-to", persistTo] : ["--local"];
  if (fresh && persistTo) rmSync(persistTo, { recursive: true, force: true });
  await buildScript();
  wrangler(["d1", "migrations", "apply", "DB", ...where], { quiet: true });
  createSite({
    ...DEMO_SITE,
    origins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    // Someone trying the demo should always see the email: no holdout on the demo site.
    settings: { holdoutPercent: 0 },
    upsert: true,
    where,
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { port: { type: "string" }, "persist-to": { type: "string" }, fresh: { type: "boolean" } } });
  await setupLocal({ port: Number(values.port ?? 8787), persistTo: values["persist-to"], fresh: values.fresh });
  console.log("local setup done");
}
