// Import cycles among the project's own code (worker/, sdk/, protocol/, server/), at two levels:
// between modules, and between folders (the collector's worker/<feature>/, and the top folders:
// links/ using mail/ while mail/ uses links/ is a cycle even when no one module imports itself back).
// Prints each cycle and exits 1 if there is any. Run by `npm test` after the type checks.
//   node scripts/check-cycles.mjs
//
// The graph is esbuild's (its metafile), with every module but tests as an entry point, so each
// import is resolved the way the bundles and workerd see it. Type-only imports are erased before
// bundling and so are not edges: a cycle here is one the code runs through.
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const FOLDERS = ["worker", "sdk", "protocol", "server"];

/** Every module under `dir` but tests, declaration files and tool configs (vitest.config.ts). */
function modules(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : modules(path);
    return /\.tsx?$/.test(entry.name) && !/\.(test|d|config)\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Module → the project's modules it imports, from esbuild's metafile. */
export async function importGraph() {
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: FOLDERS.flatMap(modules),
    bundle: true,
    write: false,
    metafile: true,
    outdir: join(root, "dist", "cycles"),
    platform: "neutral",
    format: "esm",
    packages: "external",
    external: ["cloudflare:*", "node:*"],
    logLevel: "error",
  });
  const own = (path) => FOLDERS.some((folder) => path.startsWith(`${folder}/`));
  const graph = new Map();
  for (const [path, input] of Object.entries(metafile.inputs)) {
    if (!own(path)) continue;
    const imports = input.imports.filter((i) => !i.external && own(i.path)).map((i) => relative(root, join(root, i.path)));
    graph.set(path, [...new Set(imports)].sort());
  }
  return graph;
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function tangles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (node) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node), low.get(to)));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node), index.get(to)));
    }
    if (low.get(node) !== index.get(node)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || graph.get(node)?.includes(node)) found.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/** The folder a module counts in: the collector's features (worker/links/routes.ts → worker/links;
 * a module directly in worker/, like the entry, counts alone), else its top folder
 * (sdk/sync/entry.ts → sdk: the script's extra files share the core's helpers by design). */
const folderOf = (path) => {
  const parts = path.split("/");
  return parts.slice(0, parts[0] === "worker" ? 2 : 1).join("/");
};

/** The same graph between folders; `why` keeps, for each folder edge, one import that makes it. */
function folderGraph(graph) {
  const folders = new Map();
  const why = new Map();
  for (const [from, imports] of graph) {
    const a = folderOf(from);
    if (!folders.has(a)) folders.set(a, []);
    for (const to of imports) {
      const b = folderOf(to);
      if (a === b || why.has(`${a} ${b}`)) continue;
      folders.get(a).push(b);
      why.set(`${a} ${b}`, `${from} imports ${to}`);
    }
  }
  for (const list of folders.values()) list.sort();
  return { folders, why };
}

/** The shortest cycle through each module of a component, each cycle once (read from its first module). */
function cyclesIn(component, graph) {
  const inside = new Set(component);
  const seen = new Map();
  for (const start of component) {
    // Breadth first from `start` back to itself, inside the component.
    const from = new Map([[start, null]]);
    const queue = [start];
    let cycle;
    while (queue.length && !cycle) {
      const node = queue.shift();
      for (const to of graph.get(node) ?? []) {
        if (!inside.has(to)) continue;
        if (to === start) {
          cycle = [];
          for (let at = node; at !== null; at = from.get(at)) cycle.unshift(at);
          break;
        }
        if (!from.has(to)) {
          from.set(to, node);
          queue.push(to);
        }
      }
    }
    if (!cycle) continue;
    const first = cycle.indexOf([...cycle].sort()[0]);
    const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
    seen.set(rotated.join(" → "), rotated);
  }
  return [...seen.values()];
}

/** `{ modules, folders }`: each a list of `{ component, cycles }`, empty when there is none. */
export async function findCycles() {
  const graph = await importGraph();
  const { folders, why } = folderGraph(graph);
  const find = (g) => tangles(g).map((component) => ({ component, cycles: cyclesIn(component, g) }));
  return { modules: find(graph), folders: find(folders), why };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { modules, folders, why } = await findCycles();
  const count = (found) => found.reduce((n, f) => n + f.cycles.length, 0);
  const print = (found, what, explain) => {
    for (const { component, cycles } of found) {
      if (component.length > cycles[0].length) console.error(`  (one tangle of ${component.length} ${what}: ${component.join(", ")})`);
      for (const cycle of cycles) {
        console.error(`  ${[...cycle, cycle[0]].join(" → ")}`);
        if (!explain) continue;
        for (const [i, from] of cycle.entries()) console.error(`      ${why.get(`${from} ${cycle[(i + 1) % cycle.length]}`)}`);
      }
    }
  };
  if (count(modules)) {
    console.error(`${count(modules)} import cycle(s) between modules (each imports the next, the last the first):`);
    print(modules, "modules", false);
  }
  if (count(folders)) {
    console.error(`${count(folders)} import cycle(s) between folders, each with an import that makes every step:`);
    print(folders, "folders", true);
  }
  if (count(modules) || count(folders)) process.exit(1);
  console.log("no import cycles among worker/, sdk/, protocol/, server/ (modules or folders)");
}
