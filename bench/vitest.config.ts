import { defineConfig } from 'vitest/config';

// Tests of the benchmark tooling itself (load generator, summaries). Not part of the unit tier on purpose:
// run with `npx vitest run --config bench/vitest.config.ts`. The benchmarks themselves are never tests.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['bench/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
