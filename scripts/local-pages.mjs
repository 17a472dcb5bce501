// What `npm start` serves to a person: printed when it starts, and listed in the README's quick
// start (test/docs.test.ts checks that every one is there, and that every example the build
// copies is one of them).

/**
 * The local collector's pages, each `[label, path, note]`.
 * @example LOCAL_PAGES.find(([label]) => label === "Dashboard") // ["Dashboard", "/dashboard", "sign in: …"]
 */
export const LOCAL_PAGES = [
  ["Demo shop", "/demo/", ""],
  ["Hand-built shop", "/hand-built/", "its own cart, connected"],
  ["In-memory shop", "/memory-cart/", "its cart in page memory"],
  ["ES-module shop", "/module-shop/", "bundled from the npm package, synced"],
  ["Dashboard", "/dashboard", "sign in: pk_demo_local, sk_demo_local_only_not_secret"],
  ["Dev outbox", "/dev/outbox", "the emails and texts it would send"],
  ["Script", "/cartback.js", ""],
  ["Health", "/health", ""],
];

/**
 * The lines `npm start` prints: every page of a collector on `port`.
 * @example localPageLines(8787)[1] // "  Demo shop           http://127.0.0.1:8787/demo/"
 */
export function localPageLines(port) {
  const origin = `http://127.0.0.1:${port}`;
  return [
    `  ${"Cartback collector".padEnd(19)} ${origin}`,
    ...LOCAL_PAGES.map(([label, path, note]) => `  ${label.padEnd(19)} ${origin}${path}${note ? `  (${note})` : ""}`),
  ];
}
