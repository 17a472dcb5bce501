import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Collector tests run inside workerd with the real bindings of wrangler.toml: D1 (migrated
// from migrations/ before each file), the ingest queue and its consumer.
export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: `${import.meta.dirname}/../wrangler.toml` },
      miniflare: { bindings: { TEST_MIGRATIONS: await readD1Migrations(`${import.meta.dirname}/../migrations`) } },
    })),
  ],
  test: {
    name: "collector",
    include: ["worker/**/*.test.ts"],
    setupFiles: ["worker/test/setup.ts"],
  },
});
