import { defineConfig } from "vitest/config";

// The browser script's unit tests: happy-dom for the DOM, fake-indexeddb for IndexedDB.
export default defineConfig({
  test: {
    name: "unit",
    include: ["sdk/**/*.test.ts", "protocol/**/*.test.ts", "test/*.test.ts"],
    environment: "happy-dom",
    setupFiles: ["test/unit-setup.ts"],
  },
});
