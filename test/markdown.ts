// What the docs test reads out of Markdown: the anchors GitHub gives headings, the relative links, and
// the `npm run` commands named. Small on purpose: the README and docs/ use ATX headings, inline links
// and fenced code only.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/** A link or command in a Markdown file that does not lead anywhere. */
export type Problem = { file: string; line: number; message: string };

/**
 * The id GitHub gives a heading: lower-cased, punctuation and symbols dropped (letters, digits,
 * `_` and `-` stay), each space a hyphen.
 * @example slugOf("`POST /v1/events?site=SITE_KEY`") // "post-v1eventssitesite_key"
 */
export function slugOf(heading: string): string {
  return headingText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** A heading's text as GitHub renders it: code spans and links reduced to their text, emphasis and tags gone. */
function headingText(heading: string): string {
  return heading
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith("`") ? part.slice(1, -1) : plainText(part)))
    .join("")
    .trim();
}

/** Markdown outside code spans as rendered text: links become their text; `*` and emphasising `_` go. */
function plainText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/\*+/g, "")
    .replace(/(?<![\p{L}\p{N}])_+|_+(?![\p{L}\p{N}])/gu, "");
}

/**
 * Blanks what does not render as prose, keeping every line where it was (so line numbers stay
 * true): HTML comments always, fenced code blocks unless `fences`, inline code spans unless `spans`.
 * @example proseOf("a `[x](y)` b", { fences: false, spans: false }) // "a          b"
 */
export function proseOf(markdown: string, keep: { fences: boolean; spans: boolean }): string {
  const blank = (s: string) => s.replace(/[^\n]/g, " ");
  let text = markdown.replace(/<!--[\s\S]*?-->/g, blank);
  if (!keep.fences) text = text.replace(/^[ \t]*(```|~~~)[^\n]*\n[\s\S]*?^[ \t]*\1[^\n]*$/gm, blank);
  return keep.spans ? text : text.replace(/(`+)[^`\n]+?\1/g, blank);
}

/**
 * Every anchor a Markdown file offers: its headings' ids as GitHub makes them (a repeated one gets
 * -1, -2, …) and any `id`/`name` attribute of its HTML.
 * @example anchorsOf("# A\n## A") // Set { "a", "a-1" }
 */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const prose = proseOf(markdown, { fences: false, spans: true });
  for (const [, heading = ""] of prose.matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$/gm)) {
    const slug = slugOf(heading);
    let id = slug;
    for (let n = 1; anchors.has(id); n++) id = `${slug}-${n}`;
    anchors.add(id);
  }
  for (const [, id = ""] of prose.matchAll(/<[a-z]+[^>]*\s(?:id|name)="([^"]+)"/gi)) anchors.add(id);
  return anchors;
}

/**
 * The link targets of a Markdown file outside code: inline links and images, and reference
 * definitions, each with its line.
 * @example linksOf("see [x](docs/a.md#b)") // [{ target: "docs/a.md#b", line: 1 }]
 */
export function linksOf(markdown: string): { target: string; line: number }[] {
  const prose = proseOf(markdown, { fences: false, spans: false });
  const found: { target: string; index: number }[] = [];
  for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) found.push({ target: m[1] ?? "", index: m.index });
  for (const m of prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) found.push({ target: m[1] ?? "", index: m.index });
  return found.map(({ target, index }) => ({ target, line: lineAt(prose, index) }));
}

/**
 * The script names in every `npm run NAME` of a Markdown file, code included (commands are
 * mostly in code), with their lines.
 * npm's own flags before the name (`npm run -s NAME`) are skipped.
 * @example npmRunsOf("`npm run bench:sync -- --json`") // [{ name: "bench:sync", line: 1 }]
 */
export function npmRunsOf(markdown: string): { name: string; line: number }[] {
  const text = proseOf(markdown, { fences: true, spans: true });
  return [...text.matchAll(/\bnpm\s+run\s+(?:-{1,2}[\w-]+\s+)*([\w:.-]+)/g)].map((m) => ({
    name: m[1] ?? "",
    line: lineAt(text, m.index),
  }));
}

const lineAt = (text: string, index: number) => text.slice(0, index).split("\n").length;

const isExternal = (target: string) => /^([a-z][a-z0-9+.-]*:|\/\/)/i.test(target);

/**
 * What does not resolve in some Markdown files of a repository: a relative link to a path that
 * does not exist, an `#anchor` its Markdown file does not have, an `npm run` of a script
 * package.json does not define.
 * @example checkMarkdown("/repo", ["README.md", "docs/stats.md"]) // [] when every link leads somewhere
 */
export function checkMarkdown(root: string, files: string[]): Problem[] {
  const scripts = Object.keys(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts ?? {});
  const anchorCache = new Map<string, Set<string>>();
  const anchorsIn = (path: string) => {
    const anchors = anchorCache.get(path) ?? anchorsOf(readFileSync(path, "utf8"));
    anchorCache.set(path, anchors);
    return anchors;
  };
  const problems: Problem[] = [];
  for (const file of files) {
    const path = join(root, file);
    const markdown = readFileSync(path, "utf8");
    for (const { target, line } of linksOf(markdown)) {
      if (isExternal(target)) continue;
      const [pathPart = "", anchor] = target.split("#", 2);
      const to = pathPart === "" ? path : pathPart.startsWith("/") ? join(root, pathPart) : join(dirname(path), decodeURI(pathPart));
      if (!existsSync(to)) problems.push({ file, line, message: `${target}: no such file (${relative(root, to)})` });
      else if (anchor !== undefined && to.endsWith(".md") && statSync(to).isFile() && !anchorsIn(to).has(decodeURIComponent(anchor)))
        problems.push({ file, line, message: `${target}: ${relative(root, to)} has no heading #${anchor}` });
    }
    for (const { name, line } of npmRunsOf(markdown)) {
      if (!scripts.includes(name)) problems.push({ file, line, message: `npm run ${name}: no such script in package.json` });
    }
  }
  return problems;
}

/**
 * Which files among `candidates` a Markdown file links to (relative links, resolved from its folder).
 * @example linkedFrom("/repo", "README.md", ["docs/stats.md"]) // ["docs/stats.md"] when README links it
 */
export function linkedFrom(root: string, file: string, candidates: string[]): string[] {
  const from = dirname(join(root, file));
  const targets = new Set(
    linksOf(readFileSync(join(root, file), "utf8"))
      .filter(({ target }) => !isExternal(target) && !target.startsWith("#"))
      .map(({ target }) => relative(root, join(from, decodeURI(target.split("#")[0] ?? "")))),
  );
  return candidates.filter((candidate) => targets.has(candidate));
}
