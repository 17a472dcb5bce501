#!/usr/bin/env node
// Creates or lists sites in D1.
//   npm run site:create -- --name "My shop" --origin https://shop.example [--origin …] [--remote]
//   npm run site:list [-- --remote]
// Prints the site key (public, for the script tag) and the secret (the merchant's: keep it safe).
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { wrangler } from "./wrangler.mjs";

const token = (prefix, bytes) => `${prefix}_${randomBytes(bytes).toString("base64url")}`;
const sql = (value) => `'${String(value).replaceAll("'", "''")}'`;

/** Normalises an origin (`https://Shop.example/` → `https://shop.example`); keeps `*.` wildcards. */
export function normaliseOrigin(input) {
  const wildcard = /^(https?:\/\/)\*\.(.+)$/.exec(input);
  const url = new URL(wildcard ? `${wildcard[1]}${wildcard[2]}` : input);
  if (!/^https?:$/.test(url.protocol) || url.pathname !== "/" || url.search || url.hash) {
    throw new Error(`not an origin: ${input} (expected scheme://host[:port])`);
  }
  return wildcard ? `${url.protocol}//*.${url.host}` : url.origin;
}

/** Where the D1 commands go: --remote, or local (optionally in another state folder). */
function target(values) {
  if (values.remote) return ["--remote"];
  return values["persist-to"] ? ["--local", "--persist-to", values["persist-to"]] : ["--local"];
}

export function createSite({
  name,
  origins,
  key = token("pk", 16),
  secret = token("sk", 32),
  platformSecret = token("pws", 32),
  settings = {},
  upsert = false,
  where = ["--local"],
}) {
  const list = JSON.stringify(origins.map(normaliseOrigin));
  // On upsert, the settings given replace those fields only: what the merchant changed since stays.
  // json_set, not json_patch: a null (quiet hours off) must be stored, not read as "remove".
  const fields = Object.entries(settings).map(([k, v]) => `${sql(`$.${k}`)}, json(${sql(JSON.stringify(v))})`);
  const merged = fields.length ? `json_set(sites.settings, ${fields.join(", ")})` : "sites.settings";
  // The platform secret given is restored (the demo's is documented, and tests sign with it).
  const conflict = upsert
    ? ` ON CONFLICT (key) DO UPDATE SET origins = excluded.origins, name = excluded.name, settings = ${merged}, platform_secret = excluded.platform_secret`
    : "";
  wrangler(
    [
      "d1",
      "execute",
      "DB",
      ...where,
      "--command",
      `INSERT INTO sites (key, secret, platform_secret, name, origins, settings, created_at) VALUES (${sql(key)}, ${sql(secret)}, ${sql(platformSecret)}, ${sql(name)}, ${sql(list)}, ${sql(JSON.stringify(settings))}, ${Date.now()})${conflict}`,
    ],
    { quiet: true },
  );
  return { key, secret, platformSecret, origins: JSON.parse(list) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: "string" },
      origin: { type: "string", multiple: true },
      remote: { type: "boolean" },
      "persist-to": { type: "string" },
    },
  });
  const where = target(values);
  process.on("uncaughtException", (e) => {
    console.error(`error: ${e.message}`);
    process.exit(2);
  });
  if (positionals[0] === "create") {
    if (!values.name || !values.origin?.length) {
      console.error('usage: npm run site:create -- --name "My shop" --origin https://shop.example [--origin …] [--remote]');
      process.exit(2);
    }
    const site = createSite({ name: values.name, origins: values.origin, where });
    console.log(`Created site "${values.name}"
  site key (public, for data-site): ${site.key}
  secret (the merchant's; shown once, keep it safe): ${site.secret}
  platform webhook secret (for WooCommerce's webhook form; shown once; on Shopify set Shopify's own instead): ${site.platformSecret}
  allowed origins: ${site.origins.join(", ")}`);
  } else if (positionals[0] === "list") {
    wrangler(["d1", "execute", "DB", ...where, "--command", "SELECT id, key, name, origins, created_at FROM sites ORDER BY id"]);
  } else {
    console.error("usage: node scripts/site.mjs create|list …");
    process.exit(2);
  }
}
