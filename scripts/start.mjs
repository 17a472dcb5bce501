// `npm start`: build, migrate, create the demo site, and run the collector on 127.0.0.1:8787.
import { localPageLines } from "./local-pages.mjs";
import { setupLocal } from "./setup-local.mjs";
import { startWrangler } from "./wrangler.mjs";

const port = Number(process.env.PORT ?? 8787);
await setupLocal({ port });
console.log(["", ...localPageLines(port), ""].join("\n"));
const dev = startWrangler(["--ip", "127.0.0.1", "--port", String(port), "--var", `PUBLIC_URL:http://127.0.0.1:${port}`]);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
