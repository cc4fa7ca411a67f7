import { defineConfig } from 'vitest/config';
import { ScenariosFirstSequencer } from './e2e/harness/scenarios-first-sequencer.js';

// Three tiers: fast unit tests beside the code, multi-process integration tests in node/test, and
// tests against a real Kubernetes control plane in e2e/.
export default defineConfig({
  test: {
    sequence: { sequencer: ScenariosFirstSequencer },
    projects: [
      {
        test: {
          name: 'unit',
          // bench/ tests check the benchmark tooling (load generator, summaries), never the figures.
          include: ['node/src/**/*.test.ts', 'operator/src/**/*.test.ts', 'bench/**/*.test.ts', 'crds/**/*.test.ts', 'charts/**/*.test.ts'],
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
      {
        test: {
          // Against a real Kubernetes control plane that e2e/ builds and starts (make e2e).
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          // Two files at a time: each starts its own control plane on its own ports (and the scenarios their own
          // pod and Service ranges). Against an external cluster (STRATA_E2E_KUBECONFIG) they would share one
          // helm release: one at a time.
          fileParallelism: !process.env.STRATA_E2E_KUBECONFIG,
          maxWorkers: 2,
        },
      },
    ],
  },
});
