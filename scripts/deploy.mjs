// `npm run deploy`: puts the collector on your Cloudflare account. Safe to run again: it creates
// only what is missing.
//   1. checks you are logged in (`wrangler login`, or CLOUDFLARE_API_TOKEN + CLOUDFLARE_ACCOUNT_ID)
//   2. creates the D1 database `cartback` and writes its id into wrangler.toml
//   3. creates the queues (ingest, mail, webhooks, and their dead-letter queues)
//   4. applies the D1 migrations to the remote database
//   5. builds the script without the demo shop, and deploys the Worker with its assets
// Then create a site for your shop: npm run site:create -- --remote --name "My shop" --origin https://shop.example
import { readFileSync, writeFileSync } from "node:fs";
import { buildScript } from "./build.mjs";
import { root, wrangler } from "./wrangler.mjs";

const DATABASE = "cartback";
const QUEUES = ["cartback-ingest", "cartback-ingest-dlq", "cartback-mail", "cartback-mail-dlq", "cartback-webhooks"];
const PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000";
const config = `${root}wrangler.toml`;

const step = (text) => console.log(`\n▶ ${text}`);
const remote = (args) => wrangler(args, { quiet: true });

step("Checking the Cloudflare login");
try {
  const who = remote(["whoami"]);
  if (/not authenticated/i.test(who)) throw new Error(who);
  console.log(who.trim().split("\n").slice(-3).join("\n"));
} catch {
  console.error("Not logged in. Run `npx wrangler login`, or set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID.");
  process.exit(1);
}

step(`D1 database "${DATABASE}"`);
const databases = JSON.parse(remote(["d1", "list", "--json"]));
let database = databases.find((db) => db.name === DATABASE);
if (!database) {
  remote(["d1", "create", DATABASE]);
  database = JSON.parse(remote(["d1", "list", "--json"])).find((db) => db.name === DATABASE);
  console.log(`created ${database.uuid}`);
} else {
  console.log(`exists: ${database.uuid}`);
}
const toml = readFileSync(config, "utf8");
if (toml.includes(PLACEHOLDER_ID)) {
  writeFileSync(config, toml.replace(PLACEHOLDER_ID, database.uuid));
  console.log("wrote its id into wrangler.toml (commit this change)");
} else if (!toml.includes(database.uuid)) {
  console.error(`wrangler.toml names another database id than ${database.uuid}; fix database_id by hand.`);
  process.exit(1);
}

step("Queues");
for (const queue of QUEUES) {
  try {
    remote(["queues", "create", queue]);
    console.log(`created ${queue}`);
  } catch (e) {
    if (!/already (exists|taken)/i.test(String(e))) throw e;
    console.log(`exists: ${queue}`);
  }
}

step("Migrations");
wrangler(["d1", "migrations", "apply", "DB", "--remote"]);

step("Build (without the demo shop) and deploy");
if (!process.env.PUBLIC_URL) {
  console.log(
    "PUBLIC_URL is not set: links in emails will use wrangler.toml's value. Deploy with PUBLIC_URL=https://your-collector npm run deploy.",
  );
}
await buildScript({ demo: false });
wrangler(["deploy", ...(process.env.PUBLIC_URL ? ["--var", `PUBLIC_URL:${process.env.PUBLIC_URL}`] : [])]);

console.log(`
Deployed. Next:
  0. Choose how mail goes out (default: the outbox, which only stores it):
       npx wrangler secret put RESEND_API_KEY   and set MAIL_PROVIDER = "resend", MAIL_FROM in wrangler.toml
  1. Create a site for your shop (prints its key and secret):
       npm run site:create -- --remote --name "My shop" --origin https://shop.example
  2. Add to every page of the shop, in <head>:
       <script>window.cartback=window.cartback||function(){(cartback.q=cartback.q||[]).push(arguments)}</script>
       <script async src="https://<your-worker>.workers.dev/cartback.js" data-site="pk_…" data-currency="EUR"></script>
`);
