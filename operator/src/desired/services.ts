import type { StrataCluster } from '../api/strata-cluster.js';
import type { ResolvedStrataClusterSpec } from '../api/defaults.js';
import { ADMIN_PORT, CLUSTER_PORT, headlessServiceName, s3ServiceName, selectorLabels } from '../api/naming.js';
import type { KubeObject } from '../kube/kube-client.js';
import { childMeta } from './owner.js';

/**
 * `<name>-nodes`: gives each pod its stable DNS name. Not-ready pods are published too, because a node
 * must be reachable by its peers (to join, to elect) before it can become ready.
 */
export function buildHeadlessService(cluster: StrataCluster): KubeObject {
  const name = cluster.metadata.name;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(cluster, headlessServiceName(name)),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: selectorLabels(name),
      ports: [
        { name: 'cluster', port: CLUSTER_PORT, targetPort: CLUSTER_PORT, protocol: 'TCP' },
        { name: 'admin', port: ADMIN_PORT, targetPort: ADMIN_PORT, protocol: 'TCP' },
      ],
    },
  };
}

/** `<name>-s3`: the S3 endpoint clients use; only ready pods serve it. */
export function buildS3Service(cluster: StrataCluster, spec: ResolvedStrataClusterSpec): KubeObject {
  const name = cluster.metadata.name;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(cluster, s3ServiceName(name)),
    spec: {
      type: spec.s3.serviceType,
      selector: selectorLabels(name),
      ports: [{ name: 's3', port: spec.s3.port, targetPort: spec.s3.port, protocol: 'TCP' }],
    },
  };
}
