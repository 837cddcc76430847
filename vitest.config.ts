import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup/fast-check.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Child-process and socket tests share two cores; keep parallelism modest.
    maxWorkers: 2,
  },
});
