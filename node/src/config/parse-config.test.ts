import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isStrataError } from '../platform/errors.js';
import { loadConfigFile, parseConfig } from './parse-config.js';
import { defaultConfig, type StrataConfig } from './strata-config.js';

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('parseConfig: good inputs', () => {
  it('gives the defaults for an empty file', () => {
    expect(parseConfig('', 'strata.toml')).toEqual(defaultConfig());
  });

  it('reads every example block of the seed guide', () => {
    const toml = `
[backup]
enabled = true
schedule = "0 2 * * *"  # Daily at 2 AM
retention_days = 30
destination = "/backup"

[scrub]
enabled = true
interval = "168h"  # Weekly
throttle_mb_per_sec = 100

[data]
cache_size = 4294967296  # 4GB for read-heavy workloads

[metadata]
rocksdb_cache_size = 1073741824  # 1GB
election_timeout_min = "100ms"
election_timeout_max = "200ms"
heartbeat_interval = "30ms"

[storage]
sync_writes = false
direct_io = true

[network]
max_connections = 5000
tcp_nodelay = true
send_buffer_size = 1048576    # 1MB
receive_buffer_size = 1048576  # 1MB
`;
    const config = parseConfig(toml, 'strata.toml');
    const expected = defaultConfig();
    expected.backup = { enabled: true, schedule: '0 2 * * *', retentionDays: 30, destination: '/backup' };
    expected.scrub = { enabled: true, intervalMs: 168 * 3_600_000, throttleMbPerSec: 100 };
    expected.data = { ...expected.data, cacheSizeBytes: 4294967296 };
    expected.metadata = { ...expected.metadata, rocksdbCacheSizeBytes: 1073741824, electionTimeoutMinMs: 100, electionTimeoutMaxMs: 200, heartbeatIntervalMs: 30 };
    expected.storage = { ...expected.storage, syncWrites: false, directIo: true };
    expected.network = { maxConnections: 5000, tcpNodelay: true, sendBufferSizeBytes: 1048576, receiveBufferSizeBytes: 1048576 };
    expect(config).toEqual(expected);
  });

  const cases: [string, (c: StrataConfig) => unknown, unknown][] = [
    ['log_level = "debug"', (c) => c.logLevel, 'debug'],
    ['[node]\nnode_id = 4', (c) => c.node.nodeId, 4],
    ['[node]\ndata_dir = "/data/strata"', (c) => c.node.dataDir, '/data/strata'],
    ['[node]\nbind_address = "127.0.0.3"', (c) => c.node.bindAddress, '127.0.0.3'],
    ['[node]\nbind_address = "::1"', (c) => c.node.bindAddress, '::1'],
    ['[node]\nbind_address = "strata-node-1.strata.svc"', (c) => c.node.bindAddress, 'strata-node-1.strata.svc'],
    ['[node]\ncluster_port = 9100', (c) => c.node.clusterPort, 9100],
    ['[node]\nadmin_port = 0\ns3_port = 0\ncluster_port = 0', (c) => c.node.adminPort, 0],
    ['[node]\njoin = "strata-node-1:9000"', (c) => c.node.join, 'strata-node-1:9000'],
    ['[node]\njoin = "[::1]:9000"', (c) => c.node.join, '[::1]:9000'],
    ['[data]\ncache_size = "4GiB"', (c) => c.data.cacheSizeBytes, 4 * 1024 ** 3],
    ['[data]\ncache_size = 0', (c) => c.data.cacheSizeBytes, 0],
    ['[data]\ncompression = "gzip"', (c) => c.data.compression, 'gzip'],
    ['[data]\ncompression = "none"', (c) => c.data.compression, 'none'],
    ['[storage]\ndirect_io = true', (c) => c.storage.directIo, true],
    ['[metadata]\nelection_timeout_max = "1.5s"', (c) => c.metadata.electionTimeoutMaxMs, 1500],
    ['[scrub]\ninterval = "1h30m"', (c) => c.scrub.intervalMs, 5_400_000],
    ['[scrub]\nthrottle_mb_per_sec = 12.5', (c) => c.scrub.throttleMbPerSec, 12.5],
    ['[backup]\nschedule = "*/30 1-5 * * mon-fri"', (c) => c.backup.schedule, '*/30 1-5 * * mon-fri'],
    ['[network]\nsend_buffer_size = 0', (c) => c.network.sendBufferSizeBytes, 0],
    ['network.max_connections = 10', (c) => c.network.maxConnections, 10],
  ];
  it.each(cases)('%j', (toml, pick, value) => {
    expect(pick(parseConfig(toml, 'strata.toml'))).toEqual(value);
  });
});

describe('parseConfig: bad inputs', () => {
  // Each message is one line, starts with the source name and names the dotted key.
  const cases: [string, string][] = [
    ['[metadata]\nelection_timeout_min = 150', 'strata.toml: metadata.election_timeout_min: expected a duration like "150ms", got 150'],
    ['[metadata]\nheartbeat_interval = "30"', 'strata.toml: metadata.heartbeat_interval: expected a duration like "50ms" (units ns, us, ms, s, m, h), got "30"'],
    ['[metadata]\nelection_timeout_max = "2d"', 'strata.toml: metadata.election_timeout_max: expected a duration like "300ms" (units ns, us, ms, s, m, h), got "2d"'],
    ['[metadata]\nelection_timeout_min = "0s"', 'strata.toml: metadata.election_timeout_min: expected a duration of at least 1ms, got "0s"'],
    [
      '[metadata]\nelection_timeout_min = "600ms"\nelection_timeout_max = "600ms"',
      'strata.toml: metadata.election_timeout_min: must be less than metadata.election_timeout_max (600ms), got 600ms',
    ],
    [
      '[metadata]\nheartbeat_interval = "300ms"',
      'strata.toml: metadata.heartbeat_interval: must be less than metadata.election_timeout_min (300ms), got 300ms',
    ],
    ['[metadata]\nelection_timeout = "1s"', 'strata.toml: metadata.election_timeout: unknown key (did you mean metadata.election_timeout_min?)'],
    ['[metadata]\nhartbeat_interval = "1s"', 'strata.toml: metadata.hartbeat_interval: unknown key (did you mean metadata.heartbeat_interval?)'],
    ['[data]\nsync_writes = true', 'strata.toml: data.sync_writes: unknown key (did you mean storage.sync_writes?)'],
    ['[data]\ncolour = "blue"', 'strata.toml: data.colour: unknown key'],
    ['[node]\nlog_level = "debug"', 'strata.toml: node.log_level: unknown key (log_level is a top-level key: put it before the first [section])'],
    ['[metdata]\nheartbeat_interval = "30ms"', 'strata.toml: metdata: unknown section [metdata] (did you mean [metadata]?); sections are [node] [data] [metadata] [storage] [network] [s3] [scrub] [backup]'],
    ['[cluster]\nx = 1', 'strata.toml: cluster: unknown section [cluster]; sections are [node] [data] [metadata] [storage] [network] [s3] [scrub] [backup]'],
    ['loglevel = "debug"', 'strata.toml: loglevel: unknown key (did you mean log_level?)'],
    ['[data]\nerasure_parity_shards = 2', 'strata.toml: data.erasure_data_shards: must be set (1 or more) when data.erasure_parity_shards is set; leave both 0 to choose by cluster size'],
    ['[data]\nstripe_size = "1KiB"', 'strata.toml: data.stripe_size: must be between 4KiB and 64MiB, got 1024 bytes'],
    ['[s3]\nvirtual_host_suffixes = "s3.local"', 'strata.toml: s3.virtual_host_suffixes: expected a list of host names like ["s3.local"], got "s3.local"'],
    ['data = 5', 'strata.toml: data: expected a table [data], got 5'],
    ['log_level = "verbose"', 'strata.toml: log_level: expected one of trace|debug|info|warn|error, got "verbose"'],
    ['log_level = "fatal"', 'strata.toml: log_level: expected one of trace|debug|info|warn|error, got "fatal"'],
    ['[storage]\nsync_writes = "yes"', 'strata.toml: storage.sync_writes: expected true or false, got "yes"'],
    ['[storage]\ndirect_io = 1', 'strata.toml: storage.direct_io: expected true or false, got 1'],
    ['[data]\ncompression = "zstd"', 'strata.toml: data.compression: expected one of none|gzip, got "zstd"'],
    ['[data]\ncompression = true', 'strata.toml: data.compression: expected one of none|gzip, got true'],
    ['[data]\ncompresion = "gzip"', 'strata.toml: data.compresion: unknown key (did you mean data.compression?)'],
    ['[data]\ncache_size = -1', 'strata.toml: data.cache_size: expected a size in bytes like 1073741824 or "1GiB", got -1'],
    ['[data]\ncache_size = "4 gigs"', 'strata.toml: data.cache_size: expected a size in bytes like 1073741824 or "1GiB", got "4 gigs"'],
    ['[network]\nmax_connections = 0', 'strata.toml: network.max_connections: expected an integer >= 1, got 0'],
    ['[network]\nmax_connections = [1, 2]', 'strata.toml: network.max_connections: expected an integer >= 1, got an array [1, 2]'],
    ['[network]\ntcp_nodelay = { on = true }', 'strata.toml: network.tcp_nodelay: expected true or false, got a table'],
    ['[scrub]\nthrottle_mb_per_sec = 0', 'strata.toml: scrub.throttle_mb_per_sec: expected a number > 0, got 0'],
    ['[scrub]\ninterval = 1979-05-27', 'strata.toml: scrub.interval: expected a duration like "168h", got a date 1979-05-27'],
    ['[backup]\nretention_days = 0', 'strata.toml: backup.retention_days: expected an integer >= 1, got 0'],
    ['[backup]\nretention_days = 1.5', 'strata.toml: backup.retention_days: expected an integer >= 1, got 1.5'],
    [
      '[backup]\nschedule = "0 2 * *"',
      'strata.toml: backup.schedule: expected a cron expression like "0 2 * * *" (expected 5 cron fields "minute hour day-of-month month day-of-week", got 4), got "0 2 * *"',
    ],
    [
      '[backup]\nschedule = "0 25 * * *"',
      'strata.toml: backup.schedule: expected a cron expression like "0 2 * * *" (hour field "25": "25" is not a value in 0-23), got "0 25 * * *"',
    ],
    ['[backup]\ndestination = ""', 'strata.toml: backup.destination: expected a non-empty string, got ""'],
    ['[node]\nnode_id = 0', 'strata.toml: node.node_id: expected a positive integer, got 0'],
    ['[node]\nnode_id = "4"', 'strata.toml: node.node_id: expected a positive integer, got "4"'],
    ['[node]\nadmin_port = 70000', 'strata.toml: node.admin_port: expected a port in 0..65535 (0 picks a free port), got 70000'],
    ['[node]\nbind_address = "not an address"', 'strata.toml: node.bind_address: expected an IP address or host name like "127.0.0.1", got "not an address"'],
    ['[node]\njoin = "strata-node-1"', 'strata.toml: node.join: expected host:port like "strata-node-1:9000", got "strata-node-1"'],
    ['[node]\njoin = "host:0"', 'strata.toml: node.join: expected host:port like "strata-node-1:9000", got "host:0"'],
    ['[node]\njoin = "[nothost]:9000"', 'strata.toml: node.join: expected host:port like "strata-node-1:9000", got "[nothost]:9000"'],
    ['[node]\nadmin_port = 9000', 'strata.toml: node.admin_port: must differ from node.cluster_port (both 9000) since every listener binds node.bind_address'],
  ];
  it.each(cases)('%j', (toml, message) => {
    const err = errorOf(() => parseConfig(toml, 'strata.toml'));
    expect(isStrataError(err, 'InvalidConfig')).toBe(true);
    expect(err.message).toBe(message);
  });

  it('reports TOML syntax errors on one line with the position', () => {
    const err = errorOf(() => parseConfig('[data]\ncache_size = [', 'node.toml'));
    expect(isStrataError(err, 'InvalidConfig')).toBe(true);
    expect(err.message).toMatch(/^node\.toml:2:\d+: invalid TOML: /);
    expect(err.message).not.toContain('\n');
  });

  it('reports duplicate keys as TOML errors', () => {
    const err = errorOf(() => parseConfig('[data]\ncache_size = 1\ncache_size = 2', 'strata.toml'));
    expect(err.message).toMatch(/^strata\.toml:3:\d+: invalid TOML/);
  });
});

describe('loadConfigFile', () => {
  it('reads a file and names it by its base name in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-config-'));
    try {
      const good = join(dir, 'good.toml');
      await writeFile(good, 'log_level = "warn"\n[node]\nnode_id = 7\n');
      const config = await loadConfigFile(good);
      expect(config.logLevel).toBe('warn');
      expect(config.node.nodeId).toBe(7);

      const bad = join(dir, 'bad.toml');
      await writeFile(bad, '[metadata]\nelection_timeout_min = 150\n');
      await expect(loadConfigFile(bad)).rejects.toThrow(/^bad\.toml: metadata\.election_timeout_min: /);
      await expect(loadConfigFile(join(dir, 'missing.toml'))).rejects.toThrow(/missing\.toml: cannot read the configuration file \(ENOENT\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
