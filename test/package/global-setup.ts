// Packs (and so builds) and installs the package once for the package tests: the tarball (`npm pack`), and a
// scratch project in a temp dir with it installed from that file, offline (the package has no
// runtime dependencies), and the integrator's files from ./scratch copied in.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { TestProject } from "vitest/node";

const root = new URL("../../", import.meta.url).pathname;

declare module "vitest" {
  export interface ProvidedContext {
    /** The scratch project, with the tarball installed in its node_modules. */
    scratch: string;
    /** The packed tarball. */
    tarball: string;
    /** `npm pack --json`'s report of it: its size and files. */
    packed: { size: number; unpackedSize: number; files: { path: string; size: number }[] };
  }
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(`${tmpdir()}/cartback-package-`);
  // `prepack` builds it first, as on `npm publish`.
  const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir], root));
  const tarball = `${dir}/${packed.filename}`;
  const scratch = `${dir}/shop`;
  cpSync(`${root}test/package/scratch`, scratch, { recursive: true });
  writeFileSync(`${scratch}/package.json`, JSON.stringify({ name: "scratch-shop", private: true, type: "module" }));
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], scratch);
  project.provide("scratch", scratch);
  project.provide("tarball", tarball);
  project.provide("packed", packed);
  return () => rmSync(dir, { recursive: true, force: true });
}
