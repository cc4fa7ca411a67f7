import type { NodeId } from '../raft/types.js';

/** Levels an operator may choose (`fatal` exists in the logger but is not a useful threshold). */
export const CONFIG_LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type ConfigLogLevel = (typeof CONFIG_LOG_LEVELS)[number];

/** Codecs for new object data ([data] compression); stored layouts name theirs, so all stay readable. */
export const CONFIG_COMPRESSIONS = ['none', 'gzip'] as const;
export type ConfigCompression = (typeof CONFIG_COMPRESSIONS)[number];

/** [node]: who this node is and where it listens (the server flags set the same fields). */
export interface NodeSection {
  nodeId: NodeId;
  dataDir: string;
  /** Every listener (cluster gRPC, admin HTTP, S3) binds to this address. */
  bindAddress: string;
  clusterPort: number;
  adminPort: number;
  s3Port: number;
  /** `host:port` of a cluster member's cluster port; absent to bootstrap a new cluster. */
  join?: string;
  /** Strata's own: the host other nodes reach this one at (a pod's DNS name); default bind_address. */
  advertiseAddress?: string;
  /** Strata's own: failure domain (rack, host, availability zone); shards of a stripe go to different zones. */
  zone?: string;
}

export interface DataSection {
  cacheSizeBytes: number;
  /** Strata's own: erasure coding of new objects; 0 and 0 = chosen from the cluster size (2+1 on 3 nodes, 4+2 on 6+). */
  erasureDataShards: number;
  erasureParityShards: number;
  /** Strata's own: bytes of object data per erasure-coded stripe. */
  stripeSizeBytes: number;
  /** Strata's own: objects up to this size are kept inline in the replicated metadata. */
  inlineThresholdBytes: number;
  /** Strata's own: a node unreachable this long has its chunks rebuilt from parity onto the others. */
  recoveryTimeoutMs: number;
  /** Strata's own: cap on the bytes per second that drain, rebalance and recovery move (per cluster). */
  moveThrottleMbPerSec: number;
  /** Strata's own: what moves slow down to while an S3 gateway is busy (at most moveThrottleMbPerSec). */
  moveThrottleBusyMbPerSec: number;
  /** Strata's own: erasure-coded object reads and writes a gateway runs at once; more wait in line. */
  maxConcurrentTransfers: number;
  /** Strata's own: compression of the erasure-coded data of NEW objects; existing objects keep theirs. */
  compression: ConfigCompression;
}

/** [s3]: Strata's own section for the S3 gateway (its port is node.s3_port). */
export interface S3Section {
  region: string;
  /** TOML file with [[credentials]] access_key_id / secret_access_key entries. */
  credentialsFile?: string;
  /** Domains for virtual-host-style addressing (bucket.<domain>). */
  virtualHostSuffixes: string[];
}

export interface MetadataSection {
  /** The guide's name is kept; the metadata store is LevelDB, whose block cache this sizes. */
  rocksdbCacheSizeBytes: number;
  electionTimeoutMinMs: number;
  electionTimeoutMaxMs: number;
  heartbeatIntervalMs: number;
  /** Strata's own: take a Raft snapshot after this many applied entries. */
  snapshotIntervalEntries: number;
  /** Strata's own: entries kept behind a snapshot so a briefly lagging follower needs no snapshot. */
  snapshotKeepEntries: number;
  /** Strata's own: how many nodes vote in the metadata Raft group (the others are learners holding data). */
  voters: number;
}

export interface StorageSection {
  syncWrites: boolean;
  directIo: boolean;
  /** Strata's own: free space kept back from chunk writes; 0 = 5% of the file system or 1 GiB, whichever is smaller. */
  reserveBytes: number;
}

export interface NetworkSection {
  maxConnections: number;
  tcpNodelay: boolean;
  /** 0 leaves the kernel's default (and its auto-tuning) alone. */
  sendBufferSizeBytes: number;
  receiveBufferSizeBytes: number;
}

export interface ScrubSection {
  enabled: boolean;
  intervalMs: number;
  throttleMbPerSec: number;
}

export interface BackupSection {
  enabled: boolean;
  /** 5-field cron expression, e.g. "0 2 * * *". */
  schedule: string;
  retentionDays: number;
  destination: string;
}

export interface StrataConfig {
  logLevel: ConfigLogLevel;
  node: NodeSection;
  data: DataSection;
  metadata: MetadataSection;
  storage: StorageSection;
  network: NetworkSection;
  s3: S3Section;
  scrub: ScrubSection;
  backup: BackupSection;
}

const MiB = 1024 * 1024;

/**
 * The documented defaults (docs/configuration.md lists the same values; a test keeps them in step).
 * A fresh object each call, so callers may mutate their copy.
 */
export function defaultConfig(): StrataConfig {
  return {
    logLevel: 'info',
    node: {
      // Convenient for a single dev node; every member of a real cluster sets its own (--node-id).
      nodeId: 1,
      dataDir: '/var/lib/strata',
      bindAddress: '127.0.0.1',
      clusterPort: 9000,
      adminPort: 9090,
      s3Port: 9080,
    },
    data: { cacheSizeBytes: 64 * MiB, erasureDataShards: 0, erasureParityShards: 0, stripeSizeBytes: MiB, inlineThresholdBytes: 16 * 1024, recoveryTimeoutMs: 10 * 60_000, moveThrottleMbPerSec: 64, moveThrottleBusyMbPerSec: 8, maxConcurrentTransfers: 8, compression: 'none' },
    metadata: {
      rocksdbCacheSizeBytes: 64 * MiB,
      // The guide's low-latency profile (100-200ms, 30ms beats) assumes idle machines. On a loaded
      // 2-core CI box GC pauses and event-loop stalls of 50-100ms are normal, and a follower that
      // misses two beats would start needless elections. 300-600ms with 75ms beats gives 4+ beats per
      // minimum timeout, and a failover still completes in well under a second.
      electionTimeoutMinMs: 300,
      electionTimeoutMaxMs: 600,
      heartbeatIntervalMs: 75,
      snapshotIntervalEntries: 10_000,
      snapshotKeepEntries: 5_000,
      voters: 5,
    },
    // Durable by default: acknowledging a write that an OS crash can lose is the wrong default.
    storage: { syncWrites: true, directIo: false, reserveBytes: 0 },
    network: { maxConnections: 1024, tcpNodelay: true, sendBufferSizeBytes: 0, receiveBufferSizeBytes: 0 },
    s3: { region: 'us-east-1', virtualHostSuffixes: [] },
    // As in the guide: weekly, at most 100 MB/s.
    scrub: { enabled: true, intervalMs: 168 * 3_600_000, throttleMbPerSec: 100 },
    backup: { enabled: false, schedule: '0 2 * * *', retentionDays: 30, destination: '/var/lib/strata/backups' },
  };
}
