/**
 * Options of the gRPC transport, with defaults and validation. The socket settings come from the seed
 * guide's `[network]` section (max_connections, tcp_nodelay, send_buffer_size, receive_buffer_size).
 */
import { constants as bufferConstants } from 'node:buffer';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Clock } from '../../platform/clock.js';
import { StrataError } from '../../platform/errors.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { noopMetrics, type MetricsSink } from '../../platform/metrics.js';
import type { Random } from '../../platform/random.js';
import { CryptoRandom } from '../../platform/real/crypto-random.js';
import { SystemClock } from '../../platform/real/system-clock.js';
import type { NodeId } from '../../raft/types.js';
import { parseHostPort } from './cluster-listener.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './peer-channel.js';

export interface GrpcTransportOptions {
  nodeId: NodeId;
  /** host:port of the cluster listener, e.g. 127.0.0.2:9000 (port 0 picks a free one: see `address`). */
  listenAddress: string;
  /** '' until the node bootstrapped or joined (then setClusterId). */
  clusterId?: string;
  logger?: Logger;
  /** `strata_transport_*` counters (see transport-metrics.ts). */
  metrics?: MetricsSink;
  clock?: Clock;
  random?: Random;
  /** Largest gRPC message either way (a batch, a snapshot chunk). Default 64 MiB. */
  maxMessageBytes?: number;
  /** A batch is cut once it reaches this size. Default min(4 MiB, maxMessageBytes / 2). */
  maxBatchBytes?: number;
  /** Per-peer send queue bound (oldest messages are dropped beyond it). Default 10 000. */
  maxQueuedMessages?: number;
  /** Snapshot data per chunk. Default 1 MiB. */
  snapshotChunkBytes?: number;
  /** Default 10 minutes. */
  snapshotTimeoutMs?: number;
  /** Largest snapshot this node accepts. Default the largest Buffer. */
  maxSnapshotBytes?: number;
  /** Reconnect backoff: first delay and cap (jittered). Defaults 100 ms and 5 s. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** HTTP/2 pings on idle connections, to notice a dead peer. Default 10 s. */
  keepaliveMs?: number;
  /** A peer channel still connecting after this long is replaced (peer-channel.ts). Default 5 s. */
  connectTimeoutMs?: number;
  /** Deadline of a join call (it waits until the node is added as a learner). Default 30 s. */
  joinTimeoutMs?: number;
  /** `[network]` max_connections: inbound connections beyond it are refused. Default 5000. */
  maxConnections?: number;
  /** `[network]` tcp_nodelay, for accepted sockets (grpc-js always sets it on outgoing ones). Default true. */
  tcpNoDelay?: boolean;
  /** `[network]` send_buffer_size: accepted, but Node cannot set SO_SNDBUF on TCP (no effect). */
  sendBufferSize?: number;
  /** `[network]` receive_buffer_size: the HTTP/2 receive windows (both directions). Default 1 MiB. */
  receiveBufferSize?: number;
  /** More services served on the same port (e.g. the data path), registered by start(). */
  services?: ClusterService[];
}

export interface ClusterService {
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export type ResolvedGrpcTransportOptions = Required<GrpcTransportOptions>;

const MiB = 1024 * 1024;

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new StrataError('InvalidConfig', `transport option ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export function resolveGrpcTransportOptions(options: GrpcTransportOptions): ResolvedGrpcTransportOptions {
  positiveInt('nodeId', options.nodeId);
  parseHostPort(options.listenAddress);
  const maxMessageBytes = positiveInt('maxMessageBytes', options.maxMessageBytes ?? 64 * MiB);
  const resolved: ResolvedGrpcTransportOptions = {
    nodeId: options.nodeId,
    listenAddress: options.listenAddress,
    clusterId: options.clusterId ?? '',
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? noopMetrics,
    clock: options.clock ?? new SystemClock(),
    random: options.random ?? new CryptoRandom(),
    maxMessageBytes,
    maxBatchBytes: positiveInt('maxBatchBytes', options.maxBatchBytes ?? Math.min(4 * MiB, Math.floor(maxMessageBytes / 2))),
    maxQueuedMessages: positiveInt('maxQueuedMessages', options.maxQueuedMessages ?? 10_000),
    snapshotChunkBytes: positiveInt('snapshotChunkBytes', options.snapshotChunkBytes ?? MiB),
    snapshotTimeoutMs: positiveInt('snapshotTimeoutMs', options.snapshotTimeoutMs ?? 600_000),
    maxSnapshotBytes: positiveInt('maxSnapshotBytes', options.maxSnapshotBytes ?? bufferConstants.MAX_LENGTH),
    reconnectInitialMs: positiveInt('reconnectInitialMs', options.reconnectInitialMs ?? 100),
    reconnectMaxMs: positiveInt('reconnectMaxMs', options.reconnectMaxMs ?? 5_000),
    keepaliveMs: positiveInt('keepaliveMs', options.keepaliveMs ?? 10_000),
    connectTimeoutMs: positiveInt('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    joinTimeoutMs: positiveInt('joinTimeoutMs', options.joinTimeoutMs ?? 30_000),
    maxConnections: positiveInt('maxConnections', options.maxConnections ?? 5000),
    tcpNoDelay: options.tcpNoDelay ?? true,
    sendBufferSize: positiveInt('sendBufferSize', options.sendBufferSize ?? MiB),
    receiveBufferSize: positiveInt('receiveBufferSize', options.receiveBufferSize ?? MiB),
    services: options.services ?? [],
  };
  if (resolved.reconnectMaxMs < resolved.reconnectInitialMs) {
    throw new StrataError('InvalidConfig', 'transport option reconnectMaxMs must be >= reconnectInitialMs');
  }
  if (resolved.maxBatchBytes > maxMessageBytes) {
    throw new StrataError('InvalidConfig', 'transport option maxBatchBytes must be <= maxMessageBytes');
  }
  // A chunk plus its framing must fit in one gRPC message.
  if (resolved.snapshotChunkBytes + 64 * 1024 > maxMessageBytes) {
    throw new StrataError('InvalidConfig', 'transport option snapshotChunkBytes must be at least 64 KiB below maxMessageBytes');
  }
  return resolved;
}
