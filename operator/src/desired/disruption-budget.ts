import type { StrataCluster } from '../api/strata-cluster.js';
import type { ResolvedStrataClusterSpec } from '../api/defaults.js';
import { podDisruptionBudgetName, selectorLabels } from '../api/naming.js';
import type { KubeObject } from '../kube/kube-client.js';
import { childMeta } from './owner.js';

/** The nodes' default `[metadata] voters` (node/src/config); the spec may override it. */
export const DEFAULT_VOTERS = 5;

/**
 * How many pods may be down at once without losing the Raft quorum or any erasure stripe: a Raft group
 * of v voters survives floor((v-1)/2) losses, a stripe survives `parityShards`. The smaller wins; a
 * cluster that survives no loss gets 0 (voluntary evictions wait; the operator's own restarts are not
 * evictions).
 */
export function maxUnavailable(spec: ResolvedStrataClusterSpec): number {
  const voters = Math.min(spec.nodes, spec.config.metadata?.voters ?? DEFAULT_VOTERS);
  const raftTolerance = Math.floor((voters - 1) / 2);
  return Math.max(0, Math.min(raftTolerance, spec.erasure.parityShards));
}

export function buildPodDisruptionBudget(cluster: StrataCluster, spec: ResolvedStrataClusterSpec): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMeta(cluster, podDisruptionBudgetName(cluster.metadata.name)),
    spec: { maxUnavailable: maxUnavailable(spec), selector: { matchLabels: selectorLabels(cluster.metadata.name) } },
  };
}
