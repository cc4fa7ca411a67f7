/**
 * The outgoing message path to one peer: a bounded queue drained into one long-lived client stream.
 * Everything queued since the previous write goes out as one batch (cut at maxBatchBytes); when the stream
 * pushes back, messages wait in the queue and the next write carries all of them. A failed stream is
 * reported as unreachable and reopened after an exponential backoff with jitter.
 */
import type { ClientWritableStream, Metadata, ServiceError } from '@grpc/grpc-js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { Message, NodeId } from '../../raft/types.js';
import type { Backoff } from './backoff.js';
import type { RaftServiceClient, SendMessagesRequest } from './generated/strata/cluster/v1/raft.js';
import { fromGrpcError } from './grpc-errors.js';
import { estimateEncodedBytes, messageToPb } from './raft-codec.js';
import type { TransportMetrics } from './transport-metrics.js';

export interface PeerSenderOptions {
  peer: NodeId;
  /** The peer's client now (a stuck channel is replaced: peer-channel.ts). */
  client: () => RaftServiceClient;
  /** Caller identity metadata, built fresh for each stream (the cluster ID may change). */
  metadata: () => Metadata;
  clock: Clock;
  backoff: Backoff;
  logger: Logger;
  maxQueuedMessages: number;
  maxBatchBytes: number;
  maxMessageBytes: number;
  /** Called asynchronously, at most once per microtask. */
  onUnreachable: () => void;
  metrics: TransportMetrics;
}

export class PeerSender {
  private queue: Message[] = [];
  private stream: ClientWritableStream<SendMessagesRequest> | undefined;
  private awaitingDrain = false;
  private flushScheduled = false;
  private reportScheduled = false;
  private retryTimer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly options: PeerSenderOptions) {}

  /** Never blocks: queues, and writes on the next microtask (so one burst of sends is one batch). */
  enqueue(messages: Message[]): void {
    if (this.closed) return;
    const { maxMessageBytes, maxQueuedMessages, metrics, peer } = this.options;
    for (const message of messages) {
      if (estimateEncodedBytes(message) > maxMessageBytes) {
        metrics.dropped(peer, 1);
        this.options.logger.error({ peer, type: message.type, entries: message.entries.length }, 'dropped a Raft message larger than maxMessageBytes');
        this.reportUnreachable();
        continue;
      }
      this.queue.push(message);
    }
    if (this.queue.length > maxQueuedMessages) {
      // Oldest first: Raft retransmits what matters, and fresh heartbeats/appends supersede old ones.
      const excess = this.queue.length - maxQueuedMessages;
      this.queue.splice(0, excess);
      metrics.dropped(peer, excess);
      this.options.logger.debug({ peer, dropped: excess }, 'send queue full: dropped the oldest messages');
      this.reportUnreachable();
    }
    this.scheduleFlush();
  }

  get queuedMessages(): number {
    return this.queue.length;
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed || this.queue.length === 0) return;
    if (this.stream === undefined) {
      if (this.retryTimer !== undefined) return; // backing off: the queue waits (bounded)
      this.open();
    }
    const stream = this.stream as ClientWritableStream<SendMessagesRequest>;
    while (this.queue.length > 0 && !this.awaitingDrain) {
      const batch = this.takeBatch();
      this.options.metrics.batchSent(this.options.peer, batch.length);
      if (!stream.write({ messages: batch.map((m) => messageToPb(m)) })) {
        this.awaitingDrain = true;
        stream.once('drain', () => {
          if (this.stream !== stream) return;
          this.awaitingDrain = false;
          this.flush();
        });
      }
    }
  }

  /** The oldest messages that fit in one batch (always at least one). */
  private takeBatch(): Message[] {
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length) {
      bytes += estimateEncodedBytes(this.queue[count]);
      if (count > 0 && bytes > this.options.maxBatchBytes) break;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private open(): void {
    const { client, peer, logger, backoff } = this.options;
    const stream = client().sendMessages(this.options.metadata(), {}, (err: ServiceError | null) => this.ended(stream, err));
    // The outcome arrives through the callback; an 'error' event without a listener would crash the node.
    stream.on('error', () => {});
    stream.on('metadata', () => {
      if (this.stream !== stream) return;
      if (backoff.failures > 0) logger.info({ peer }, `stream to node-${peer} re-established`);
      backoff.reset();
    });
    this.stream = stream;
    this.awaitingDrain = false;
  }

  private ended(stream: ClientWritableStream<SendMessagesRequest>, err: ServiceError | null): void {
    if (this.stream !== stream || this.closed) return;
    this.stream = undefined;
    this.awaitingDrain = false;
    const { peer, logger, backoff, metrics } = this.options;
    metrics.streamFailed(peer);
    const failures = backoff.failures;
    const delayMs = backoff.nextDelayMs();
    const error = err === null ? undefined : fromGrpcError(err, `stream to node-${peer}`);
    if (error?.code === 'ClusterMismatch') {
      // Not a network problem: an operator must look. Say it loudly, but not on every retry.
      if (failures % 10 === 0) logger.error({ peer, err: error.message, retryInMs: delayMs }, `node-${peer} refused our Raft messages: ${error.message}`);
    } else if (failures === 0) {
      logger.warn({ peer, err: error?.message ?? 'stream closed by peer', retryInMs: delayMs }, `stream to node-${peer} failed`);
    } else {
      logger.debug({ peer, err: error?.message, retryInMs: delayMs, failures }, `stream to node-${peer} still failing`);
    }
    this.reportUnreachable();
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.flush();
    }, delayMs);
  }

  private reportUnreachable(): void {
    if (this.reportScheduled) return;
    this.reportScheduled = true;
    queueMicrotask(() => {
      this.reportScheduled = false;
      if (!this.closed) this.options.onUnreachable();
    });
  }
}
