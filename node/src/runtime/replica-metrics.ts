import type { Gauge, Histogram, MetricsSink } from '../platform/metrics.js';

/** Latency buckets from 0.5 ms to 10 s: Raft commits on a fast disk take about one fsync. */
const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The metrics a replica exports; names from the seed guide, new ones as strata_<subsystem>_<name>_<unit>. */
export class ReplicaMetrics {
  readonly term: Gauge;
  readonly isLeader: Gauge;
  readonly nodesTotal: Gauge;
  readonly nodesOnline: Gauge;
  readonly proposalSeconds: Histogram;
  readonly persistSeconds: Histogram;
  private readonly operationSeconds: Histogram;

  constructor(sink: MetricsSink) {
    this.term = sink.gauge('strata_raft_term', 'Current Raft term');
    this.isLeader = sink.gauge('strata_raft_is_leader', 'Whether node is Raft leader');
    this.nodesTotal = sink.gauge('strata_cluster_nodes_total', 'Total nodes in cluster');
    this.nodesOnline = sink.gauge('strata_cluster_nodes_online', 'Online nodes: members this node heard from within an election timeout, itself included (the leader sees every live member)');
    this.proposalSeconds = sink.histogram('strata_raft_proposal_duration_seconds', 'Time from proposing an entry on this node to applying it here', LATENCY_BUCKETS_S);
    this.persistSeconds = sink.histogram('strata_raft_log_persist_duration_seconds', 'Time to persist one Raft Ready (entries, hard state, snapshot) including fsync', LATENCY_BUCKETS_S);
    this.operationSeconds = sink.histogram('strata_metadata_operation_duration_seconds', 'Metadata operation latency by kind (propose, read)', LATENCY_BUCKETS_S, ['operation']);
  }

  observeOperation(operation: 'propose' | 'read', tookMs: number): void {
    this.operationSeconds.observe(tookMs / 1000, { operation });
  }
}
