import { describe, expect, it } from 'vitest';
import { AssertionFailure } from '../platform/assert.js';
import { PromMetricsSink } from './prom-metrics-sink.js';

describe('PromMetricsSink', () => {
  it('returns the same metric when asked twice for a name', async () => {
    const sink = new PromMetricsSink({ collectDefaultMetrics: false });
    sink.counter('strata_data_writes_total', 'Total write operations').inc();
    sink.counter('strata_data_writes_total', 'Total write operations').inc(2);
    expect(await sink.metricsText()).toMatch(/^strata_data_writes_total 3$/m);
  });

  it('supports labels on gauges, counters and histograms', async () => {
    const sink = new PromMetricsSink({ collectDefaultMetrics: false });
    sink.gauge('strata_cluster_nodes_online', 'Online nodes', ['zone']).set(2, { zone: 'a' });
    sink.counter('strata_s3_requests_total', 'S3 API requests', ['method']).inc(1, { method: 'GET' });
    const h = sink.histogram('strata_s3_request_duration_seconds', 'S3 request latency', [0.1, 1], ['method']);
    h.observe(0.05, { method: 'PUT' });
    h.observe(0.5, { method: 'PUT' });
    const text = await sink.metricsText();
    expect(text).toContain('strata_cluster_nodes_online{zone="a"} 2');
    expect(text).toContain('strata_s3_requests_total{method="GET"} 1');
    expect(text).toContain('strata_s3_request_duration_seconds_bucket{le="0.1",method="PUT"} 1');
    expect(text).toContain('strata_s3_request_duration_seconds_bucket{le="1",method="PUT"} 2');
    expect(text).toContain('strata_s3_request_duration_seconds_count{method="PUT"} 2');
  });

  it('keeps registries apart and collects process metrics by default', async () => {
    const a = new PromMetricsSink();
    const b = new PromMetricsSink();
    a.gauge('strata_raft_term', 'Current Raft term').set(4);
    expect(await a.metricsText()).toMatch(/^strata_raft_term 4$/m);
    expect(await b.metricsText()).not.toContain('strata_raft_term');
    expect(await b.metricsText()).toContain('process_resident_memory_bytes');
  });

  it('treats a kind or label clash as a bug', () => {
    const sink = new PromMetricsSink({ collectDefaultMetrics: false });
    sink.gauge('strata_raft_is_leader', 'Whether node is Raft leader');
    expect(() => sink.counter('strata_raft_is_leader', 'x')).toThrow(AssertionFailure);
    expect(() => sink.gauge('strata_raft_is_leader', 'x', ['node'])).toThrow(AssertionFailure);
  });
});
