import { defineConfig } from 'vitest/config';

// Two tiers: fast unit tests beside the code, and multi-process integration tests in node/test.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // bench/ tests check the benchmark tooling (load generator, summaries), never the figures.
          include: ['node/src/**/*.test.ts', 'operator/src/**/*.test.ts', 'bench/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['node/test/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
