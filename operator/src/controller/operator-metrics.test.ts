import { describe, expect, it } from 'vitest';
import { OperatorMetrics } from './operator-metrics.js';

describe('OperatorMetrics', () => {
  it('counts reconciles by result, errors, and a cumulative duration histogram', () => {
    const m = new OperatorMetrics();
    m.observeReconcile('success', 0.02);
    m.observeReconcile('success', 0.3);
    m.observeReconcile('error', 12);
    m.setLeader(true);
    const text = m.render();
    expect(text).toContain('strata_operator_reconciles_total{result="success"} 2\n');
    expect(text).toContain('strata_operator_reconciles_total{result="error"} 1\n');
    expect(text).toContain('strata_operator_reconcile_errors_total 1\n');
    expect(text).toContain('strata_operator_reconcile_duration_seconds_bucket{le="0.025"} 1\n');
    expect(text).toContain('strata_operator_reconcile_duration_seconds_bucket{le="0.5"} 2\n');
    expect(text).toContain('strata_operator_reconcile_duration_seconds_bucket{le="10"} 2\n');
    expect(text).toContain('strata_operator_reconcile_duration_seconds_bucket{le="+Inf"} 3\n');
    expect(text).toContain('strata_operator_reconcile_duration_seconds_count 3\n');
    expect(text).toContain('strata_operator_leader 1\n');
    expect(text).toMatch(/strata_operator_reconcile_duration_seconds_sum 12\.32\d*\n/);
  });
});
