import { expect } from "vitest";
import { readLines } from "../../protocol/cart-changes";
import { eventually } from "../eventually";

export { eventually };

import { spawnSync } from "node:child_process";
// @ts-expect-error: a plain .mjs script, no types
import { DEMO_SITE } from "../../scripts/setup-local.mjs";

/** 8788, or BROWSER_TEST_PORT: two checkouts (worktrees) can run their browser tests side by side. */
export const PORT = Number(process.env.BROWSER_TEST_PORT) || 8788;
export const ORIGIN = `http://127.0.0.1:${PORT}`;
export const root = new URL("../../", import.meta.url).pathname;
export const STATE = `${root}.wrangler/browser-test-state`;

/** Runs SQL against the collector's local D1 (the same files `wrangler dev` uses). */
export function d1<T = Record<string, unknown>>(sql: string): T[] {
  const run = spawnSync(
    `${root}node_modules/.bin/wrangler`,
    ["d1", "execute", "DB", "--local", "--persist-to", STATE, "--json", "--command", sql],
    {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    },
  );
  if (run.status !== 0) throw new Error(`d1 query failed: ${run.stderr}\n${run.stdout}`);
  return (JSON.parse(run.stdout) as { results: T[] }[])[0]?.results ?? [];
}

/** Waits for the one email the dev outbox holds for `email`, and returns it with its restore link. */
export async function oneMailTo(email: string): Promise<{ html: string; link: string }> {
  const mail = await eventually(
    async () => {
      const mails = (await (await fetch(`${ORIGIN}/dev/outbox.json`)).json()) as { to: string; html: string }[];
      const mine = mails.filter((m) => m.to === email);
      expect(mine).toHaveLength(1);
      return mine[0] as { html: string };
    },
    150_000,
    2000,
  );
  return { html: mail.html, link: /href="(http:\/\/127\.0\.0\.1:\d+\/r\/[\w-]+)"/.exec(mail.html)?.[1] as string };
}

/** Changes the demo site's settings through the merchant API. */
export const patchDemoSite = (body: unknown): Promise<Response> =>
  fetch(`${ORIGIN}/v1/sites/${DEMO_SITE.key}/settings`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${DEMO_SITE.secret}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** Lends the demo site to a simulated shop for one test file: its origin allowed, links landing
 * on it, every abandoned cart followed up within a minute. `returnDemoSite` gives it back. */
export async function lendDemoSite(shopOrigin: string): Promise<void> {
  const res = await patchDemoSite({
    origins: [ORIGIN, `http://localhost:${PORT}`, shopOrigin],
    abandonAfterMinutes: 1,
    holdoutPercent: 0,
    maxSequencesPerDay: 10,
    restoreUrl: `${shopOrigin}/`,
    restoreUrls: {},
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** The demo site's origins and links as the other browser tests expect them. */
export const returnDemoSite = (): Promise<Response> =>
  patchDemoSite({ origins: [ORIGIN, `http://localhost:${PORT}`], restoreUrl: `${ORIGIN}/demo/` });

/** A browser's cart as the collector stored it. */
export function storedCart(aid: string): { currency: string; lines: Record<string, unknown>[] } | undefined {
  const [row] = d1<{ currency: string; lines: string }>(`SELECT currency, lines FROM carts WHERE aid = '${aid}'`);
  return row && { currency: row.currency, lines: readLines(row.lines) as unknown as Record<string, unknown>[] };
}
