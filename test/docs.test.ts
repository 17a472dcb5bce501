// @vitest-environment node
// The README is the front door and docs/ the rooms: every link between them leads somewhere, every
// anchor is a heading GitHub renders, every `npm run` is a script, and each doc is one click from
// the README and back.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types
import { LOCAL_PAGES } from "../scripts/local-pages.mjs";
import { anchorsOf, checkMarkdown, linkedFrom, linksOf, npmRunsOf, slugOf } from "./markdown";

const root = fileURLToPath(new URL("..", import.meta.url));
const docs = readdirSync(`${root}docs`)
  .filter((name) => name.endsWith(".md"))
  .map((name) => `docs/${name}`);
const pages = ["README.md", ...docs];

describe("the README and docs/", () => {
  it("have no link, anchor or npm run that leads nowhere", () => {
    expect(checkMarkdown(root, pages)).toEqual([]);
  });

  it("README.md links every doc", () => {
    expect(linkedFrom(root, "README.md", docs)).toEqual(docs);
  });

  it.each(docs)("%s links back to README.md", (doc) => {
    expect(linkedFrom(root, doc, ["README.md"])).toEqual(["README.md"]);
  });

  it("README.md's quick start lists every page `npm start` serves, the dashboard included", () => {
    const readme = readFileSync(`${root}README.md`, "utf8");
    const quickStart = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("\n## ", readme.indexOf("## Quick start")));
    for (const [, path] of LOCAL_PAGES as [string, string][]) expect(quickStart).toContain(`http://127.0.0.1:8787${path}`);
  });

  it("every example shop the build serves is a page `npm start` lists", () => {
    const build = readFileSync(`${root}scripts/build.mjs`, "utf8");
    const served = [...build.matchAll(/cpSync\(`\$\{root\}examples\/[^`]+`,\s*`\$\{out\}\/public(\/[^/`]+)/g)].map((m) => `${m[1]}/`);
    expect(served).toEqual(["/demo/", "/hand-built/", "/memory-cart/", "/module-shop/"]);
    expect((LOCAL_PAGES as [string, string][]).map(([, path]) => path)).toEqual(expect.arrayContaining(served));
  });

  it("README.md stays a front door (at most ~400 lines)", () => {
    expect(readFileSync(`${root}README.md`, "utf8").split("\n").length).toBeLessThanOrEqual(420);
  });
});

describe("reading Markdown as GitHub does", () => {
  it("makes heading ids: lower case, punctuation gone, spaces as hyphens, repeats numbered", () => {
    expect(slugOf("`POST /v1/events?site=SITE_KEY`")).toBe("post-v1eventssitesite_key");
    expect(slugOf("Shops on a platform: Shopify, WooCommerce, GA4")).toBe("shops-on-a-platform-shopify-woocommerce-ga4");
    expect(slugOf("Load: 100 batches a second for 30 s, on loopback")).toBe("load-100-batches-a-second-for-30-s-on-loopback");
    expect(slugOf("The **merchant's** _own_ [copy](x.md)")).toBe("the-merchants-own-copy");
    expect(slugOf("Mail and SMS: `MAIL_FROM`, `fromName`")).toBe("mail-and-sms-mail_from-fromname");
    expect([...anchorsOf("# A\n## A\n### A\n```sh\n# not a heading\n```\n")]).toEqual(["a", "a-1", "a-2"]);
  });

  it("finds links outside code only, and every npm run, code included", () => {
    const md = "See [a](docs/a.md#x) and `[b](nowhere.md)`.\n```sh\nnpm run build # [c](gone.md)\n```\n<!-- [d](gone.md) -->\n[e]: ../e.md";
    expect(linksOf(md)).toEqual([
      { target: "docs/a.md#x", line: 1 },
      { target: "../e.md", line: 6 },
    ]);
    expect(npmRunsOf("`npm run\nbench:reliability` and npm run size -- --write")).toEqual([
      { name: "bench:reliability", line: 1 },
      { name: "size", line: 2 },
    ]);
  });
});
