import type { StrataCluster } from '../api/strata-cluster.js';
import type { ResolvedStrataClusterSpec } from '../api/defaults.js';
import { CONFIG_KEY, CREDENTIALS_KEYS, configMapName } from '../api/naming.js';
import type { KubeObject } from '../kube/kube-client.js';
import { childMeta } from './owner.js';
import { writeToml, type TomlTable } from './toml.js';

/** Where the pod mounts things; the TOML and the StatefulSet agree through these. */
export const MOUNTS = {
  data: '/var/lib/strata',
  config: '/etc/strata',
  credentials: '/etc/strata-credentials',
  backup: '/var/lib/strata-backup',
} as const;

export function backupDestinationPath(spec: ResolvedStrataClusterSpec): string | undefined {
  if (spec.backup === undefined) return undefined;
  const sub = spec.backup.destination.path.replace(/^\/+/, '').replace(/\/+$/, '');
  return sub === '' ? MOUNTS.backup : `${MOUNTS.backup}/${sub}`;
}

/** strata.toml: the spec's overrides on top of what the pods need (paths, ports, erasure, credentials). */
export function strataToml(spec: ResolvedStrataClusterSpec): string {
  const c = spec.config;
  const section = (table: object | undefined): TomlTable => ({ ...(table as TomlTable | undefined) });
  const destination = backupDestinationPath(spec);
  return writeToml(
    { log_level: c.log_level },
    {
      // node_id, bind and advertise addresses and --join come from the command line (one file for all pods).
      node: { data_dir: MOUNTS.data, cluster_port: 9000, admin_port: 9090, s3_port: spec.s3.port },
      data: { ...section(c.data), erasure_data_shards: spec.erasure.dataShards, erasure_parity_shards: spec.erasure.parityShards },
      metadata: section(c.metadata),
      storage: section(c.storage),
      network: section(c.network),
      s3: { credentials_file: `${MOUNTS.credentials}/${CREDENTIALS_KEYS.credentialsToml}` },
      scrub: section(c.scrub),
      // The operator runs the schedule itself (the nodes' own scheduler stays off); a run it asks for
      // writes here and prunes by this retention.
      backup: destination === undefined ? {} : { enabled: false, retention_days: spec.backup!.retentionDays, destination },
    },
  );
}

/**
 * ConfigMap key read by pod 0's start line: `allowed` until the Strata cluster has existed, then
 * `forbidden` for good, so a pod 0 that lost its volume joins the running cluster (through pod 1)
 * instead of bootstrapping a second, empty one behind the same Services. A mounted ConfigMap changes
 * in running pods without a restart, and this key is not part of the config hash.
 */
export const BOOTSTRAP_KEY = 'bootstrap';
export type BootstrapMode = 'allowed' | 'forbidden';

export function buildConfigMap(cluster: StrataCluster, spec: ResolvedStrataClusterSpec, bootstrap: BootstrapMode = 'allowed'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMeta(cluster, configMapName(cluster.metadata.name)),
    data: { [CONFIG_KEY]: strataToml(spec), [BOOTSTRAP_KEY]: bootstrap },
  };
}
