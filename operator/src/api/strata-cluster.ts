/**
 * The StrataCluster API (strata.io/v1alpha1), as TypeScript types. crds/strata.io_strataclusters.yaml is
 * the source of truth; crds/crd.test.ts checks that the field lists below and the CRD's schema agree.
 *
 * Pure: Kubernetes types are imported as types only (no client-node value at run time).
 */
import type { V1Affinity, V1ResourceRequirements, V1Toleration, V1TopologySpreadConstraint } from '@kubernetes/client-node';

export const STRATA_GROUP = 'strata.io';
export const STRATA_VERSION = 'v1alpha1';
export const STRATA_API_VERSION = `${STRATA_GROUP}/${STRATA_VERSION}`;
export const STRATA_KIND = 'StrataCluster';
export const STRATA_LIST_KIND = 'StrataClusterList';
export const STRATA_PLURAL = 'strataclusters';
export const STRATA_SINGULAR = 'stratacluster';
export const STRATA_SHORT_NAME = 'strata';
export const STRATA_CRD_NAME = `${STRATA_PLURAL}.${STRATA_GROUP}`;

/** The smallest metadata the operator reads; the real object carries more (labels, uid, ...). */
export interface StrataObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface StrataCluster {
  apiVersion: typeof STRATA_API_VERSION;
  kind: typeof STRATA_KIND;
  metadata: StrataObjectMeta;
  spec: StrataClusterSpec;
  status?: StrataClusterStatus;
}

// ---------------------------------------------------------------------------------------------------
// spec

/**
 * What the user asks for. Optional fields get their defaults from the CRD (the API server writes them
 * into the stored object) and again from resolveStrataClusterSpec() (defaults.ts), so the operator never
 * depends on which of the two ran.
 */
export interface StrataClusterSpec {
  /** The strata-server image; default `ghcr.io/strata/strata-server:<version>`. */
  image?: string;
  /** The Strata version this cluster runs (shown in status; a change starts a rolling upgrade). */
  version: string;
  /** Strata nodes = StatefulSet replicas, 1..64 (the scale subresource's spec.replicas). Default 3. */
  nodes?: number;
  storage?: StorageSpec;
  /** Immutable after creation; dataShards + parityShards <= nodes. Default 2 + 1. */
  erasure?: ErasureSpec;
  resources?: V1ResourceRequirements;
  affinity?: V1Affinity;
  tolerations?: V1Toleration[];
  topologySpreadConstraints?: V1TopologySpreadConstraint[];
  /** Overrides of strata.toml keys, per section, with the guide's exact key names. */
  config?: ConfigOverrides;
  s3?: S3Spec;
  /** Node names (`node-N`) to empty and keep empty; removing a name undrains it. */
  drain?: string[];
  /** Any change of this string asks for one rebalance (e.g. a timestamp). */
  rebalanceRequest?: string;
  upgrade?: UpgradeSpec;
  /** Scheduled metadata backups; absent = none. */
  backup?: BackupSpec;
  monitoring?: MonitoringSpec;
  /** true: the operator changes nothing (status is still observed). */
  paused?: boolean;
}

export interface StorageSpec {
  /** PVC size per node, a Kubernetes quantity. Default 10Gi. */
  size?: string;
  /** Storage class of the PVCs; absent = the cluster's default class. */
  storageClassName?: string;
  /** Delete the PVCs of nodes removed by a scale-in. Default false: PVCs are kept unless asked. */
  deleteClaimsOnScaleIn?: boolean;
}

export interface ErasureSpec {
  dataShards?: number;
  parityShards?: number;
}

/** `[data]` keys the spec may override; erasure_* come from spec.erasure, never from here. */
export interface DataConfig {
  cache_size?: number | string;
  stripe_size?: number | string;
  inline_threshold?: number | string;
  compression?: 'none' | 'gzip';
  recovery_timeout?: string;
  move_throttle_mb_per_sec?: number;
  move_throttle_busy_mb_per_sec?: number;
  max_concurrent_transfers?: number;
}

export interface MetadataConfig {
  rocksdb_cache_size?: number | string;
  election_timeout_min?: string;
  election_timeout_max?: string;
  heartbeat_interval?: string;
  snapshot_interval_entries?: number;
  snapshot_keep_entries?: number;
  voters?: 1 | 3 | 5 | 7;
}

export interface StorageConfig {
  sync_writes?: boolean;
  direct_io?: boolean;
  reserve?: number | string;
}

export interface NetworkConfig {
  max_connections?: number;
  tcp_nodelay?: boolean;
  send_buffer_size?: number | string;
  receive_buffer_size?: number | string;
}

export interface ScrubConfig {
  enabled?: boolean;
  interval?: string;
  throttle_mb_per_sec?: number;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface ConfigOverrides {
  /** Top-level `log_level`. */
  log_level?: LogLevel;
  data?: DataConfig;
  metadata?: MetadataConfig;
  storage?: StorageConfig;
  network?: NetworkConfig;
  scrub?: ScrubConfig;
}

export const S3_SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;
export type S3ServiceType = (typeof S3_SERVICE_TYPES)[number];

export interface S3Spec {
  /** Port of the client Service `<name>-s3` and of the nodes' S3 listener. Default 9080. */
  port?: number;
  /** Default ClusterIP. */
  serviceType?: S3ServiceType;
  /**
   * A Secret in the cluster's namespace with keys access_key_id, secret_access_key and
   * credentials.toml; absent = the operator generates `<name>-credentials`.
   */
  credentialsSecret?: string;
}

export const UPGRADE_STRATEGIES = ['RollingUpdate', 'OnDelete'] as const;
export type UpgradeStrategy = (typeof UPGRADE_STRATEGIES)[number];

export interface UpgradeSpec {
  /**
   * RollingUpdate (default): the operator restarts pods one at a time behind its gates.
   * OnDelete: the operator updates the StatefulSet template only; the user deletes pods.
   */
  strategy?: UpgradeStrategy;
  /** Ask for a rebalance after nodes are added. Default true. */
  rebalanceOnScaleOut?: boolean;
  /** How long one gate (pod Ready, Raft caught up, no degraded stripes) may stay shut before the upgrade stalls with a condition. Go duration; default 30m. */
  gateTimeout?: string;
}

export interface BackupDestination {
  /** A PVC in the cluster's namespace that receives the backup files. */
  claimName: string;
  /** Directory inside that claim. Default /backup. */
  path?: string;
}

export interface BackupSpec {
  /** Classic 5-field cron (minute hour day-of-month month day-of-week), in UTC. */
  schedule: string;
  /** Backups older than this are pruned. Default 30. */
  retentionDays?: number;
  destination: BackupDestination;
}

export interface MonitoringSpec {
  /** Create a ServiceMonitor (needs the monitoring.coreos.com CRDs). Default false. */
  serviceMonitor?: boolean;
  /** Create a PrometheusRule with the guide's alerts. Default false. */
  prometheusRule?: boolean;
  /** Create the Grafana dashboard ConfigMap. Default false. */
  dashboard?: boolean;
}

// ---------------------------------------------------------------------------------------------------
// status

export const PHASES = ['Pending', 'Creating', 'Available', 'Progressing', 'Degraded', 'Paused'] as const;
export type Phase = (typeof PHASES)[number];

export const CONDITION_TYPES = [
  'Available',
  'Progressing',
  'Degraded',
  'Upgrading',
  'Draining',
  'ScalingIn',
  'Rebalancing',
  'BackupHealthy',
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

/** metav1.Condition, as JSON (times are RFC 3339 strings). */
export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  /** CamelCase, e.g. WaitingForPodReady. */
  reason: string;
  message: string;
}

export const NODE_STATES = ['active', 'draining', 'drained', 'removed'] as const;
export type NodeState = (typeof NODE_STATES)[number];

export const RAFT_ROLES = ['leader', 'follower', 'candidate', 'learner', 'unknown'] as const;
export type RaftRole = (typeof RAFT_ROLES)[number];

export interface NodeDrainProgress {
  chunksRemaining: number;
  bytesRemaining: number;
  rateBytesPerSec?: number;
  etaSeconds?: number;
}

export interface NodeStatusEntry {
  /** `node-N`. */
  name: string;
  /** `<cluster>-<N-1>`. */
  pod: string;
  state: NodeState;
  raftRole?: RaftRole;
  online: boolean;
  ready: boolean;
  version?: string;
  drain?: NodeDrainProgress;
}

export interface BackupRecord {
  /** RFC 3339. */
  time: string;
  /** The backup file's path inside the destination claim. */
  file?: string;
  ok: boolean;
  message?: string;
}

export interface StrataClusterStatus {
  observedGeneration?: number;
  phase?: Phase;
  conditions?: Condition[];
  nodes?: NodeStatusEntry[];
  /** Node name (`node-N`) of the Raft leader. */
  leader?: string;
  term?: number;
  readyNodes?: number;
  /** Pods that exist (the scale subresource's status.replicas). */
  replicas?: number;
  /** Label selector of the pods, as a string (the scale subresource's labelSelectorPath). */
  selector?: string;
  currentVersion?: string;
  lastBackup?: BackupRecord;
  lastSuccessfulBackup?: BackupRecord;
}

// ---------------------------------------------------------------------------------------------------
// field lists: crds/crd.test.ts compares them with the CRD's schema; the checks below keep them complete.

type Exact<T, K extends readonly unknown[]> = [Exclude<keyof T, K[number]>] extends [never] ? K : never;
function fields<T>() {
  return <const K extends readonly (keyof T)[]>(keys: K & Exact<T, K>): readonly string[] => keys as readonly string[];
}

/** Every property of each object in the schema, by JSON path from the object's root. */
export const FIELD_LISTS: Readonly<Record<string, readonly string[]>> = {
  spec: fields<StrataClusterSpec>()([
    'image', 'version', 'nodes', 'storage', 'erasure', 'resources', 'affinity', 'tolerations',
    'topologySpreadConstraints', 'config', 's3', 'drain', 'rebalanceRequest', 'upgrade', 'backup', 'monitoring', 'paused',
  ]),
  'spec.storage': fields<StorageSpec>()(['size', 'storageClassName', 'deleteClaimsOnScaleIn']),
  'spec.erasure': fields<ErasureSpec>()(['dataShards', 'parityShards']),
  'spec.config': fields<ConfigOverrides>()(['log_level', 'data', 'metadata', 'storage', 'network', 'scrub']),
  'spec.config.data': fields<DataConfig>()(['cache_size', 'stripe_size', 'inline_threshold', 'compression', 'recovery_timeout', 'move_throttle_mb_per_sec', 'move_throttle_busy_mb_per_sec', 'max_concurrent_transfers']),
  'spec.config.metadata': fields<MetadataConfig>()([
    'rocksdb_cache_size', 'election_timeout_min', 'election_timeout_max', 'heartbeat_interval',
    'snapshot_interval_entries', 'snapshot_keep_entries', 'voters',
  ]),
  'spec.config.storage': fields<StorageConfig>()(['sync_writes', 'direct_io', 'reserve']),
  'spec.config.network': fields<NetworkConfig>()(['max_connections', 'tcp_nodelay', 'send_buffer_size', 'receive_buffer_size']),
  'spec.config.scrub': fields<ScrubConfig>()(['enabled', 'interval', 'throttle_mb_per_sec']),
  'spec.s3': fields<S3Spec>()(['port', 'serviceType', 'credentialsSecret']),
  'spec.upgrade': fields<UpgradeSpec>()(['strategy', 'rebalanceOnScaleOut', 'gateTimeout']),
  'spec.backup': fields<BackupSpec>()(['schedule', 'retentionDays', 'destination']),
  'spec.backup.destination': fields<BackupDestination>()(['claimName', 'path']),
  'spec.monitoring': fields<MonitoringSpec>()(['serviceMonitor', 'prometheusRule', 'dashboard']),
  status: fields<StrataClusterStatus>()([
    'observedGeneration', 'phase', 'conditions', 'nodes', 'leader', 'term', 'readyNodes', 'replicas', 'selector',
    'currentVersion', 'lastBackup', 'lastSuccessfulBackup',
  ]),
  'status.conditions[]': fields<Condition>()(['type', 'status', 'observedGeneration', 'lastTransitionTime', 'reason', 'message']),
  'status.nodes[]': fields<NodeStatusEntry>()(['name', 'pod', 'state', 'raftRole', 'online', 'ready', 'version', 'drain']),
  'status.nodes[].drain': fields<NodeDrainProgress>()(['chunksRemaining', 'bytesRemaining', 'rateBytesPerSec', 'etaSeconds']),
  'status.lastBackup': fields<BackupRecord>()(['time', 'file', 'ok', 'message']),
  'status.lastSuccessfulBackup': fields<BackupRecord>()(['time', 'file', 'ok', 'message']),
};
