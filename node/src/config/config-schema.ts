import type { StrataConfig } from './strata-config.js';
import { CONFIG_COMPRESSIONS, CONFIG_LOG_LEVELS } from './strata-config.js';
import * as d from './decoders.js';

/** The sections of the file: the seed guide's six, plus [node] and [s3]. Top-level keys use section ''. */
export const SECTIONS = ['node', 'data', 'metadata', 'storage', 'network', 's3', 'scrub', 'backup'] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface KeySpec {
  section: SectionName | '';
  key: string;
  /** `section.key`, or just `key` at top level: how messages and docs name it. */
  dotted: string;
  /** Decodes the raw value and stores it in the config; returns what was expected on failure. */
  apply(config: StrataConfig, raw: unknown): { ok: true } | { ok: false; expected: string };
}

function spec<T>(section: SectionName | '', key: string, decode: d.Decoder<T>, set: (c: StrataConfig, v: T) => void): KeySpec {
  return {
    section,
    key,
    dotted: section === '' ? key : `${section}.${key}`,
    apply(config, raw) {
      const decoded = decode(raw);
      if (!decoded.ok) return decoded;
      set(config, decoded.value);
      return { ok: true };
    },
  };
}

/** Every key the file may hold. Names are the guide's, exactly; docs/configuration.md lists the same. */
export const KEYS: readonly KeySpec[] = [
  spec('', 'log_level', d.oneOf(CONFIG_LOG_LEVELS), (c, v) => (c.logLevel = v)),

  spec('node', 'node_id', d.integer(1, 2 ** 31 - 1, 'a positive integer'), (c, v) => (c.node.nodeId = v)),
  spec('node', 'data_dir', d.nonEmptyString, (c, v) => (c.node.dataDir = v)),
  spec('node', 'bind_address', d.host, (c, v) => (c.node.bindAddress = v)),
  spec('node', 'cluster_port', d.port, (c, v) => (c.node.clusterPort = v)),
  spec('node', 'admin_port', d.port, (c, v) => (c.node.adminPort = v)),
  spec('node', 's3_port', d.port, (c, v) => (c.node.s3Port = v)),
  spec('node', 'join', d.hostPort, (c, v) => (c.node.join = v)),
  spec('node', 'advertise_address', d.host, (c, v) => (c.node.advertiseAddress = v)),
  spec('node', 'zone', d.nonEmptyString, (c, v) => (c.node.zone = v)),

  spec('data', 'cache_size', d.size, (c, v) => (c.data.cacheSizeBytes = v)),
  spec('data', 'erasure_data_shards', d.integer(0, 32), (c, v) => (c.data.erasureDataShards = v)),
  spec('data', 'erasure_parity_shards', d.integer(0, 16), (c, v) => (c.data.erasureParityShards = v)),
  spec('data', 'stripe_size', d.size, (c, v) => (c.data.stripeSizeBytes = v)),
  spec('data', 'inline_threshold', d.size, (c, v) => (c.data.inlineThresholdBytes = v)),
  spec('data', 'recovery_timeout', d.duration('10m', 1), (c, v) => (c.data.recoveryTimeoutMs = v)),
  spec('data', 'move_throttle_mb_per_sec', d.positiveNumber, (c, v) => (c.data.moveThrottleMbPerSec = v)),
  spec('data', 'move_throttle_busy_mb_per_sec', d.positiveNumber, (c, v) => (c.data.moveThrottleBusyMbPerSec = v)),
  spec('data', 'max_concurrent_transfers', d.integer(1), (c, v) => (c.data.maxConcurrentTransfers = v)),
  spec('data', 'compression', d.oneOf(CONFIG_COMPRESSIONS), (c, v) => (c.data.compression = v)),

  spec('metadata', 'rocksdb_cache_size', d.size, (c, v) => (c.metadata.rocksdbCacheSizeBytes = v)),
  spec('metadata', 'election_timeout_min', d.duration('150ms', 1), (c, v) => (c.metadata.electionTimeoutMinMs = v)),
  spec('metadata', 'election_timeout_max', d.duration('300ms', 1), (c, v) => (c.metadata.electionTimeoutMaxMs = v)),
  spec('metadata', 'heartbeat_interval', d.duration('50ms', 1), (c, v) => (c.metadata.heartbeatIntervalMs = v)),
  spec('metadata', 'snapshot_interval_entries', d.integer(1), (c, v) => (c.metadata.snapshotIntervalEntries = v)),
  spec('metadata', 'snapshot_keep_entries', d.integer(0), (c, v) => (c.metadata.snapshotKeepEntries = v)),
  spec('metadata', 'voters', d.oneOfIntegers([1, 3, 5, 7]), (c, v) => (c.metadata.voters = v)),

  spec('storage', 'sync_writes', d.boolean, (c, v) => (c.storage.syncWrites = v)),
  spec('storage', 'direct_io', d.boolean, (c, v) => (c.storage.directIo = v)),
  spec('storage', 'reserve', d.size, (c, v) => (c.storage.reserveBytes = v)),

  spec('network', 'max_connections', d.integer(1), (c, v) => (c.network.maxConnections = v)),
  spec('network', 'tcp_nodelay', d.boolean, (c, v) => (c.network.tcpNodelay = v)),
  spec('network', 'send_buffer_size', d.size, (c, v) => (c.network.sendBufferSizeBytes = v)),
  spec('network', 'receive_buffer_size', d.size, (c, v) => (c.network.receiveBufferSizeBytes = v)),

  spec('s3', 'region', d.nonEmptyString, (c, v) => (c.s3.region = v)),
  spec('s3', 'credentials_file', d.nonEmptyString, (c, v) => (c.s3.credentialsFile = v)),
  spec('s3', 'virtual_host_suffixes', d.hostList, (c, v) => (c.s3.virtualHostSuffixes = v)),

  spec('scrub', 'enabled', d.boolean, (c, v) => (c.scrub.enabled = v)),
  spec('scrub', 'interval', d.duration('168h', 1), (c, v) => (c.scrub.intervalMs = v)),
  spec('scrub', 'throttle_mb_per_sec', d.positiveNumber, (c, v) => (c.scrub.throttleMbPerSec = v)),

  spec('backup', 'enabled', d.boolean, (c, v) => (c.backup.enabled = v)),
  spec('backup', 'schedule', d.cron, (c, v) => (c.backup.schedule = v)),
  spec('backup', 'retention_days', d.integer(1), (c, v) => (c.backup.retentionDays = v)),
  spec('backup', 'destination', d.nonEmptyString, (c, v) => (c.backup.destination = v)),
];

export function keysOf(section: SectionName | ''): KeySpec[] {
  return KEYS.filter((k) => k.section === section);
}
