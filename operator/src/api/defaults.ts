/**
 * Pure defaulting of a StrataCluster spec. The CRD declares the same defaults (crds/crd.test.ts checks
 * they agree), so a stored object usually has them already; resolving again here means the operator
 * works the same on objects created before a default existed or through paths that skip defaulting.
 */
import type {
  BackupSpec,
  ConfigOverrides,
  MonitoringSpec,
  S3ServiceType,
  StrataClusterSpec,
  UpgradeStrategy,
} from './strata-cluster.js';
import type { V1Affinity, V1ResourceRequirements, V1Toleration, V1TopologySpreadConstraint } from '@kubernetes/client-node';

export const DEFAULT_IMAGE_REPOSITORY = 'ghcr.io/strata/strata-server';

/** The CRD's defaults, by JSON path; crd.test.ts compares each with the schema's `default`. */
export const SPEC_DEFAULTS = {
  nodes: 3,
  'storage.size': '10Gi',
  'storage.deleteClaimsOnScaleIn': false,
  'erasure.dataShards': 2,
  'erasure.parityShards': 1,
  's3.port': 9080,
  's3.serviceType': 'ClusterIP',
  'upgrade.strategy': 'RollingUpdate',
  'upgrade.rebalanceOnScaleOut': true,
  'upgrade.gateTimeout': '30m',
  'backup.retentionDays': 30,
  'backup.destination.path': '/backup',
  'monitoring.serviceMonitor': false,
  'monitoring.prometheusRule': false,
  'monitoring.dashboard': false,
  paused: false,
} as const;

export interface ResolvedBackupSpec {
  schedule: string;
  retentionDays: number;
  destination: { claimName: string; path: string };
}

/** A spec with every default applied: the operator's builders and planners read only this. */
export interface ResolvedStrataClusterSpec {
  image: string;
  version: string;
  nodes: number;
  storage: { size: string; storageClassName?: string; deleteClaimsOnScaleIn: boolean };
  erasure: { dataShards: number; parityShards: number };
  resources?: V1ResourceRequirements;
  affinity?: V1Affinity;
  tolerations: V1Toleration[];
  topologySpreadConstraints: V1TopologySpreadConstraint[];
  config: ConfigOverrides;
  s3: { port: number; serviceType: S3ServiceType; credentialsSecret?: string };
  /** Sorted by node number, duplicates dropped. */
  drain: string[];
  rebalanceRequest?: string;
  upgrade: { strategy: UpgradeStrategy; rebalanceOnScaleOut: boolean; gateTimeout: string };
  backup?: ResolvedBackupSpec;
  monitoring: Required<MonitoringSpec>;
  paused: boolean;
}

/** `ghcr.io/strata/strata-server:<version>`, the image a spec without `image` runs. */
export function defaultImage(version: string): string {
  return `${DEFAULT_IMAGE_REPOSITORY}:${version}`;
}

function nodeNumber(name: string): number {
  return Number(name.slice('node-'.length));
}

function resolveBackup(backup: BackupSpec | undefined): ResolvedBackupSpec | undefined {
  if (backup === undefined) return undefined;
  return {
    schedule: backup.schedule,
    retentionDays: backup.retentionDays ?? SPEC_DEFAULTS['backup.retentionDays'],
    destination: {
      claimName: backup.destination.claimName,
      path: backup.destination.path ?? SPEC_DEFAULTS['backup.destination.path'],
    },
  };
}

export function resolveStrataClusterSpec(spec: StrataClusterSpec): ResolvedStrataClusterSpec {
  const d = SPEC_DEFAULTS;
  const drain = [...new Set(spec.drain ?? [])].sort((a, b) => nodeNumber(a) - nodeNumber(b));
  const resolved: ResolvedStrataClusterSpec = {
    image: spec.image !== undefined && spec.image !== '' ? spec.image : defaultImage(spec.version),
    version: spec.version,
    nodes: spec.nodes ?? d.nodes,
    storage: {
      size: spec.storage?.size ?? d['storage.size'],
      deleteClaimsOnScaleIn: spec.storage?.deleteClaimsOnScaleIn ?? d['storage.deleteClaimsOnScaleIn'],
    },
    erasure: {
      dataShards: spec.erasure?.dataShards ?? d['erasure.dataShards'],
      parityShards: spec.erasure?.parityShards ?? d['erasure.parityShards'],
    },
    tolerations: spec.tolerations ?? [],
    topologySpreadConstraints: spec.topologySpreadConstraints ?? [],
    config: spec.config ?? {},
    s3: {
      port: spec.s3?.port ?? d['s3.port'],
      serviceType: spec.s3?.serviceType ?? d['s3.serviceType'],
    },
    drain,
    upgrade: {
      strategy: spec.upgrade?.strategy ?? d['upgrade.strategy'],
      rebalanceOnScaleOut: spec.upgrade?.rebalanceOnScaleOut ?? d['upgrade.rebalanceOnScaleOut'],
      gateTimeout: spec.upgrade?.gateTimeout ?? d['upgrade.gateTimeout'],
    },
    monitoring: {
      serviceMonitor: spec.monitoring?.serviceMonitor ?? d['monitoring.serviceMonitor'],
      prometheusRule: spec.monitoring?.prometheusRule ?? d['monitoring.prometheusRule'],
      dashboard: spec.monitoring?.dashboard ?? d['monitoring.dashboard'],
    },
    paused: spec.paused ?? d.paused,
  };
  // Optional fields stay absent rather than `undefined`, so resolved specs compare and serialise cleanly.
  if (spec.storage?.storageClassName !== undefined) resolved.storage.storageClassName = spec.storage.storageClassName;
  if (spec.resources !== undefined) resolved.resources = spec.resources;
  if (spec.affinity !== undefined) resolved.affinity = spec.affinity;
  if (spec.s3?.credentialsSecret !== undefined) resolved.s3.credentialsSecret = spec.s3.credentialsSecret;
  if (spec.rebalanceRequest !== undefined) resolved.rebalanceRequest = spec.rebalanceRequest;
  const backup = resolveBackup(spec.backup);
  if (backup !== undefined) resolved.backup = backup;
  return resolved;
}
