import { defineConfig } from "vitest/config";

// Real Chromium against a real `wrangler dev` (started once by global-setup.ts on port 8788 or BROWSER_TEST_PORT,
// with its own local state), for what only a browser can prove.
export default defineConfig({
  test: {
    name: "browser",
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/browser/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One Chromium at a time: the machine has two cores, and wrangler dev needs one.
    fileParallelism: false,
  },
});
