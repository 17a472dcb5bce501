// Measures every public entry of the browser script, min+gzip and min+brotli.
//   node scripts/size.mjs          print the table
//   node scripts/size.mjs --write  also write it into README.md (the size test checks they agree)
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { buildScript, entries } from "./build.mjs";

/** The hard limits, in bytes of min+gzip. */
export const BUDGETS = {
  // Lowered from 4096 once the core reached 3790 B (docs/core-size.md), so the room it won stays
  // won; the goal is 3700 (issue 21).
  tag: 3840,
  // Raised from 4096 for the outbox stored one event a record, then from 4608 when the module took
  // in, built in, everything the tag moved to lazy files (purchase, the data checks, the restore
  // listeners) plus the inert client for server rendering and the sync hook (docs/size.md).
  esm: 4864,
  // Raised from 2048 when it took over recording moments from the core (README, Size).
  checkout: 2304,
  checkoutEsm: 2048,
  // Raised from 2048 when it took the account's purchase rule in too (README, Size).
  sync: 2304,
  syncEsm: 2304,
  restore: 1024,
  identify: 1024,
  purchase: 512,
  data: 512,
  connect: 2048,
  connectEsm: 2048,
  shopify: 2048,
  woocommerce: 2048,
  ga4: 2048,
  ref: 1024,
  auto: 512,
};
const LABELS = {
  tag: "`cartback.js` (script tag, every page)",
  esm: "`cartback.mjs` (ES module, the lazy files' code built in)",
  checkout: "`cartback-checkout.js` (detectors, checkout pages only)",
  checkoutEsm: "`cartback-checkout.mjs` (detectors, ES module)",
  sync: "`cartback-sync.js` (cross-device sync, signed-in shoppers only)",
  syncEsm: "`cartback-sync.mjs` (cross-device sync, ES module: `createCartback({ sync })`)",
  restore: "`cartback-restore.js` (a recovery link's cart, pages opened from an email only)",
  identify: "`cartback-identify.js` (what `identify` and `signOut` do, pages that call them only)",
  purchase: "`cartback-purchase.js` (what `purchase` does, order confirmation pages only)",
  data: "`cartback-data.js` (the checks of a line's `data`, pages whose lines carry some only)",
  connect: "`cartback-connect.js` (the shop's own cart, pages that call `connect` only)",
  connectEsm: "`cartback-connect.mjs` (the shop's own cart, ES module)",
  shopify: '`cartback-shopify.js` (Shopify storefronts, `data-platform="shopify"`)',
  woocommerce: '`cartback-woocommerce.js` (WooCommerce shops, `data-platform="woocommerce"`)',
  ga4: '`cartback-ga4.js` (shops that push GA4 ecommerce events, `data-platform="ga4"`)',
  ref: "`cartback-ref.js` (a platform's cart token for its order webhook, Shopify and WooCommerce pages only)",
  auto: '`cartback-auto.js` (picks one of the three, `data-platform="auto"`)',
};

export async function measure() {
  await buildScript();
  return Object.entries(entries).map(([name, entry]) => {
    const code = readFileSync(entry.out);
    return {
      name,
      min: code.length,
      gzip: gzipSync(code, { level: 9 }).length,
      brotli: brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
      budget: BUDGETS[name],
    };
  });
}

export function sizeTable(sizes) {
  const rows = sizes.map((s) => `| ${LABELS[s.name]} | ${s.min} B | **${s.gzip} B** | ${s.brotli} B | ${s.budget} B |`);
  return ["| entry | minified | min+gzip | min+brotli | budget (gzip) |", "|---|---|---|---|---|", ...rows].join("\n");
}

export const README_MARKERS = ["<!-- size:start -->", "<!-- size:end -->"];

export function readmeTable(readme) {
  const [start, end] = README_MARKERS;
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  return from < 0 || to < 0 ? undefined : readme.slice(from + start.length, to).trim();
}

/** A Markdown table without its cell padding (the formatter aligns columns; the figures count). */
export const tableCells = (table) =>
  table
    .split("\n")
    .map((row) => row.split("|").map((cell) => cell.trim().replace(/^-+$/, "-")))
    .filter((cells) => cells.length > 1);

if (import.meta.url === `file://${process.argv[1]}`) {
  const table = sizeTable(await measure());
  console.log(table);
  if (process.argv.includes("--write")) {
    const path = new URL("../README.md", import.meta.url);
    const readme = readFileSync(path, "utf8");
    const current = readmeTable(readme);
    if (current === undefined) throw new Error(`README.md has no ${README_MARKERS.join(" … ")} section`);
    writeFileSync(path, readme.replace(current, table));
    // The README is formatted by Biome (tables padded), which `npm test` checks.
    spawnSync(new URL("../node_modules/.bin/biome", import.meta.url).pathname, ["format", "--write", path.pathname], { stdio: "ignore" });
    console.log("README.md updated");
  }
}
