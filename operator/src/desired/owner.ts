import type { OwnerReference } from '../kube/kube-client.js';
import { STRATA_API_VERSION, STRATA_KIND, type StrataCluster } from '../api/strata-cluster.js';
import { clusterLabels } from '../api/naming.js';

/** The controller owner reference every child carries, so deleting the cluster deletes them (the user asked). */
export function ownerReference(cluster: StrataCluster): OwnerReference {
  return {
    apiVersion: STRATA_API_VERSION,
    kind: STRATA_KIND,
    name: cluster.metadata.name,
    uid: cluster.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** metadata of a child: name, namespace, the cluster's labels and the owner reference. */
export function childMeta(cluster: StrataCluster, name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) {
  const meta: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string>; ownerReferences: OwnerReference[] } = {
    name,
    namespace: namespaceOf(cluster),
    labels: { ...clusterLabels(cluster.metadata.name), ...extra.labels },
    ownerReferences: [ownerReference(cluster)],
  };
  if (extra.annotations !== undefined && Object.keys(extra.annotations).length > 0) meta.annotations = extra.annotations;
  return meta;
}

export function namespaceOf(cluster: StrataCluster): string {
  return cluster.metadata.namespace ?? 'default';
}
