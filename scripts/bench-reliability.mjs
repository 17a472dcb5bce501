// `npm run bench:reliability`: the figures of docs/reliability.md, measured here.
//  1. Fuzzing: the property/fuzz suite against every public endpoint (worker/test/fuzz/), inside workerd:
//     requests tried, 5xx seen, rows half-written.
//  2. Load: a fixed rate of batches for a fixed time against a local collector (scripts/load.mjs):
//     sent, stored, lost, duplicated.
//  3. Browser faults in Chromium (test/browser/faults.test.ts): each scenario, passed or not.
// Options: --rate N --seconds N (load; defaults 100 and 30), --url (load an `npm start` already
// running), --write (put the section into docs/reliability.md between its reliability markers).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { runLoad } from "./load.mjs";
import { root } from "./wrangler.mjs";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "100" },
    seconds: { type: "string", default: "30" },
    url: { type: "string" },
    write: { type: "boolean", default: false },
  },
});

/** Runs one vitest project on some files with the JSON reporter; returns the parsed report. */
function vitest(config, files, name) {
  const out = `${root}test-results/reliability-${name}.json`;
  const run = spawnSync(
    `${root}node_modules/.bin/vitest`,
    ["run", "--config", config, ...files, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`],
    { cwd: root, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0" }, maxBuffer: 64 * 1024 * 1024 },
  );
  return { report: JSON.parse(readFileSync(out, "utf8")), output: `${run.stdout}\n${run.stderr}` };
}

const lines = [];
const say = (line = "") => {
  lines.push(line);
  console.log(line);
};

// 1. Fuzzing.
console.error("fuzzing every public endpoint (worker/test/fuzz/) …");
const fuzz = vitest("worker/vitest.config.ts", ["worker/test/fuzz/"], "fuzz");
// The suite prints `FUZZ-REPORT {"groups": {name: figures}, "total": figures}` once it is done.
const reported = [...fuzz.output.matchAll(/^FUZZ-REPORT (.+)$/gm)].at(-1);
if (!reported) throw new Error(`the fuzz suite printed no report:\n${fuzz.output.slice(-4000)}`);
const { groups, total } = JSON.parse(reported[1]);
say("## Fuzzing every public endpoint");
say();
say("| endpoint group | requests | 5xx | rows half-written |");
say("| --- | --- | --- | --- |");
for (const [name, row] of Object.entries(groups)) say(`| ${name} | ${row.requests} | ${row.fiveXx} | ${row.halfWritten} |`);
say(`| **all** | **${total.requests}** | **${total.fiveXx}** | **${total.halfWritten}** |`);
say();
say(
  `Suite: ${fuzz.report.numPassedTests} of ${fuzz.report.numTotalTests} properties held. Random and malformed bodies, wrong types and content types, huge strings, deep nesting, invalid UTF-8, wrong methods and credentials, replayed and out-of-order events.`,
);

// 2. Load.
const rate = Number(values.rate);
const seconds = Number(values.seconds);
console.error(`load: ${rate} batches/s for ${seconds} s against ${values.url ?? "a local collector started like npm start"} …`);
const load = await runLoad({ url: values.url, rate, seconds });
say();
say(`## Load: ${rate} batches a second for ${seconds} s, on loopback`);
say();
say("| batches sent | requests (with replays, late and retried) | events sent | stored | lost | duplicated | stale carts |");
say("| --- | --- | --- | --- | --- | --- | --- |");
say(
  `| ${load.batches} | ${load.requests} (${load.replays} replays, ${load.late} late, ${load.retries} retries) | ${load.sent} | ${load.stored} | ${load.lost} | ${load.duplicated} | ${load.staleCarts} |`,
);
say();
say(
  `Statuses: ${Object.entries(load.statuses)
    .map(([s, n]) => `${s === "0" ? "network error" : s} × ${n}`)
    .join(", ")}. ${load.shoppers} shoppers; "stale carts" counts shoppers whose stored cart is not the newest one they sent.`,
);

// 3. Browser faults.
console.error("browser faults in Chromium (test/browser/faults.test.ts) …");
const browser = vitest("test/browser/vitest.config.ts", ["test/browser/faults.test.ts"], "faults");
say();
say("## Browser faults, in Chromium");
say();
say("| scenario | every event stored exactly once, page unbroken |");
say("| --- | --- |");
for (const file of browser.report.testResults) {
  for (const test of file.assertionResults) {
    say(`| ${[...test.ancestorTitles, test.title].join(": ")} | ${test.status === "passed" ? "yes" : `**${test.status}**`} |`);
  }
}

if (values.write) {
  const page = `${root}docs/reliability.md`;
  const text = readFileSync(page, "utf8");
  const start = "<!-- reliability:start -->";
  const end = "<!-- reliability:end -->";
  if (!text.includes(start) || !text.includes(end)) throw new Error("docs/reliability.md has no reliability markers");
  const stamp = `Measured by \`npm run bench:reliability\` on ${new Date().toISOString().slice(0, 10)}.`;
  writeFileSync(
    page,
    `${text.slice(0, text.indexOf(start) + start.length)}\n${stamp}\n\n${lines.join("\n")}\n${text.slice(text.indexOf(end))}`,
  );
  console.error("docs/reliability.md updated");
}
const failed = total.fiveXx || total.halfWritten || load.lost || load.duplicated || load.staleCarts;
process.exit(failed || fuzz.report.numFailedTests || browser.report.numFailedTests ? 1 : 0);
