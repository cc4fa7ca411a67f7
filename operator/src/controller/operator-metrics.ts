/**
 * The operator's own Prometheus metrics, in the text exposition format. A tiny exporter of our own:
 * prom-client is allowed only in node/src/admin by the dependency rules, and three metrics do not need it.
 */
export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

export type ReconcileResult = 'success' | 'error' | 'requeue';

export class OperatorMetrics {
  private readonly reconciles = new Map<ReconcileResult, number>();
  private errors = 0;
  private readonly bucketCounts = DURATION_BUCKETS_SECONDS.map(() => 0);
  private durationSum = 0;
  private durationCount = 0;
  private leader = 0;

  observeReconcile(result: ReconcileResult, seconds: number): void {
    this.reconciles.set(result, (this.reconciles.get(result) ?? 0) + 1);
    if (result === 'error') this.errors++;
    DURATION_BUCKETS_SECONDS.forEach((le, i) => {
      if (seconds <= le) this.bucketCounts[i]++;
    });
    this.durationSum += seconds;
    this.durationCount++;
  }

  setLeader(leading: boolean): void {
    this.leader = leading ? 1 : 0;
  }

  render(): string {
    const lines = [
      '# HELP strata_operator_reconciles_total Reconciles of StrataClusters, by result.',
      '# TYPE strata_operator_reconciles_total counter',
    ];
    for (const result of ['success', 'error', 'requeue'] as const) lines.push(`strata_operator_reconciles_total{result="${result}"} ${this.reconciles.get(result) ?? 0}`);
    lines.push(
      '# HELP strata_operator_reconcile_errors_total Reconciles that failed and were retried with backoff.',
      '# TYPE strata_operator_reconcile_errors_total counter',
      `strata_operator_reconcile_errors_total ${this.errors}`,
      '# HELP strata_operator_reconcile_duration_seconds Time one reconcile took.',
      '# TYPE strata_operator_reconcile_duration_seconds histogram',
    );
    DURATION_BUCKETS_SECONDS.forEach((le, i) => lines.push(`strata_operator_reconcile_duration_seconds_bucket{le="${le}"} ${this.bucketCounts[i]}`));
    lines.push(
      `strata_operator_reconcile_duration_seconds_bucket{le="+Inf"} ${this.durationCount}`,
      `strata_operator_reconcile_duration_seconds_sum ${this.durationSum}`,
      `strata_operator_reconcile_duration_seconds_count ${this.durationCount}`,
      '# HELP strata_operator_leader Whether this operator process holds the leader lease.',
      '# TYPE strata_operator_leader gauge',
      `strata_operator_leader ${this.leader}`,
    );
    return `${lines.join('\n')}\n`;
  }
}
