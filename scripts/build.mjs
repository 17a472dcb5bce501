// Builds the browser script and the assets the collector serves.
//   node scripts/build.mjs          script + ESM package + demo shop (local development, tests)
//   node scripts/build.mjs --no-demo  for deploying: the demo shop stays out of production
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { minify } from "terser";

const root = new URL("..", import.meta.url).pathname;
const out = `${root}dist`;

/** What every shop page loads, and what bundler users import; sizes are measured on these. */
export const entries = {
  tag: { in: `${root}sdk/tag.ts`, out: `${out}/public/cartback.js`, format: "iife" },
  esm: { in: `${root}sdk/index.ts`, out: `${out}/public/cartback.mjs`, format: "esm" },
  checkout: { in: `${root}sdk/checkout/entry.ts`, out: `${out}/public/cartback-checkout.js`, format: "iife" },
  checkoutEsm: { in: `${root}sdk/checkout/index.ts`, out: `${out}/public/cartback-checkout.mjs`, format: "esm" },
  sync: { in: `${root}sdk/sync/entry.ts`, out: `${out}/public/cartback-sync.js`, format: "iife" },
  syncEsm: { in: `${root}sdk/sync/index.ts`, out: `${out}/public/cartback-sync.mjs`, format: "esm" },
  restore: { in: `${root}sdk/restore/entry.ts`, out: `${out}/public/cartback-restore.js`, format: "iife" },
  identify: { in: `${root}sdk/identify/entry.ts`, out: `${out}/public/cartback-identify.js`, format: "iife" },
  purchase: { in: `${root}sdk/purchase/entry.ts`, out: `${out}/public/cartback-purchase.js`, format: "iife" },
  data: { in: `${root}sdk/data/entry.ts`, out: `${out}/public/cartback-data.js`, format: "iife" },
  connect: { in: `${root}sdk/connect/entry.ts`, out: `${out}/public/cartback-connect.js`, format: "iife" },
  connectEsm: { in: `${root}sdk/connect/index.ts`, out: `${out}/public/cartback-connect.mjs`, format: "esm" },
  shopify: { in: `${root}sdk/platforms/shopify.ts`, out: `${out}/public/cartback-shopify.js`, format: "iife" },
  woocommerce: { in: `${root}sdk/platforms/woocommerce.ts`, out: `${out}/public/cartback-woocommerce.js`, format: "iife" },
  ga4: { in: `${root}sdk/platforms/ga4.ts`, out: `${out}/public/cartback-ga4.js`, format: "iife" },
  ref: { in: `${root}sdk/platforms/ref-entry.ts`, out: `${out}/public/cartback-ref.js`, format: "iife" },
  auto: { in: `${root}sdk/platforms/auto.ts`, out: `${out}/public/cartback-auto.js`, format: "iife" },
};

/** The Shopify Custom Pixel the merchant pastes: readable, not minified, its settings on top. */
export const pixel = { in: `${root}sdk/platforms/pixel-entry.ts`, out: `${root}examples/shopify/pixel.js` };
export const PIXEL_BANNER = [
  "// Cartback's Custom Pixel for Shopify: paste this file into Settings → Customer events → Add custom pixel.",
  "// Set your site key and collector below; keep the rest as it is (built from sdk/platforms/pixel.ts).",
  'const CARTBACK_SITE = "pk_live_REPLACE_ME";',
  'const CARTBACK_ENDPOINT = "https://cartback.example.com";',
].join("\n");

/** Builds the pixel; `write: false` returns its text instead (the unit test compares them). */
export async function buildPixel({ write = true } = {}) {
  const result = await build({
    entryPoints: [pixel.in],
    outfile: pixel.out,
    bundle: true,
    format: "iife",
    target: "es2020",
    legalComments: "none",
    banner: { js: PIXEL_BANNER },
    write,
    logLevel: "warning",
  });
  return write ? undefined : result.outputFiles[0].text;
}

/**
 * esbuild bundles; terser then minifies once more. Its repeated compress passes find what one pass
 * of esbuild's leaves (about 5% of the core, 216 B gzip, README "Size"), with the same target.
 * `pure_getters`: the script never relies on a property read's side effect.
 */
async function squeeze(code, format) {
  const options = {
    ecma: 2020,
    module: format === "esm",
    toplevel: true,
    compress: { passes: 3, pure_getters: true, unsafe_arrows: true },
  };
  return (await minify(code, options)).code;
}

/** For shops' backends, not browsers: `import { signShopperToken } from "cartback/server"`. */
const serverEntry = { in: `${root}server/token.ts`, out: `${out}/server/token.mjs` };

/**
 * Gives every relative import in the emitted declarations its file, `./client` → `./client.js`,
 * `./sync` → `./sync/index.js`: under `moduleResolution: node16/nodenext` an import without one
 * does not resolve (TS2834), and with `skipLibCheck` the types it names silently become `any`. A
 * specifier with no declaration beside it fails the build rather than ship an `any`.
 *
 * @example
 * declarationsWithExtensions(`${root}dist/types`);
 */
export function declarationsWithExtensions(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, "utf8").replace(/((?:from|import)\s*\(?\s*)(["'])(\.{1,2}\/[^"']*)\2/g, (_, before, quote, spec) => {
      const base = join(dirname(file), spec);
      if (existsSync(`${base}.d.ts`)) return `${before}${quote}${spec}.js${quote}`;
      if (existsSync(`${base}/index.d.ts`)) return `${before}${quote}${spec}/index.js${quote}`;
      throw new Error(`${file}: no declaration for ${spec}`);
    });
    writeFileSync(file, text);
  }
}

/** The ES-module demo shop, bundled as a shop's bundler would: "cartback" and "cartback/sync" resolved
 * through this package's own `exports` (to the modules built above). */
const moduleShop = { in: `${root}examples/module-shop/shop.js`, out: `${out}/public/module-shop/shop.js` };
const esmShop = { bundle: true, format: "esm", target: "es2022", minify: true, logLevel: "warning" };

/** Builds everything; `demo: false` leaves the demo shop out (for deploying). */
export async function buildScript({ demo = true } = {}) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(`${out}/public`, { recursive: true });
  for (const entry of Object.values(entries)) {
    const bundled = await build({
      entryPoints: [entry.in],
      bundle: true,
      minify: true,
      format: entry.format,
      // Browsers from 2022 on: the script uses Object.hasOwn and structuredClone (Safari 15.4, Chrome 98).
      target: "es2022",
      // No "use strict" prologue (tsconfig's strict would add one to each file, 9 B of the core): the
      // code is written as modules, and nothing in it behaves differently outside strict mode.
      tsconfigRaw: { compilerOptions: { alwaysStrict: false } },
      legalComments: "none",
      logLevel: "warning",
      write: false,
    });
    writeFileSync(entry.out, await squeeze(bundled.outputFiles[0].text, entry.format));
  }
  await build({
    entryPoints: [serverEntry.in],
    outfile: serverEntry.out,
    bundle: true,
    format: "esm",
    target: "es2022",
    logLevel: "warning",
  });
  await buildPixel();
  // Type declarations for the package's entries: `import { createCartback } from "cartback"`.
  const tsc = spawnSync(`${root}node_modules/.bin/tsc`, ["-p", `${root}sdk/tsconfig.build.json`], { stdio: "inherit" });
  if (tsc.status !== 0) throw new Error("emitting the SDK's type declarations failed");
  declarationsWithExtensions(`${out}/types`);
  cpSync(`${root}worker/static`, `${out}/public`, { recursive: true });
  if (demo) {
    cpSync(`${root}examples/demo-shop`, `${out}/public/demo`, { recursive: true });
    cpSync(`${root}examples/hand-built`, `${out}/public/hand-built`, { recursive: true });
    cpSync(`${root}examples/memory-cart`, `${out}/public/memory-cart`, { recursive: true });
    cpSync(`${root}examples/module-shop/index.html`, `${out}/public/module-shop/index.html`);
    await build({ ...esmShop, entryPoints: [moduleShop.in], outfile: moduleShop.out });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await buildScript({ demo: !process.argv.includes("--no-demo") });
