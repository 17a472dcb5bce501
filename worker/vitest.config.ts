import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Collector tests run inside workerd with the real bindings of wrangler.toml: D1 (migrated
// from migrations/ before each file), the ingest queue and its consumer.
export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: `${import.meta.dirname}/../wrangler.toml` },
      miniflare: {
        bindings: { TEST_MIGRATIONS: await readD1Migrations(`${import.meta.dirname}/../migrations`) },
        // Limits a test can reach in a second (deployed: 10,000 per 10 s per site, 120 a minute per address).
        ratelimits: {
          INGEST_PER_SITE: { simple: { limit: 100, period: 60 } },
          INGEST_PER_IP: { simple: { limit: 40, period: 60 } },
        },
        // Ingest is consumed as in production. Mail and webhooks wait (60 s batches) so that tests
        // can deliver them by hand, at the moment a race needs, with createMessageBatch.
        queueConsumers: {
          "cartback-ingest": { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 10, deadLetterQueue: "cartback-ingest-dlq" },
          "cartback-mail": { maxBatchSize: 100, maxBatchTimeout: 60, maxRetries: 5, deadLetterQueue: "cartback-mail-dlq" },
          "cartback-mail-dlq": { maxBatchSize: 100, maxBatchTimeout: 60 },
          "cartback-webhooks": { maxBatchSize: 100, maxBatchTimeout: 60, maxRetries: 8 },
        },
      },
    })),
  ],
  test: {
    name: "collector",
    include: ["worker/**/*.test.ts"],
    setupFiles: ["worker/test/setup.ts"],
    // Tests wait on real queues and alarms; on a busy 2-core machine that can take seconds.
    testTimeout: 30_000,
  },
});
