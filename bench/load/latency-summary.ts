/**
 * Latency percentiles for benchmark reports. Nearest-rank on a sorted copy: the p-th percentile is the
 * smallest sample with at least p% of samples at or below it, so p99 of 100 samples is the 99th one.
 */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sortedMs.length);
  return sortedMs[Math.min(sortedMs.length, Math.max(1, rank)) - 1];
}

export function summarizeLatencies(samplesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  const asArray = Array.from(sorted);
  let sum = 0;
  for (const v of asArray) sum += v;
  return {
    count: asArray.length,
    p50Ms: percentile(asArray, 50),
    p99Ms: percentile(asArray, 99),
    meanMs: asArray.length === 0 ? Number.NaN : sum / asArray.length,
    maxMs: asArray.length === 0 ? Number.NaN : asArray[asArray.length - 1],
  };
}
