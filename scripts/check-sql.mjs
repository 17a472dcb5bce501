// SQL lives in worker/db/ only: lists every other collector module (tests and worker/test/ aside)
// that hands SQL to `.prepare(`, `.exec(` or `.batch(`, or keeps an SQL statement in a string, and
// exits 1 if there is any. Run by `npm test` after the type checks.
//   node scripts/check-sql.mjs
//
// Read with TypeScript's parser (no new dependency): string and template literals only, so a
// comment or an identifier that says "select" is not SQL.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const root = new URL("..", import.meta.url).pathname;
const KEYWORD = /\b(SELECT|INSERT|UPDATE|DELETE|CREATE)\b/i;
/** A string that is a statement by itself, wherever it is (a constant later passed to prepare). */
const STATEMENT =
  /^\s*(SELECT\s[\s\S]*\sFROM\s|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\S+\s+SET\s|DELETE\s+FROM\s|CREATE\s+(TABLE|INDEX|UNIQUE|VIEW|TRIGGER)\s|WITH\s+\w+\s+AS\s*\()/;
const CALLS = new Set(["prepare", "exec", "batch"]);

/** The collector's modules that may not hold SQL. */
function checked(dir = "worker") {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === "worker/db" || path === "worker/test" ? [] : checked(path);
    return /\.tsx?$/.test(entry.name) && !/\.(test|d)\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** The text of a string or template literal (a template's parts joined, its `${…}` as `?`). */
function literalText(node) {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((span) => `?${span.literal.text}`).join("");
  return undefined;
}

/** `{ path, line, sql }` for each literal that is SQL in `path`. */
export function sqlIn(path) {
  const source = ts.createSourceFile(path, readFileSync(join(root, path), "utf8"), ts.ScriptTarget.Latest, true);
  const found = new Map();
  const add = (node, text) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.set(node.getStart(source), { path, line, sql: text.replace(/\s+/g, " ").trim().slice(0, 80) });
  };
  /** Every literal under `node` with a keyword in it: the SQL handed to a call. */
  const literalsUnder = (node) => {
    const text = literalText(node);
    if (text !== undefined && KEYWORD.test(text)) add(node, text);
    ts.forEachChild(node, literalsUnder);
  };
  const visit = (node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && CALLS.has(node.expression.name.text)) {
      for (const arg of node.arguments) literalsUnder(arg);
    }
    const text = literalText(node);
    if (text !== undefined && STATEMENT.test(text)) add(node, text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...found.values()];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const found = checked().sort().flatMap(sqlIn);
  if (!found.length) {
    console.log("no SQL in worker/ outside worker/db/");
    process.exit(0);
  }
  const files = new Set(found.map((f) => f.path));
  console.error(`SQL outside worker/db/ (${found.length} in ${files.size} file${files.size === 1 ? "" : "s"}): move it into worker/db/`);
  for (const { path, line, sql } of found) console.error(`  ${path}:${line}  ${sql}`);
  process.exit(1);
}
