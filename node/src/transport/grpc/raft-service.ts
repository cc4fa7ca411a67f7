/**
 * The server side of RaftService: checks who is calling, decodes batches and reassembled snapshots into
 * the handler's onMessages, and answers joins. Every refusal is a gRPC status with `x-strata-error-code`.
 */
import { Metadata, type sendUnaryData, type ServerReadableStream, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from '../../platform/logger.js';
import { StrataError } from '../../platform/errors.js';
import type { Message, NodeId } from '../../raft/types.js';
import type { TransportHandler } from '../../ports/transport.js';
import type {
  JoinRequest,
  JoinResponse,
  RaftServiceServer,
  SendMessagesRequest,
  SendMessagesResponse,
  SendSnapshotRequest,
  SendSnapshotResponse,
} from './generated/strata/cluster/v1/raft.js';
import { clusterIdsConflict, clusterMismatchError, clusterMismatchStatus, readCaller, type CallerIdentity } from './call-metadata.js';
import { toGrpcError } from './grpc-errors.js';
import { messageFromPb } from './raft-codec.js';
import { SnapshotAssembler } from './snapshot-chunks.js';
import type { TransportMetrics } from './transport-metrics.js';

export interface RaftServiceContext {
  nodeId: NodeId;
  clusterId(): string;
  /** undefined once the transport stopped: calls are then refused as Unavailable. */
  handler(): TransportHandler | undefined;
  logger: Logger;
  maxSnapshotBytes: number;
  metrics: TransportMetrics;
}

export function createRaftService(ctx: RaftServiceContext): RaftServiceServer {
  const local = (): { nodeId: NodeId; clusterId: string } => ({ nodeId: ctx.nodeId, clusterId: ctx.clusterId() });

  /** undefined when the caller may proceed; otherwise the reason it may not (already logged). */
  function refusal(caller: CallerIdentity, what: string): StrataError | undefined {
    if (ctx.handler() === undefined) return new StrataError('Stopped', `node-${ctx.nodeId} is stopping`, { retryable: true });
    if (clusterIdsConflict(ctx.clusterId(), caller.clusterId)) {
      const err = clusterMismatchError(local(), caller);
      ctx.logger.warn({ peer: caller.nodeId, localClusterId: ctx.clusterId(), remoteClusterId: caller.clusterId }, `refused ${what}: ${err.message}`);
      return err;
    }
    return undefined;
  }

  function deliver(messages: Message[]): void {
    const handler = ctx.handler();
    if (handler === undefined) throw new StrataError('Stopped', `node-${ctx.nodeId} is stopping`, { retryable: true });
    const mine = messages.filter((m) => m.to === ctx.nodeId);
    if (mine.length !== messages.length) {
      ctx.logger.warn({ dropped: messages.length - mine.length }, 'dropped messages addressed to another node ID');
    }
    if (mine.length > 0) handler.onMessages(mine);
  }

  return {
    sendMessages(call: ServerReadableStream<SendMessagesRequest, SendMessagesResponse>, callback: sendUnaryData<SendMessagesResponse>): void {
      const caller = readCaller(call.metadata);
      const refused = refusal(caller, 'Raft messages');
      if (refused !== undefined) {
        callback(refused.code === 'ClusterMismatch' ? clusterMismatchStatus(local(), caller) : toGrpcError(refused));
        return;
      }
      // Headers now, so the sender knows the stream was accepted (and resets its backoff).
      call.sendMetadata(new Metadata());
      let batches = 0;
      let count = 0;
      let done = false;
      const fail = (err: unknown): void => {
        if (done) return;
        done = true;
        call.removeAllListeners('data');
        callback(toGrpcError(err));
      };
      call.on('data', (batch: SendMessagesRequest) => {
        if (done) return;
        // The cluster ID may have been learned since the stream opened.
        if (clusterIdsConflict(ctx.clusterId(), caller.clusterId)) {
          done = true;
          callback(clusterMismatchStatus(local(), caller));
          return;
        }
        try {
          const messages = batch.messages.map(messageFromPb);
          batches++;
          count += messages.length;
          ctx.metrics.batchReceived(messages.length);
          deliver(messages);
        } catch (err) {
          ctx.logger.warn({ peer: caller.nodeId, err }, 'failed a Raft message stream');
          fail(err);
        }
      });
      call.on('end', () => {
        if (done) return;
        done = true;
        callback(null, { batches, messages: count });
      });
      call.on('error', () => {
        // Cancelled by the peer (or its connection died): nothing to answer.
        done = true;
      });
    },

    sendSnapshot(call: ServerReadableStream<SendSnapshotRequest, SendSnapshotResponse>, callback: sendUnaryData<SendSnapshotResponse>): void {
      const caller = readCaller(call.metadata);
      const refused = refusal(caller, 'a snapshot');
      if (refused !== undefined) {
        callback(refused.code === 'ClusterMismatch' ? clusterMismatchStatus(local(), caller) : toGrpcError(refused));
        return;
      }
      const assembler = new SnapshotAssembler({ maxSnapshotBytes: ctx.maxSnapshotBytes });
      let done = false;
      const fail = (err: unknown): void => {
        if (done) return;
        done = true;
        call.removeAllListeners('data');
        ctx.logger.warn({ peer: caller.nodeId, err }, 'failed a snapshot stream');
        callback(toGrpcError(err));
      };
      call.on('data', (chunk: SendSnapshotRequest) => {
        if (done) return;
        try {
          assembler.add(chunk);
        } catch (err) {
          fail(err);
        }
      });
      call.on('end', () => {
        if (done) return;
        try {
          const message = assembler.finish();
          ctx.metrics.snapshotReceived();
          deliver([message]);
          done = true;
          ctx.logger.info({ peer: caller.nodeId, bytes: assembler.receivedBytes, index: message.snapshot?.metadata.index }, 'received snapshot');
          callback(null, { receivedBytes: assembler.receivedBytes });
        } catch (err) {
          fail(err);
        }
      });
      call.on('error', () => {
        done = true;
      });
    },

    join(call: ServerUnaryCall<JoinRequest, JoinResponse>, callback: sendUnaryData<JoinResponse>): void {
      const caller = readCaller(call.metadata);
      const request = call.request;
      const refused = refusal(caller, 'a join');
      if (refused !== undefined) {
        callback(refused.code === 'ClusterMismatch' ? clusterMismatchStatus(local(), caller) : toGrpcError(refused));
        return;
      }
      // The joining node's own idea of its cluster, as well as the metadata's.
      const claimed: CallerIdentity = { clusterId: request.clusterId, nodeId: request.nodeId };
      if (clusterIdsConflict(ctx.clusterId(), claimed.clusterId)) {
        ctx.logger.warn({ peer: request.nodeId, remoteClusterId: request.clusterId }, 'refused a join from another cluster');
        callback(clusterMismatchStatus(local(), claimed));
        return;
      }
      const handler = ctx.handler() as TransportHandler;
      let answer: Promise<{ clusterId: string; members: { id: NodeId; address: string }[] }>;
      try {
        answer = handler.onJoin({ nodeId: request.nodeId, address: request.address, clusterId: request.clusterId, zone: request.zone || undefined, adminUrl: request.adminUrl || undefined });
      } catch (err) {
        answer = Promise.reject(err);
      }
      answer.then(
        (response) => callback(null, { clusterId: response.clusterId, members: response.members.map((m) => ({ id: m.id, address: m.address })) }),
        (err: unknown) => {
          ctx.logger.info({ peer: request.nodeId, code: err instanceof StrataError ? err.code : 'Internal' }, 'join refused');
          callback(toGrpcError(err));
        },
      );
    },
  };
}
