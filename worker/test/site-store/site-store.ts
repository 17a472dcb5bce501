// A per-site SQLite Durable Object prototype (docs/capacity.md, option a), used only by
// `npm run bench:sites`: one object per site holds its events and its rollups; a visit is stored
// as the ingest consumer stores it in D1 (its events, then the day's rollup rows added to), a
// stats read is the rollups of 90 days. What it shows is isolation: a site's reads wait only for
// its own writes. Not part of the collector (its own test-only wrangler.toml).
import { DurableObject } from "cloudflare:workers";

interface Env {
  SITE_STORE: DurableObjectNamespace<SiteStore>;
}

const DAY = 86_400_000;

export class SiteStore extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, aid TEXT NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS events_shopper ON events(aid, at);
      CREATE TABLE IF NOT EXISTS rollups (day INTEGER NOT NULL, kind TEXT NOT NULL, dim TEXT NOT NULL, n INTEGER NOT NULL, v INTEGER NOT NULL, PRIMARY KEY (day, kind, dim)) WITHOUT ROWID;`);
  }

  /** Bench carts `from`..`from + count`: 1 to 4 events each, spread over 90 days from `start`. */
  seed(from: number, count: number, start: number): number {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      for (let i = from; i < from + count; i++) {
        const t = start + ((i * 77_777_777) % (90 * DAY));
        const aid = `bench-${i}`;
        const types = ["cart", ...(i % 2 === 0 ? ["checkout"] : []), ...(i % 3 === 0 ? ["moment"] : [])];
        for (const [k, type] of types.entries()) {
          sql.exec(
            "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?)",
            `${aid}-${k}`,
            aid,
            type,
            t + k,
            JSON.stringify({ type, cart: { currency: "EUR", lines: [{ id: `p${i % 50}`, price: 1000, quantity: 1 }] } }),
          );
          sql.exec(
            "INSERT INTO rollups VALUES (?, 'stage', ?, 1, 0) ON CONFLICT (day, kind, dim) DO UPDATE SET n = n + 1",
            Math.floor((t + k) / DAY),
            JSON.stringify([type]),
          );
        }
      }
    });
    return count;
  }

  /** The rollup rows of days [fromDay, toDay). */
  stats(fromDay: number, toDay: number) {
    return this.ctx.storage.sql.exec("SELECT day, kind, dim, n, v FROM rollups WHERE day >= ? AND day < ?", fromDay, toDay).toArray();
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return Response.json({ ok: true });
    const site = url.searchParams.get("site") ?? "";
    const store = env.SITE_STORE.get(env.SITE_STORE.idFromName(site));
    const n = (name: string) => Number(url.searchParams.get(name));
    if (url.pathname === "/seed" && request.method === "POST")
      return Response.json({ seeded: await store.seed(n("from"), n("count"), n("start")) });
    if (url.pathname === "/stats") {
      const today = Math.floor(Date.now() / DAY);
      return Response.json({ rows: await store.stats(today - 89, today + 1) });
    }
    return new Response("not found", { status: 404 });
  },
};
