/**
 * Combines the rounds one system ran at one concurrency into one set of figures: the rate over the total
 * measured time, percentiles over every latency sample, and each round's own rate to show the noise.
 */
import type { HttpLoadResult } from '../load/http-load.js';
import { summarizeLatencies } from '../load/latency-summary.js';
import type { RunFigures } from './raft-report.js';

export type RoundResult = Pick<HttpLoadResult, 'durationMs' | 'ops' | 'opsPerSecond' | 'errors' | 'acknowledged' | 'latenciesMs'> & {
  /** Writes of this round read back afterwards (undefined when the read-back failed). */
  found?: number;
};

export function poolRounds(rounds: readonly RoundResult[]): RunFigures {
  if (rounds.length === 0) throw new RangeError('poolRounds needs at least one round');
  const durationMs = rounds.reduce((sum, r) => sum + r.durationMs, 0);
  const ops = rounds.reduce((sum, r) => sum + r.ops, 0);
  const latency = summarizeLatencies(rounds.flatMap((r) => r.latenciesMs));
  const found = rounds.every((r) => r.found !== undefined) ? rounds.reduce((sum, r) => sum + (r.found ?? 0), 0) : undefined;
  return {
    opsPerSecond: ops / (durationMs / 1000),
    p50Ms: latency.p50Ms,
    p99Ms: latency.p99Ms,
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    acknowledged: rounds.reduce((sum, r) => sum + r.acknowledged, 0),
    found,
    roundOpsPerSecond: rounds.map((r) => r.opsPerSecond),
  };
}
