import type { V1StatefulSet } from '@kubernetes/client-node';
import type { StrataCluster } from '../api/strata-cluster.js';
import type { ResolvedStrataClusterSpec } from '../api/defaults.js';
import { ADMIN_PORT, CLUSTER_PORT, CONFIG_KEY, configMapName, headlessServiceName, podHost, selectorLabels, statefulSetName } from '../api/naming.js';
import type { KubeObject } from '../kube/kube-client.js';
import { BOOTSTRAP_KEY, MOUNTS, strataToml } from './config-map.js';
import { credentialsSecretOf } from './credentials-secret.js';
import { childMeta, namespaceOf } from './owner.js';
import { fnv1aHex } from './toml.js';

/** Pod template annotation: a config change changes the template, so the operator rolls the pods. */
export const CONFIG_HASH_ANNOTATION = 'strata.io/config-hash';
/** StatefulSet annotations that record, in the cluster, which one-shot requests were already made. */
/** Pod template label: the Strata version a pod was started with (status.nodes[].version). */
export const VERSION_LABEL = 'app.kubernetes.io/version';
export const REBALANCE_REQUEST_ANNOTATION = 'strata.io/rebalance-request-done';
export const SCALE_OUT_REBALANCE_ANNOTATION = 'strata.io/scale-out-rebalanced-at-replicas';

export interface StatefulSetInput {
  /** What the StatefulSet should run now: spec.nodes, or more while a scale-in is still draining. */
  replicas: number;
  /** Bookkeeping annotations (see above), carried from the observed StatefulSet or set by this reconcile. */
  annotations?: Record<string, string>;
}

/**
 * The shell line that starts a node: its id from the pod ordinal, its advertised DNS name through the
 * headless Service, and --join to pod 0 for every pod but pod 0. Pod 0 bootstraps when it has no data
 * while the ConfigMap's bootstrap key says `allowed` (a new cluster); once the cluster exists it says
 * `forbidden` and pod 0 joins through pod 1 instead. A node with data restarts from it either way.
 */
export function startCommand(cluster: StrataCluster): string {
  const name = cluster.metadata.name;
  const ns = namespaceOf(cluster);
  const domain = `${headlessServiceName(name)}.${ns}.svc`;
  const seed = `${podHost(name, ns, 0)}:${CLUSTER_PORT}`;
  const second = `${podHost(name, ns, 1)}:${CLUSTER_PORT}`;
  return [
    'ORDINAL="${HOSTNAME##*-}"',
    'JOIN=""',
    `if [ "$ORDINAL" != "0" ]; then JOIN="--join ${seed}"; fi`,
    `if [ "$ORDINAL" = "0" ] && [ "$(cat ${MOUNTS.config}/${BOOTSTRAP_KEY} 2>/dev/null)" = "forbidden" ]; then JOIN="--join ${second}"; fi`,
    `exec strata-server --config ${MOUNTS.config}/${CONFIG_KEY} --node-id "$((ORDINAL + 1))" --bind-address 0.0.0.0 --advertise-address "$HOSTNAME.${domain}" $JOIN`,
  ].join('; ');
}

export function buildStatefulSet(cluster: StrataCluster, spec: ResolvedStrataClusterSpec, input: StatefulSetInput): KubeObject {
  const name = cluster.metadata.name;
  const selector = selectorLabels(name);
  const volumes: NonNullable<NonNullable<V1StatefulSet['spec']>['template']['spec']>['volumes'] = [
    { name: 'config', configMap: { name: configMapName(name) } },
    { name: 'credentials', secret: { secretName: credentialsSecretOf(cluster, spec.s3.credentialsSecret), defaultMode: 0o440 } },
  ];
  const mounts: { name: string; mountPath: string; readOnly?: boolean }[] = [
    { name: 'data', mountPath: MOUNTS.data },
    { name: 'config', mountPath: MOUNTS.config, readOnly: true },
    { name: 'credentials', mountPath: MOUNTS.credentials, readOnly: true },
  ];
  if (spec.backup !== undefined) {
    // Every pod mounts the destination: any node may be the one that answers the backup call.
    volumes.push({ name: 'backup', persistentVolumeClaim: { claimName: spec.backup.destination.claimName } });
    mounts.push({ name: 'backup', mountPath: MOUNTS.backup });
  }
  const podSpec: NonNullable<NonNullable<V1StatefulSet['spec']>['template']['spec']> = {
    terminationGracePeriodSeconds: 60,
    securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 },
    containers: [
      {
        name: 'strata',
        image: spec.image,
        command: ['sh', '-c', startCommand(cluster)],
        ports: [
          { name: 'cluster', containerPort: CLUSTER_PORT },
          { name: 'admin', containerPort: ADMIN_PORT },
          { name: 's3', containerPort: spec.s3.port },
        ],
        // The guide's probes, exactly.
        livenessProbe: { httpGet: { path: '/health/live', port: ADMIN_PORT }, initialDelaySeconds: 10, periodSeconds: 10 },
        readinessProbe: { httpGet: { path: '/health/ready', port: ADMIN_PORT }, initialDelaySeconds: 5, periodSeconds: 5 },
        volumeMounts: mounts,
        ...(spec.resources === undefined ? {} : { resources: spec.resources }),
      },
    ],
    volumes,
    ...(spec.affinity === undefined ? {} : { affinity: spec.affinity }),
    ...(spec.tolerations.length === 0 ? {} : { tolerations: spec.tolerations }),
    ...(spec.topologySpreadConstraints.length === 0 ? {} : { topologySpreadConstraints: spec.topologySpreadConstraints }),
  };
  const claimSpec: Record<string, unknown> = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: spec.storage.size } } };
  if (spec.storage.storageClassName !== undefined) claimSpec.storageClassName = spec.storage.storageClassName;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: childMeta(cluster, statefulSetName(name), { annotations: input.annotations }),
    spec: {
      replicas: input.replicas,
      serviceName: headlessServiceName(name),
      // Pods start together (a new cluster needs a quorum to become ready) ...
      podManagementPolicy: 'Parallel',
      // ... and restart only when the operator deletes them, one at a time behind its gates.
      updateStrategy: { type: 'OnDelete' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...selector, [VERSION_LABEL]: spec.version }, annotations: { [CONFIG_HASH_ANNOTATION]: fnv1aHex(strataToml(spec)) } },
        spec: podSpec,
      },
      volumeClaimTemplates: [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', labels: { ...selector } }, spec: claimSpec }],
    },
  };
}

/** PVC of one pod's data volume (StatefulSet naming: <template>-<pod>). */
export function dataClaimName(cluster: string, ordinal: number): string {
  return `data-${statefulSetName(cluster)}-${ordinal}`;
}
