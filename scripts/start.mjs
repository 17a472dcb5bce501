// `npm start`: build, migrate, create the demo site, and run the collector on 127.0.0.1:8787.
import { setupLocal } from "./setup-local.mjs";
import { startWrangler } from "./wrangler.mjs";

const port = Number(process.env.PORT ?? 8787);
await setupLocal({ port });
console.log(`
  Cartback collector  http://127.0.0.1:${port}
  Demo shop           http://127.0.0.1:${port}/demo/
  Script              http://127.0.0.1:${port}/cartback.js
  Dev outbox          http://127.0.0.1:${port}/dev/outbox  (the emails and texts it would send)
`);
const dev = startWrangler(["--ip", "127.0.0.1", "--port", String(port), "--var", `PUBLIC_URL:http://127.0.0.1:${port}`]);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
