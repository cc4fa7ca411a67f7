import type { StrataCluster } from '../api/strata-cluster.js';
import { clusterLabels, headlessServiceName } from '../api/naming.js';
import type { KubeObject } from '../kube/kube-client.js';
import { childMeta, namespaceOf } from './owner.js';

export const MONITORING_API_VERSION = 'monitoring.coreos.com/v1';

/** Scrapes every node's /metrics on the admin port through the headless Service. */
export function buildServiceMonitor(cluster: StrataCluster): KubeObject {
  const name = cluster.metadata.name;
  return {
    apiVersion: MONITORING_API_VERSION,
    kind: 'ServiceMonitor',
    metadata: childMeta(cluster, name),
    spec: {
      selector: { matchLabels: clusterLabels(name) },
      namespaceSelector: { matchNames: [namespaceOf(cluster)] },
      endpoints: [{ port: 'admin', path: '/metrics', interval: '30s' }],
    },
  };
}

/** The operator's guide's alerts, scoped to this cluster's scrape job (the headless Service's name). */
export function buildPrometheusRule(cluster: StrataCluster): KubeObject {
  const name = cluster.metadata.name;
  const sel = `job="${headlessServiceName(name)}",namespace="${namespaceOf(cluster)}"`;
  const rule = (alert: string, expr: string, forDuration: string, severity: string, summary: string) => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: { summary },
  });
  return {
    apiVersion: MONITORING_API_VERSION,
    kind: 'PrometheusRule',
    metadata: childMeta(cluster, name),
    spec: {
      groups: [
        {
          name: `strata-${name}`,
          rules: [
            rule('StrataNodeDown', `up{${sel}} == 0`, '1m', 'critical', 'Strata node {{ $labels.instance }} is down'),
            rule('StrataNoLeader', `sum(strata_raft_is_leader{${sel}}) == 0`, '30s', 'critical', 'Strata cluster has no Raft leader'),
            rule(
              'StrataStorageHigh',
              `strata_chunk_storage_bytes{${sel}} / (strata_chunk_storage_bytes{${sel}} + strata_chunk_storage_available_bytes{${sel}}) > 0.85`,
              '5m',
              'warning',
              'Strata storage utilization above 85% on {{ $labels.instance }}',
            ),
            rule(
              'StrataHighLatency',
              `histogram_quantile(0.99, rate(strata_s3_request_duration_seconds_bucket{${sel}}[5m])) > 1`,
              '5m',
              'warning',
              'Strata P99 latency above 1s',
            ),
            rule('StrataRecoveryInProgress', `strata_recovery_operations_in_progress{${sel}} > 0`, '10m', 'info', 'Strata data recovery in progress'),
          ],
        },
      ],
    },
  };
}
