/**
 * The snapshot path to one peer: one SendSnapshot call per snapshot, one at a time, chunks written with
 * backpressure. The outcome (acknowledged whole, or failed) goes to onStatus exactly once per snapshot.
 */
import type { ClientWritableStream, Metadata, ServiceError } from '@grpc/grpc-js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { Message, NodeId } from '../../raft/types.js';
import type { RaftServiceClient, SendSnapshotRequest, SendSnapshotResponse } from './generated/strata/cluster/v1/raft.js';
import { fromGrpcError } from './grpc-errors.js';
import { snapshotChunks } from './snapshot-chunks.js';
import type { TransportMetrics } from './transport-metrics.js';

export interface SnapshotSenderOptions {
  peer: NodeId;
  /** The peer's client now (a stuck channel is replaced: peer-channel.ts). */
  client: () => RaftServiceClient;
  metadata: () => Metadata;
  clock: Clock;
  logger: Logger;
  chunkBytes: number;
  /** A snapshot not acknowledged within this time counts as failed. */
  timeoutMs: number;
  onStatus: (ok: boolean) => void;
  metrics: TransportMetrics;
}

export class SnapshotSender {
  private pending: Message[] = [];
  private active: ClientWritableStream<SendSnapshotRequest> | undefined;
  private closed = false;

  constructor(private readonly options: SnapshotSenderOptions) {}

  send(message: Message): void {
    if (this.closed) return;
    this.pending.push(message);
    if (this.active === undefined) this.next();
  }

  close(): void {
    this.closed = true;
    this.pending = [];
    const active = this.active;
    this.active = undefined;
    active?.cancel();
  }

  private next(): void {
    const message = this.pending.shift();
    if (message === undefined || this.closed) return;
    const { client, peer, logger, metrics } = this.options;
    const totalBytes = message.snapshot?.data.byteLength ?? 0;
    const startedMs = this.options.clock.nowMs();
    let finished = false;
    const call = client().sendSnapshot(
      this.options.metadata(),
      { deadline: this.options.clock.wallMs() + this.options.timeoutMs },
      (err: ServiceError | null, response?: SendSnapshotResponse) => {
        finished = true;
        if (this.active !== call) return; // closed meanwhile
        this.active = undefined;
        const ok = err === null && response?.receivedBytes === totalBytes;
        metrics.snapshotDone(peer, ok);
        if (ok) {
          logger.info({ peer, bytes: totalBytes, ms: Math.round(this.options.clock.nowMs() - startedMs) }, `snapshot sent to node-${peer}`);
        } else {
          const reason = err === null ? `acknowledged ${response?.receivedBytes ?? 0} of ${totalBytes} bytes` : fromGrpcError(err, 'snapshot').message;
          logger.warn({ peer, bytes: totalBytes, err: reason }, `snapshot to node-${peer} failed`);
        }
        this.options.onStatus(ok);
        this.next();
      },
    );
    this.active = call;
    call.on('error', () => {}); // the callback reports the outcome
    const chunks = snapshotChunks(message, this.options.chunkBytes);
    // Write until the stream pushes back, resume on 'drain'; a failed call ends the loop via `finished`.
    const pump = (): void => {
      while (!finished && this.active === call) {
        const chunk = chunks.next();
        if (chunk.done === true) {
          call.end();
          return;
        }
        metrics.snapshotChunkSent();
        if (!call.write(chunk.value)) {
          call.once('drain', pump);
          return;
        }
      }
    };
    pump();
  }
}
