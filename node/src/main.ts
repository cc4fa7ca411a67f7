/**
 * strata-server: the composition root, the only place that builds real adapters (LevelDB, gRPC, koa,
 * pino, prom-client, the wall clock) and hands them to the runtime through ports.
 */
import { parseArgs } from 'node:util';
import { AdminServer } from './admin/admin-server.js';
import { PromMetricsSink } from './admin/prom-metrics-sink.js';
import { loadS3Credentials, resolveConfig, type StrataConfig } from './config/index.js';
import { RuntimeSettings } from './config/runtime-settings.js';
import { LogRing } from './logs/log-ring.js';
import { MetaStateMachine } from './meta/meta-state-machine.js';
import { StrataError, isStrataError } from './platform/errors.js';
import type { Logger } from './platform/logger.js';
import { BUILD_VERSION } from './platform/real/build-version.js';
import { missingServerNodeFlags } from './platform/real/server-node-flags.js';
import { BusyTimeMeter } from './platform/busy-time-meter.js';
import { CryptoRandom } from './platform/real/crypto-random.js';
import { createPinoLogger } from './platform/real/pino-logger.js';
import { SystemClock } from './platform/real/system-clock.js';
import { checkDataDirWritable, readIdentity, writeIdentity } from './storage/fs/node-identity.js';
import { LevelLogStore } from './storage/level/level-log-store.js';
import { GrpcTransport } from './transport/grpc/grpc-transport.js';
import { ChunkGarbageCollector } from './objects/chunk-garbage-collector.js';
import { NodeUsageMonitor } from './objects/node-usage-monitor.js';
import { StrataObjectService } from './objects/strata-object-service.js';
import { S3Server } from './s3/s3-server.js';
import { FsChunkStore } from './storage/fs/fs-chunk-store.js';
import { InlineSpillFiles } from './storage/fs/inline-spill-files.js';
import { ChunkServiceServer } from './transport/grpc/chunk-service-server.js';
import { GrpcChunkStoreDirectory } from './transport/grpc/grpc-chunk-store-directory.js';
import { MetadataService } from './runtime/metadata-service.js';
import { NodeAdminService } from './runtime/node-admin-service.js';
import { Replica } from './runtime/replica.js';
import { BackupService } from './backup/backup-service.js';
import { replicaSnapshotSource } from './backup/snapshot-source.js';
import { ChunkScrubber } from './scrub/chunk-scrubber.js';
import { ByteThrottle } from './repair/byte-throttle.js';
import { ChunkRelocator } from './repair/chunk-relocator.js';
import { StreamingChunkBuilder } from './repair/chunk-builder.js';
import type { ChunkBuilder } from './ports/chunk-store.js';
import { ClusterMaintenance } from './repair/cluster-maintenance.js';
import { join as joinPath } from 'node:path';

const USAGE = `usage: strata-server [--config strata.toml] [--node-id N] [--data-dir DIR] [--bind-address ADDR]
                     [--advertise-address HOST] [--join HOST:9000] [--cluster-port 9000] [--admin-port 9090]
                     [--s3-port 9080] [--log-level LEVEL] [--version]`;

async function main(argv: string[]): Promise<void> {
  const config = await loadConfig(argv);
  // Recent lines stay in memory for `strata logs`; `strata config set log_level` changes the level.
  const logs = new LogRing();
  const { logger, setLevel } = createPinoLogger({ level: config.logLevel, base: { node: `node-${config.node.nodeId}` }, extraStreams: [logs.stream] });
  const settings = new RuntimeSettings({ logLevel: config.logLevel, setLogLevel: setLevel });
  const server = await startServer(config, logger, { logs, settings });
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'stopping');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function loadConfig(argv: string[]): Promise<StrataConfig> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'node-id': { type: 'string' },
        'data-dir': { type: 'string' },
        'bind-address': { type: 'string' },
        'advertise-address': { type: 'string' },
        join: { type: 'string' },
        'cluster-port': { type: 'string' },
        'admin-port': { type: 'string' },
        's3-port': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
        version: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new StrataError('InvalidArgument', `${(err as Error).message}\n${USAGE}`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (parsed.values.version) {
    process.stdout.write(`strata-server ${BUILD_VERSION}\n`);
    process.exit(0);
  }
  const v = parsed.values;
  return resolveConfig({
    configPath: v.config,
    env: process.env,
    flags: {
      nodeId: v['node-id'],
      dataDir: v['data-dir'],
      bindAddress: v['bind-address'],
      advertiseAddress: v['advertise-address'],
      join: v.join,
      clusterPort: v['cluster-port'],
      adminPort: v['admin-port'],
      s3Port: v['s3-port'],
      logLevel: v['log-level'] as StrataConfig['logLevel'] | undefined,
    },
  });
}

interface RunningServer {
  replica: Replica;
  stop(): Promise<void>;
}

async function startServer(config: StrataConfig, logger: Logger, runtime: { logs: LogRing; settings: RuntimeSettings }): Promise<RunningServer> {
  const { node } = config;
  const clock = new SystemClock();
  const random = new CryptoRandom();
  const missingFlags = missingServerNodeFlags(process.execArgv);
  if (missingFlags.length > 0) {
    logger.warn({ missingFlags }, 'node was started without these flags (bin/strata-server.js passes them): throughput after idle spells suffers');
  }
  const metrics = new PromMetricsSink();
  metrics.gauge('strata_build_info', 'The Strata version this node runs (the value is always 1)', ['version']).set(1, { version: BUILD_VERSION });
  // Others reach this node at the advertised host (a pod's DNS name) while it listens on the bind address.
  const selfAddress = `${node.advertiseAddress ?? node.bindAddress}:${node.clusterPort}`;
  const listenAddress = `${node.bindAddress}:${node.clusterPort}`;

  // Refuse a start without S3 keys before touching any data.
  const credentials = await loadS3Credentials(config, process.env);
  const identity = await readIdentity(node.dataDir);
  if (identity && identity.nodeId !== node.nodeId) {
    throw new StrataError('InvalidConfig', `${node.dataDir} holds the data of node-${identity.nodeId}, but this is --node-id ${node.nodeId}`);
  }

  const logStore = await LevelLogStore.open({
    dir: joinPath(node.dataDir, 'raft'),
    syncWrites: config.storage.syncWrites,
    cacheSizeBytes: config.metadata.rocksdbCacheSizeBytes,
    logger: logger.child({ component: 'raft-log' }),
  });
  const chunkStore = await FsChunkStore.open({
    dir: joinPath(node.dataDir, 'chunks'),
    syncWrites: config.storage.syncWrites,
    directIo: config.storage.directIo,
    reserveBytes: config.storage.reserveBytes,
    logger: logger.child({ component: 'chunks' }),
    metrics,
    clock,
  });
  // Until the replica exists (join/bootstrap), the cluster ID is the one on disk, if any.
  let currentClusterId = (): string => identity?.clusterId ?? '';
  // Builds chunks into this node's store when the leader moves data here; it reads the other nodes'
  // chunks, so it exists once the chunk directory does.
  let localChunkBuilder: ChunkBuilder | undefined;
  // How busy this node's S3 gateway is: reported with its chunk usage, it paces the data movers.
  const gatewayBusyTime = new BusyTimeMeter(clock);
  const transport = new GrpcTransport({
    nodeId: node.nodeId,
    listenAddress,
    clusterId: identity?.clusterId ?? '',
    logger: logger.child({ component: 'transport' }),
    metrics,
    services: [
      new ChunkServiceServer({
        store: chunkStore,
        nodeId: node.nodeId,
        clusterId: () => currentClusterId(),
        logger: logger.child({ component: 'chunk-service' }),
        builder: () => localChunkBuilder,
        busyTime: gatewayBusyTime,
      }),
    ],
    maxConnections: config.network.maxConnections,
    tcpNoDelay: config.network.tcpNodelay,
    // 0 in the config means "the kernel's default", which the transport expresses as no option at all.
    sendBufferSize: config.network.sendBufferSizeBytes || undefined,
    receiveBufferSize: config.network.receiveBufferSizeBytes || undefined,
  });
  // Inline objects' bytes on disk, not in memory (0024): rebuilt from the snapshot and log at each start.
  const inlineStore = InlineSpillFiles.open(joinPath(node.dataDir, 'inline'), {
    onWriteError: (err) => logger.warn({ err: String(err), component: 'metadata' }, 'writing inline bytes to disk failed; they stay in memory'),
    onCompactionError: (err) => logger.warn({ err: String(err), component: 'metadata' }, 'compacting the inline bytes on disk failed; their files stay'),
  });
  const meta = new MetaStateMachine(undefined, inlineStore);
  // One Raft tick per heartbeat; election timeouts become whole ticks (validated: min > heartbeat).
  const heartbeatMs = config.metadata.heartbeatIntervalMs;
  const electionTicks = Math.max(2, Math.round(config.metadata.electionTimeoutMinMs / heartbeatMs));
  let replica: Replica | undefined;
  replica = await Replica.open({
    nodeId: node.nodeId,
    selfAddress,
    clusterId: identity?.clusterId ?? '',
    zone: node.zone,
    // Recorded in the member record, so cluster status can name every node's admin URL.
    adminUrl: `http://${node.advertiseAddress ?? node.bindAddress}:${node.adminPort}`,
    clock,
    random,
    logger: logger.child({ component: 'replica' }),
    metrics,
    logStore,
    transport,
    stateMachine: meta,
    raft: {
      tickMs: heartbeatMs,
      electionTicks,
      electionTicksMax: Math.max(electionTicks + 1, Math.round(config.metadata.electionTimeoutMaxMs / heartbeatMs)),
      heartbeatTicks: 1,
    },
    // A loaded node (erasure coding and streaming on 2 cores) can stall its event loop for a second;
    // a metadata request then waits rather than failing: S3 clients see latency, not a spurious 503.
    proposalTimeoutMs: 10_000,
    readTimeoutMs: 10_000,
    maxVoters: config.metadata.voters,
    snapshotEveryEntries: config.metadata.snapshotIntervalEntries,
    keepEntriesAfterSnapshot: config.metadata.snapshotKeepEntries,
    onFatal: (err) => {
      logger.error({ err }, 'fatal: the node cannot go on safely');
      process.exit(70);
    },
  });

  currentClusterId = () => replica!.clusterId;
  const metadata = new MetadataService(replica, meta);
  const chunkStores = new GrpcChunkStoreDirectory({
    selfId: node.nodeId,
    local: chunkStore,
    addressOf: (id) => meta.member(id)?.address,
    clusterId: () => replica!.clusterId,
    logger: logger.child({ component: 'chunk-directory' }),
    localBuilder: () => localChunkBuilder,
  });
  localChunkBuilder = new StreamingChunkBuilder({ chunkStores, clock, logger: logger.child({ component: 'chunk-builder' }) }).writingTo(chunkStore);
  const usage = new NodeUsageMonitor({
    members: () => meta.members(),
    chunkStores,
    clock,
    logger: logger.child({ component: 'usage' }),
    self: { id: node.nodeId, busyTime: gatewayBusyTime },
  });
  const objects = new StrataObjectService({
    selfId: node.nodeId,
    metadata,
    chunkStores,
    placementView: () => usage.view(),
    clock,
    random,
    logger: logger.child({ component: 'objects' }),
    metrics,
    stripeDataBytes: config.data.stripeSizeBytes,
    inlineThresholdBytes: config.data.inlineThresholdBytes,
    erasure: config.data.erasureDataShards === 0 ? 'auto' : { dataShards: config.data.erasureDataShards, parityShards: config.data.erasureParityShards },
    cacheSizeBytes: config.data.cacheSizeBytes,
    compression: config.data.compression,
    maxConcurrentTransfers: config.data.maxConcurrentTransfers,
  });
  const garbage = new ChunkGarbageCollector({ selfId: node.nodeId, store: chunkStore, metadata, clock, logger: logger.child({ component: 'gc' }) });
  const tuning = { maxConnections: config.network.maxConnections, tcpNoDelay: config.network.tcpNodelay };
  const s3 = new S3Server({
    tuning,
    host: node.bindAddress,
    port: node.s3Port,
    service: objects,
    credentials,
    region: config.s3.region,
    virtualHostSuffixes: config.s3.virtualHostSuffixes,
    metrics,
    clock,
    logger: logger.child({ component: 's3' }),
    busyTime: gatewayBusyTime,
  });
  const scrubber = new ChunkScrubber({
    nodeId: node.nodeId,
    store: chunkStore,
    metadata,
    // Repairs a corrupt chunk in place: rebuilt from its sibling columns under a new id on this node.
    rebuilder: new ChunkRelocator({ metadata, chunkStores, clock, random, logger: logger.child({ component: 'scrub-repair' }), metrics }),
    clock,
    stateDir: node.dataDir,
    enabled: config.scrub.enabled,
    intervalMs: config.scrub.intervalMs,
    throttleMbPerSec: config.scrub.throttleMbPerSec,
    logger: logger.child({ component: 'scrub' }),
    metrics,
  });
  const backup = new BackupService({
    nodeId: node.nodeId,
    source: replicaSnapshotSource(replica, meta),
    clock,
    enabled: config.backup.enabled,
    schedule: config.backup.schedule,
    retentionDays: config.backup.retentionDays,
    destination: config.backup.destination,
    isLeader: () => replica!.leaderId === node.nodeId,
    logger: logger.child({ component: 'backup' }),
    metrics,
  });
  // Drain, rebalance and recovery share one byte budget ([data] move_throttle_mb_per_sec); leader only.
  const moveThrottle = new ByteThrottle({
    clock,
    bytesPerSec: config.data.moveThrottleMbPerSec * 1024 * 1024,
    // Moves yield to S3 traffic: down to the busy rate while a gateway is busy more than half the time.
    minBytesPerSec: config.data.moveThrottleBusyMbPerSec * 1024 * 1024,
    loadSignal: { load: () => usage.foregroundBusyFraction() },
    loadTarget: 0.5,
    adaptWindowMs: 1_000, // the usage monitor polls every second
    metrics,
  });
  const maintenance = new ClusterMaintenance({
    runtime: replica,
    metadata,
    usage,
    relocator: new ChunkRelocator({
      metadata,
      chunkStores,
      clock,
      random,
      throttle: moveThrottle,
      logger: logger.child({ component: 'mover' }),
      metrics,
    }),
    clock,
    recoveryTimeoutMs: config.data.recoveryTimeoutMs,
    leaderUrlOf: (id) => meta.member(id)?.adminUrl,
    moveLimit: () => moveThrottle.currentBytesPerSec,
    logger: logger.child({ component: 'maintenance' }),
    metrics,
  });
  const admin = new AdminServer({
    tuning,
    host: node.bindAddress,
    port: node.adminPort,
    service: new NodeAdminService({ replica, metadata, clock, memberRecords: () => meta.members(), storageCheck: () => checkDataDirWritable(node.dataDir), version: BUILD_VERSION }),
    metrics,
    clock,
    logger: logger.child({ component: 'admin' }),
    logs: runtime.logs,
    settings: runtime.settings,
    scrub: scrubber,
    backup,
    maintenance,
  });
  await admin.start();

  if (!replica.initialized) {
    const clusterId = node.join ? await replica.joinCluster(node.join) : await replica.bootstrap();
    await writeIdentity(node.dataDir, { nodeId: node.nodeId, clusterId });
    logger.info({ clusterId, join: node.join }, node.join ? 'joined the cluster' : 'bootstrapped a new cluster');
  } else {
    if (!identity) await writeIdentity(node.dataDir, { nodeId: node.nodeId, clusterId: replica.clusterId });
    logger.info({ clusterId: replica.clusterId }, 'restarted with existing data');
    // A restarted node that is still told to --join checks, without holding up its start, that the
    // cluster it points at is its own: data of one cluster must never be joined to another.
    if (node.join) {
      replica.joinCluster(node.join, 30_000).catch((err: unknown) => {
        if (isStrataError(err, 'ClusterMismatch') || isStrataError(err, 'DuplicateNodeId')) {
          logger.error({ err: err.message }, 'refusing to run: --join points at a cluster this data does not belong to');
          process.stderr.write(`strata-server: ${err.message}\n`);
          process.exit(2);
        }
        logger.warn({ err: String(err) }, 'could not confirm membership through --join; running with the membership on disk');
      });
    }
  }
  usage.start();
  garbage.start();
  await scrubber.start();
  backup.start();
  maintenance.start();
  await s3.start();
  logger.info({ cluster: selfAddress, admin: `http://${node.bindAddress}:${admin.port}`, s3: `http://${node.bindAddress}:${s3.port}` }, 'strata-server is up');

  return {
    replica,
    async stop() {
      await s3.stop();
      await admin.stop();
      await maintenance.stop();
      await backup.stop();
      await scrubber.stop();
      garbage.stop();
      usage.stop();
      chunkStores.close();
      await replica!.stop();
      inlineStore.close();
    },
  };
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // One line naming what was wrong; the stack only for bugs.
  if (isStrataError(err)) process.stderr.write(`strata-server: ${err.message}\n`);
  else process.stderr.write(`strata-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(isStrataError(err, 'InvalidConfig') || isStrataError(err, 'InvalidArgument') ? 2 : 1);
});
