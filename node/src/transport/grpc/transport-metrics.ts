/**
 * What the transport counts: kept as plain numbers (stats() for tests and status) and mirrored to the
 * MetricsSink as `strata_transport_*` counters, labelled by peer where it helps to find the slow one.
 */
import { noopMetrics, type Counter, type MetricsSink } from '../../platform/metrics.js';
import type { NodeId } from '../../raft/types.js';

export interface GrpcTransportStats {
  /** Stream writes (batches) and the messages they carried. */
  batches: number;
  messages: number;
  /** Messages dropped before a write: queue overflow, too large, or no address for the peer. */
  dropped: number;
  streamFailures: number;
  snapshotsSent: number;
  snapshotsFailed: number;
  snapshotChunks: number;
  received: { batches: number; messages: number; snapshots: number };
}

export class TransportMetrics {
  private readonly counts: GrpcTransportStats = {
    batches: 0,
    messages: 0,
    dropped: 0,
    streamFailures: 0,
    snapshotsSent: 0,
    snapshotsFailed: 0,
    snapshotChunks: 0,
    received: { batches: 0, messages: 0, snapshots: 0 },
  };
  private readonly sentMessages: Counter;
  private readonly sentBatches: Counter;
  private readonly droppedMessages: Counter;
  private readonly streamFailureCount: Counter;
  private readonly snapshots: Counter;
  private readonly receivedMessages: Counter;
  private readonly receivedSnapshots: Counter;

  constructor(sink: MetricsSink = noopMetrics) {
    this.sentMessages = sink.counter('strata_transport_sent_messages_total', 'Raft messages written to peer streams', ['peer']);
    this.sentBatches = sink.counter('strata_transport_sent_batches_total', 'Batches (stream writes) sent to peers', ['peer']);
    this.droppedMessages = sink.counter('strata_transport_dropped_messages_total', 'Raft messages dropped before sending (queue full, too large, unknown peer)', ['peer']);
    this.streamFailureCount = sink.counter('strata_transport_stream_failures_total', 'Peer message streams that failed (then reopened with backoff)', ['peer']);
    this.snapshots = sink.counter('strata_transport_snapshots_sent_total', 'Snapshots sent to peers, by outcome', ['peer', 'result']);
    this.receivedMessages = sink.counter('strata_transport_received_messages_total', 'Raft messages received from peers');
    this.receivedSnapshots = sink.counter('strata_transport_received_snapshots_total', 'Whole snapshots received from peers');
  }

  stats(): GrpcTransportStats {
    return { ...this.counts, received: { ...this.counts.received } };
  }

  batchSent(peer: NodeId, messages: number): void {
    this.counts.batches++;
    this.counts.messages += messages;
    this.sentBatches.inc(1, { peer: String(peer) });
    this.sentMessages.inc(messages, { peer: String(peer) });
  }

  dropped(peer: NodeId, messages: number): void {
    this.counts.dropped += messages;
    this.droppedMessages.inc(messages, { peer: String(peer) });
  }

  streamFailed(peer: NodeId): void {
    this.counts.streamFailures++;
    this.streamFailureCount.inc(1, { peer: String(peer) });
  }

  snapshotChunkSent(): void {
    this.counts.snapshotChunks++;
  }

  snapshotDone(peer: NodeId, ok: boolean): void {
    if (ok) this.counts.snapshotsSent++;
    else this.counts.snapshotsFailed++;
    this.snapshots.inc(1, { peer: String(peer), result: ok ? 'ok' : 'failed' });
  }

  batchReceived(messages: number): void {
    this.counts.received.batches++;
    this.counts.received.messages += messages;
    this.receivedMessages.inc(messages);
  }

  snapshotReceived(): void {
    this.counts.received.snapshots++;
    this.receivedSnapshots.inc();
  }
}
