import { defineConfig } from "vitest/config";

// Not vite.config.ts: the Remix plugin must not run under Vitest.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Integration files start servers and databases: one at a time on a 2-core machine.
          pool: "forks",
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          // One server (production build, small data set, trained) for every browser test file.
          globalSetup: ["tests/e2e/support/server.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: "forks",
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          name: "container",
          // Images built by scripts/container/build-image.sh (and the service images): .ci/run builds
          // them first, or skips this project where podman cannot run.
          include: ["tests/container/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          pool: "forks",
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
