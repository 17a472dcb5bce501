// `npm test`: lint and format check, type-check (and the bindings' generated types are current),
// the code's shape (no import cycles, SQL in worker/db/ only), then every test suite — unit
// (happy-dom), collector (inside workerd), browser (real Chromium against wrangler dev), package
// (the tarball as an integrator installs it). Stops at
// the first failing step and ends with one summary line.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const bin = (name) => `${root}node_modules/.bin/${name}`;
const suites = [
  ["unit", "test/unit.config.ts"],
  ["collector", "worker/vitest.config.ts"],
  ["browser", "test/browser/vitest.config.ts"],
  // The packed tarball installed into a scratch project: types under every resolver, Node, happy-dom, size.
  ["package", "test/package/vitest.config.ts"],
];
const only = process.argv.slice(2);

function run(title, command, args) {
  console.log(`\n▶ ${title}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  return result.status === 0;
}

let passed = 0;
let failed = 0;
let ok =
  only.length > 0 ||
  (run("lint (biome)", bin("biome"), ["check", "."]) &&
    run("types (tsc)", bin("tsc"), ["-p", "."]) &&
    run("types (tsc, worker)", bin("tsc"), ["-p", "worker"]) &&
    run("bindings' types current (wrangler types)", process.execPath, ["scripts/types.mjs", "--check"]));
if (ok && !only.length) {
  // The shape of the code: both run, so one failing still shows what the other finds.
  const acyclic = run("import cycles", process.execPath, ["scripts/check-cycles.mjs"]);
  const sqlInDb = run("SQL only in worker/db/", process.execPath, ["scripts/check-sql.mjs"]);
  ok = acyclic && sqlInDb;
}
mkdirSync(`${root}test-results`, { recursive: true });
for (const [name, config] of suites) {
  if (!ok) break;
  if (only.length && !only.includes(name)) continue;
  const report = `${root}test-results/${name}.json`;
  ok = run(`${name} tests`, bin("vitest"), ["run", "-c", config, "--reporter=default", "--reporter=json", `--outputFile=${report}`]);
  if (existsSync(report)) {
    const { numPassedTests, numFailedTests } = JSON.parse(readFileSync(report, "utf8"));
    passed += numPassedTests;
    failed += numFailedTests;
  }
}
console.log(`\nTests: ${passed} passed, ${failed} failed`);
process.exit(ok && failed === 0 ? 0 : 1);
