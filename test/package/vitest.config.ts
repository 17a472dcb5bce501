import { defineConfig } from "vitest/config";

// The package as an integrator gets it: `npm pack`, installed from the tarball into a scratch
// project (global-setup.ts), then type-checked under each resolver, run in Node and in happy-dom.
export default defineConfig({
  test: {
    name: "package",
    include: ["test/package/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/package/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
