// The package as an integrator installs it (global-setup.ts packs it and installs the tarball into a
// scratch project): its types under every resolver, its entries in Node, what it ships and weighs.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { expect, inject, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;
const scratch = inject("scratch");
const installed = `${scratch}/node_modules/cartback`;

/** The packed tarball's budget, gzip: the README is the larger part of it (issue 23: 66 % at 1,628 lines). */
export const TARBALL_BUDGET = 80 * 1024;
/** What runs and what types it: every packed file but README.md, LICENSE and package.json, unpacked. */
export const CODE_BUDGET = 96 * 1024;

it("has its types right for every entry, as @arethetypeswrong/cli sees them (ESM only: node16 from ESM, bundler)", () => {
  const attw = spawnSync(
    `${root}node_modules/.bin/attw`,
    [inject("tarball"), "--profile", "esm-only", "--no-definitely-typed", "--format", "ascii", "--no-color"],
    { encoding: "utf8" },
  );
  expect(attw.status, attw.stdout + attw.stderr).toBe(0);
  // Each of the six entries (package.json too) resolves to its types from ESM under node16 and under bundler.
  expect(attw.stdout.match(/^(node16 \(from ESM\)|bundler): 🟢/gm)).toHaveLength(12);
});

const resolvers = [
  { module: "nodenext", moduleResolution: "nodenext" },
  { module: "node16", moduleResolution: "node16" },
  { module: "esnext", moduleResolution: "bundler" },
];
const cases = resolvers.flatMap((resolver) => [false, true].map((skipLibCheck) => ({ ...resolver, skipLibCheck })));

it.each(cases)(
  "types an import of every entry under $moduleResolution, skipLibCheck $skipLibCheck; a wrong call is an error",
  (options) => {
    const config = `${scratch}/tsconfig.${options.moduleResolution}-${options.skipLibCheck}.json`;
    const compilerOptions = { ...options, target: "es2022", lib: ["es2023", "dom", "dom.iterable"], types: [], strict: true, noEmit: true };
    writeFileSync(config, JSON.stringify({ compilerOptions, files: ["shop.ts"] }));
    const tsc = spawnSync(`${root}node_modules/.bin/tsc`, ["-p", config], { cwd: scratch, encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  },
);

it("imports every entry in Node; the client there does nothing and says why once; the server entry signs a token", () => {
  const node = spawnSync(process.execPath, ["run.mjs"], { cwd: scratch, encoding: "utf8" });
  expect(node.status, node.stderr).toBe(0);
  const seen = JSON.parse(node.stdout);
  expect(seen.modules).toEqual({
    cartback: ["createCartback"],
    "cartback/checkout": ["e164", "watchCheckout"],
    "cartback/connect": ["connect", "refills", "usable"],
    "cartback/sync": ["sync"],
    "cartback/server": expect.arrayContaining(["signShopperToken"]),
  });
  expect(seen.cart).toBeNull();
  expect(seen.warnings).toEqual([expect.stringMatching(/not in a browser/)]);
  expect(seen.token.split(".")).toHaveLength(3);
  expect(seen.version).toBe(JSON.parse(readFileSync(`${root}package.json`, "utf8")).version);
  for (const url of Object.values(seen.resolved)) expect(url).toContain(`file://${installed}/`);
});

it("ships the ES modules, their declarations and the server entry, nothing else, and no runtime dependency", () => {
  const packed = inject("packed");
  const paths = packed.files.map((f) => f.path).sort();
  expect(paths.filter((p) => !/^dist\/types\/.+\.d\.ts$/.test(p))).toEqual([
    "LICENSE",
    "README.md",
    "dist/public/cartback-checkout.mjs",
    "dist/public/cartback-connect.mjs",
    "dist/public/cartback-sync.mjs",
    "dist/public/cartback.mjs",
    "dist/server/token.mjs",
    "package.json",
  ]);
  const manifest = JSON.parse(readFileSync(`${installed}/package.json`, "utf8"));
  expect(manifest.private).toBeUndefined();
  // The ES modules bundle what they use (idb-keyval among it): an integrator installs nothing else.
  expect(manifest.dependencies ?? {}).toEqual({});
  expect(manifest.peerDependencies ?? {}).toEqual({});
});

it("weighs within its budgets: the tarball, and the code and types in it", () => {
  const packed = inject("packed");
  const code = packed.files.filter((f) => !/^(README\.md|LICENSE|package\.json)$/.test(f.path)).reduce((n, f) => n + f.size, 0);
  expect(packed.size).toBeLessThanOrEqual(TARBALL_BUDGET);
  expect(code).toBeLessThanOrEqual(CODE_BUDGET);
});
