import { Hono } from "hono";
import { jsonError } from "./http/errors";
import type { IngestMessage } from "./ingest/message";
import { ingest } from "./ingest/route";
import { storeBatches } from "./ingest/store";
import { purgeExpiredCarts } from "./retention/purge";

export const app = new Hono<{ Bindings: Env }>().get("/health", (c) => c.json({ ok: true })).route("/v1/events", ingest);

app.notFound((c) => jsonError(c, 404, "not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
app.onError((err, c) => {
  console.error(err);
  return jsonError(c, 500, "internal_error", "the collector failed on this request");
});

export default {
  fetch: app.fetch,
  queue: storeBatches,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(purgeExpiredCarts(env.DB, Date.now()));
  },
} satisfies ExportedHandler<Env, IngestMessage>;
