/**
 * Transport over gRPC (the cluster port): one HTTP/2 channel per peer carrying a long-lived stream of
 * message batches, a stream per snapshot, and unary Join. The server side checks the caller's cluster ID.
 */
import { credentials, Server, ServerCredentials, type ChannelOptions, type ServiceError } from '@grpc/grpc-js';
import { StrataError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Message, NodeId } from '../../raft/types.js';
import type { JoinRequest, JoinResponse, PeerAddress, Transport, TransportHandler } from '../../ports/transport.js';
import { Backoff } from './backoff.js';
import { callerMetadata } from './call-metadata.js';
import { ClusterListener, formatHostPort } from './cluster-listener.js';
import type { JoinResponse as PbJoinResponse, RaftServiceClient } from './generated/strata/cluster/v1/raft.js';
import { fromGrpcError } from './grpc-errors.js';
import { resolveGrpcTransportOptions, type GrpcTransportOptions, type ResolvedGrpcTransportOptions } from './grpc-transport-options.js';
import { PeerSender } from './peer-sender.js';
import { createRaftService } from './raft-service.js';
import { createRaftClient, raftServiceDefinition } from './raft-service-definition.js';
import { raiseServerReceiveWindow } from './server-window.js';
import { SnapshotSender } from './snapshot-sender.js';
import { TransportMetrics, type GrpcTransportStats } from './transport-metrics.js';
import { peerReconnectOptions } from './peer-reconnect-options.js';
import { PeerChannel } from './peer-channel.js';

export { resolveGrpcTransportOptions, type ClusterService, type GrpcTransportOptions } from './grpc-transport-options.js';

export type { GrpcTransportStats } from './transport-metrics.js';

interface Peer {
  address: string;
  channel: PeerChannel<RaftServiceClient>;
  messages: PeerSender;
  snapshots: SnapshotSender;
}

export class GrpcTransport implements Transport {
  private readonly options: ResolvedGrpcTransportOptions;
  private readonly logger: Logger;
  private clusterId: string;
  private handler: TransportHandler | undefined;
  private readonly peers = new Map<NodeId, Peer>();
  private server: Server | undefined;
  private listener: ClusterListener | undefined;
  private boundAddress = '';
  private readonly metrics: TransportMetrics;

  constructor(options: GrpcTransportOptions) {
    this.options = resolveGrpcTransportOptions(options);
    this.clusterId = this.options.clusterId;
    this.metrics = new TransportMetrics(this.options.metrics);
    this.logger = this.options.logger.child({ component: 'transport', node: this.options.nodeId });
    if (options.sendBufferSize !== undefined) {
      this.logger.debug({ sendBufferSize: options.sendBufferSize }, 'send_buffer_size has no effect: Node cannot set SO_SNDBUF on TCP');
    }
  }

  /** The bound host:port once started (differs from listenAddress when its port was 0). */
  get address(): string {
    return this.boundAddress;
  }

  stats(): GrpcTransportStats {
    return this.metrics.stats();
  }

  async start(handler: TransportHandler): Promise<void> {
    if (this.server !== undefined) throw new StrataError('Conflict', 'transport already started');
    const server = new Server({
      'grpc.max_receive_message_length': this.options.maxMessageBytes,
      'grpc.max_send_message_length': this.options.maxMessageBytes,
      'grpc.keepalive_time_ms': this.options.keepaliveMs,
      'grpc.keepalive_timeout_ms': Math.max(1000, Math.floor(this.options.keepaliveMs / 2)),
    });
    server.addService(
      raftServiceDefinition,
      createRaftService({
        nodeId: this.options.nodeId,
        clusterId: () => this.clusterId,
        handler: () => this.handler,
        logger: this.logger,
        maxSnapshotBytes: this.options.maxSnapshotBytes,
        metrics: this.metrics,
      }),
    );
    for (const service of this.options.services) server.addService(service.definition, service.implementation);
    const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
    raiseServerReceiveWindow(server, this.options.receiveBufferSize, this.logger);
    const listener = new ClusterListener({
      address: this.options.listenAddress,
      maxConnections: this.options.maxConnections,
      tcpNoDelay: this.options.tcpNoDelay,
      logger: this.logger,
      onConnection: (socket) => injector.injectConnection(socket),
    });
    this.handler = handler;
    this.server = server;
    this.listener = listener;
    try {
      this.boundAddress = formatHostPort(await listener.start());
    } catch (err) {
      this.handler = undefined;
      this.server = undefined;
      this.listener = undefined;
      server.forceShutdown();
      throw err;
    }
    this.logger.info({ address: this.boundAddress, clusterId: this.clusterId }, 'cluster transport listening');
  }

  send(messages: Message[]): void {
    if (this.handler === undefined) return;
    // Group per peer, keeping each peer's order; snapshots take their own path.
    let batch: Message[] = [];
    let batchPeer: Peer | undefined;
    const flushGroup = (): void => {
      if (batchPeer !== undefined && batch.length > 0) batchPeer.messages.enqueue(batch);
      batch = [];
    };
    for (const message of messages) {
      const peer = this.peers.get(message.to);
      if (peer === undefined) {
        this.unknownPeer(message);
        continue;
      }
      if (message.type === 'snap') {
        peer.snapshots.send(message);
        continue;
      }
      if (peer !== batchPeer) {
        flushGroup();
        batchPeer = peer;
      }
      batch.push(message);
    }
    flushGroup();
  }

  setPeer(peer: PeerAddress): void {
    const existing = this.peers.get(peer.id);
    if (existing !== undefined && existing.address === peer.address) return;
    if (existing !== undefined) this.closePeer(existing);
    this.peers.set(peer.id, this.openPeer(peer));
    this.logger.debug({ peer: peer.id, address: peer.address }, 'peer set');
  }

  removePeer(id: NodeId): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    this.peers.delete(id);
    this.closePeer(peer);
  }

  setClusterId(clusterId: string): void {
    if (clusterId === this.clusterId) return;
    this.logger.info({ clusterId, previous: this.clusterId }, 'cluster ID set');
    this.clusterId = clusterId;
  }

  async join(address: string, request: JoinRequest): Promise<JoinResponse> {
    const client = createRaftClient(address, credentials.createInsecure(), this.channelOptions());
    try {
      const response = await new Promise<PbJoinResponse>((resolve, reject) => {
        client.join(
          { ...request, zone: request.zone ?? '', adminUrl: request.adminUrl ?? '' },
          callerMetadata({ clusterId: this.clusterId, nodeId: this.options.nodeId }),
          { deadline: this.options.clock.wallMs() + this.options.joinTimeoutMs },
          (err: ServiceError | null, value?: PbJoinResponse) => (err === null && value !== undefined ? resolve(value) : reject(err)),
        );
      });
      return { clusterId: response.clusterId, members: response.members.map((m) => ({ id: m.id, address: m.address })) };
    } catch (err) {
      const error = fromGrpcError(err as ServiceError, `join via ${address}`);
      if (error.code === 'ClusterMismatch') this.logger.error({ address, err: error.message }, `join refused: ${error.message}`);
      throw error;
    } finally {
      client.close();
    }
  }

  async stop(): Promise<void> {
    this.handler = undefined;
    for (const peer of this.peers.values()) this.closePeer(peer);
    this.peers.clear();
    const server = this.server;
    const listener = this.listener;
    this.server = undefined;
    this.listener = undefined;
    server?.forceShutdown();
    await listener?.close();
  }

  private channelOptions(): ChannelOptions {
    return {
      'grpc.max_receive_message_length': this.options.maxMessageBytes,
      'grpc.max_send_message_length': this.options.maxMessageBytes,
      // grpc-js refuses new calls while its channel backs off: keep its backoff in step with ours.
      ...peerReconnectOptions({ initialMs: this.options.reconnectInitialMs, maxMs: this.options.reconnectMaxMs }),
      'grpc.keepalive_time_ms': this.options.keepaliveMs,
      'grpc.keepalive_timeout_ms': Math.max(1000, Math.floor(this.options.keepaliveMs / 2)),
      'grpc.keepalive_permit_without_calls': 1,
      'grpc-node.flow_control_window': this.options.receiveBufferSize,
      // Our own retries (Raft retransmits); and a private connection per transport, even in one process.
      'grpc.enable_retries': 0,
      'grpc.use_local_subchannel_pool': 1,
    };
  }

  private openPeer(peer: PeerAddress): Peer {
    const logger = this.logger.child({ peer: peer.id });
    const channel = new PeerChannel(() => createRaftClient(peer.address, credentials.createInsecure(), this.channelOptions()), {
      connectTimeoutMs: this.options.connectTimeoutMs,
      logger,
      name: `node-${peer.id} (${peer.address})`,
    });
    const client = () => channel.current;
    const metadata = () => callerMetadata({ clusterId: this.clusterId, nodeId: this.options.nodeId });
    return {
      address: peer.address,
      channel,
      messages: new PeerSender({
        peer: peer.id,
        client,
        metadata,
        clock: this.options.clock,
        backoff: new Backoff({ initialMs: this.options.reconnectInitialMs, maxMs: this.options.reconnectMaxMs, random: this.options.random }),
        logger,
        maxQueuedMessages: this.options.maxQueuedMessages,
        maxBatchBytes: this.options.maxBatchBytes,
        maxMessageBytes: this.options.maxMessageBytes,
        onUnreachable: () => this.handler?.onUnreachable(peer.id),
        metrics: this.metrics,
      }),
      snapshots: new SnapshotSender({
        peer: peer.id,
        client,
        metadata,
        clock: this.options.clock,
        logger,
        chunkBytes: this.options.snapshotChunkBytes,
        timeoutMs: this.options.snapshotTimeoutMs,
        onStatus: (ok) => this.handler?.onSnapshotStatus(peer.id, ok),
        metrics: this.metrics,
      }),
    };
  }

  private closePeer(peer: Peer): void {
    peer.messages.close();
    peer.snapshots.close();
    peer.channel.close();
  }

  /** A message to a node we have no address for: Raft learns it is unreachable (asynchronously). */
  private unknownPeer(message: Message): void {
    this.logger.debug({ to: message.to, type: message.type }, 'no address for peer: message dropped');
    this.metrics.dropped(message.to, 1);
    queueMicrotask(() => {
      const handler = this.handler;
      if (handler === undefined) return;
      if (message.type === 'snap') handler.onSnapshotStatus(message.to, false);
      handler.onUnreachable(message.to);
    });
  }
}
