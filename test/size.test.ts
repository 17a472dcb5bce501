// @vitest-environment node
// The script's size is a hard limit, and the README's figures must be the measured ones.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
// @ts-expect-error: a plain .mjs build script, no types
import { BUDGETS, measure, readmeTable, sizeTable, tableCells } from "../scripts/size.mjs";

type Size = { name: "tag" | "esm"; gzip: number; budget: number };
const sizes: Size[] = await measure();

it.each(sizes.map((s) => [s.name, s] as const))("%s stays within its min+gzip budget", (_name, size) => {
  expect(size.gzip).toBeLessThanOrEqual(BUDGETS[size.name]);
});

it("README.md states the measured sizes (run `npm run size -- --write` after a change)", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const table = readmeTable(readme);
  expect(table, "README.md has no size section").toBeDefined();
  expect(tableCells(table)).toEqual(tableCells(sizeTable(sizes)));
});
