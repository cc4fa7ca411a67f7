/**
 * The server side of ChunkService: serves this node's ChunkStore on the cluster port. Pass it to
 * GrpcTransport's `services`. Callers from another cluster are refused (call-metadata.ts); a handler's
 * StrataError travels with its code (grpc-errors.ts). Streams keep backpressure both ways: an upload is
 * paused while the disk writes a block, a download waits for the peer's flow-control window.
 */
import {
  Metadata,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { crc32c } from '@node-rs/crc32';
import type { BusyTimeMeter } from '../../platform/busy-time-meter.js';
import { StrataError } from '../../platform/errors.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import type { ChunkBuilder, ChunkInfo, ChunkStore, ChunkWriter } from '../../ports/chunk-store.js';
import type { NodeId } from '../../raft/types.js';
import { clusterIdsConflict, clusterMismatchStatus, readCaller } from './call-metadata.js';
import { chunkServiceDefinition } from './chunk-service-definition.js';
import { BlockBufferPool } from './block-buffer-pool.js';
import { buildChunkRequestFromPb } from './build-chunk-wire.js';
import type {
  BuildChunkRequest,
  BuildChunkResponse,
  ChunkInfo as PbChunkInfo,
  DeleteChunkRequest,
  DeleteChunkResponse,
  GetUsageRequest,
  GetUsageResponse,
  ListChunksRequest,
  ListChunksResponse,
  PutChunkRequest,
  PutChunkResponse,
  ReadBlocksRequest,
  ReadBlocksResponse,
  StatChunkRequest,
  StatChunkResponse,
} from './generated/strata/cluster/v1/chunks.js';
import type { ClusterService } from './grpc-transport-options.js';
import { toGrpcError } from './grpc-errors.js';
import { WriteWindow } from './write-window.js';

export interface ChunkServiceServerOptions {
  /** The store served (this node's FsChunkStore). */
  store: ChunkStore;
  nodeId: NodeId;
  /** The node's current cluster ID ('' before bootstrap/join). */
  clusterId: () => string;
  logger?: Logger;
  /** Download messages handed to HTTP/2 but not yet sent, per stream. Default 4. */
  maxInFlightBlocks?: number;
  /** Chunks per ListChunks message. Default 256. */
  listBatchSize?: number;
  /**
   * Builds chunks into this node's store for BuildChunk (wired once the node knows the cluster: it reads
   * other nodes' chunks); undefined until then, and BuildChunk answers Unavailable.
   */
  builder?: () => ChunkBuilder | undefined;
  /** The node's S3 gateway activity, reported with its usage; absent = reported as 0. */
  busyTime?: BusyTimeMeter;
  /** Buffers that blocks read for remote readers are sent from (decision 0023); default: a pool of its own. */
  blockBuffers?: BlockBufferPool;
}

export type ResolvedChunkServiceServerOptions = Required<Omit<ChunkServiceServerOptions, 'busyTime'>> & Pick<ChunkServiceServerOptions, 'busyTime'>;

export function resolveChunkServiceServerOptions(options: ChunkServiceServerOptions): ResolvedChunkServiceServerOptions {
  return {
    store: options.store,
    nodeId: options.nodeId,
    clusterId: options.clusterId,
    logger: options.logger ?? silentLogger,
    maxInFlightBlocks: options.maxInFlightBlocks ?? 4,
    listBatchSize: options.listBatchSize ?? 256,
    builder: options.builder ?? (() => undefined),
    busyTime: options.busyTime,
    blockBuffers: options.blockBuffers ?? new BlockBufferPool(),
  };
}

export function chunkInfoToPb(info: ChunkInfo): PbChunkInfo {
  return { ...info };
}

/** A call from another cluster: the status to answer with, else undefined. */
type Refusal = ReturnType<typeof clusterMismatchStatus>;

export class ChunkServiceServer implements ClusterService {
  readonly definition = chunkServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
  private readonly options: ResolvedChunkServiceServerOptions;
  private readonly logger: Logger;

  constructor(options: ChunkServiceServerOptions) {
    this.options = resolveChunkServiceServerOptions(options);
    this.logger = this.options.logger.child({ component: 'chunk-service' });
    this.implementation = {
      putChunk: (call: ServerReadableStream<PutChunkRequest, PutChunkResponse>, callback: sendUnaryData<PutChunkResponse>) =>
        this.putChunk(call, callback),
      readBlocks: (call: ServerWritableStream<ReadBlocksRequest, ReadBlocksResponse>) => void this.readBlocks(call),
      statChunk: (call: ServerUnaryCall<StatChunkRequest, StatChunkResponse>, callback: sendUnaryData<StatChunkResponse>) =>
        this.unary(call.metadata, callback, async () => {
          const info = await this.options.store.stat(call.request.chunkId);
          return info === undefined ? {} : { info: chunkInfoToPb(info) };
        }),
      deleteChunk: (call: ServerUnaryCall<DeleteChunkRequest, DeleteChunkResponse>, callback: sendUnaryData<DeleteChunkResponse>) =>
        this.unary(call.metadata, callback, async () => {
          await this.options.store.delete(call.request.chunkId);
          return {};
        }),
      listChunks: (call: ServerWritableStream<ListChunksRequest, ListChunksResponse>) => void this.listChunks(call),
      getUsage: (call: ServerUnaryCall<GetUsageRequest, GetUsageResponse>, callback: sendUnaryData<GetUsageResponse>) =>
        this.unary(call.metadata, callback, async () => ({
          ...(await this.options.store.usage()),
          foregroundBusyMs: Math.round(this.options.busyTime?.busyMs() ?? 0),
        })),
      buildChunk: (call: ServerUnaryCall<BuildChunkRequest, BuildChunkResponse>, callback: sendUnaryData<BuildChunkResponse>) =>
        this.unary(call.metadata, callback, async () => {
          const request = buildChunkRequestFromPb(call.request);
          const builder = this.options.builder();
          if (builder === undefined) throw new StrataError('Unavailable', `node-${this.options.nodeId} cannot build chunks yet (not part of a cluster)`, { retryable: true });
          return builder.build(request);
        }),
    };
  }

  private refusal(metadata: Metadata, what: string): Refusal | undefined {
    const caller = readCaller(metadata);
    const clusterId = this.options.clusterId();
    if (!clusterIdsConflict(clusterId, caller.clusterId)) return undefined;
    this.logger.warn({ peer: caller.nodeId, localClusterId: clusterId, remoteClusterId: caller.clusterId }, `refused ${what} from another cluster`);
    return clusterMismatchStatus({ nodeId: this.options.nodeId, clusterId }, caller);
  }

  private unary<T>(metadata: Metadata, callback: sendUnaryData<T>, run: () => Promise<T>): void {
    const refused = this.refusal(metadata, 'a chunk call');
    if (refused !== undefined) return callback(refused);
    run().then(
      (value) => callback(null, value),
      (err: unknown) => callback(toGrpcError(err)),
    );
  }

  private putChunk(call: ServerReadableStream<PutChunkRequest, PutChunkResponse>, callback: sendUnaryData<PutChunkResponse>): void {
    const refused = this.refusal(call.metadata, 'a chunk upload');
    if (refused !== undefined) return callback(refused);
    const caller = readCaller(call.metadata).nodeId;
    let writer: ChunkWriter | undefined;
    let chunkId = '';
    let blocks = 0;
    let done = false;
    // Messages are handled one at a time, in order; the stream is paused meanwhile (backpressure).
    let chain: Promise<void> = Promise.resolve();
    const fail = (err: unknown): void => {
      if (done) return;
      done = true;
      call.removeAllListeners('data');
      const w = writer;
      if (w !== undefined) void w.abort().catch(() => undefined);
      if (!(err instanceof StrataError) || err.code === 'Internal') this.logger.warn({ peer: caller, chunkId, err }, 'chunk upload failed');
      callback(toGrpcError(err));
    };
    const handle = async (request: PutChunkRequest): Promise<void> => {
      if (writer === undefined) {
        const header = request.header;
        if (header === undefined) throw new StrataError('InvalidArgument', 'chunk upload: the first message must be the header');
        chunkId = header.chunkId;
        writer = await this.options.store.create(header.chunkId, { blockSizeBytes: header.blockSizeBytes, expectedBytes: header.expectedBytes });
        // Response headers tell the client the chunk was accepted (create() succeeded).
        call.sendMetadata(new Metadata());
        return;
      }
      const block = request.block;
      if (block === undefined) throw new StrataError('InvalidArgument', `chunk upload ${chunkId}: a second header`);
      if (crc32c(block.data) !== block.crc32c) {
        throw new StrataError('Corruption', `chunk upload ${chunkId}: block ${blocks} was damaged in transit from node-${caller}`, {
          details: { chunkId, block: blocks },
        });
      }
      await writer.append(block.data);
      blocks++;
    };
    call.on('data', (request: PutChunkRequest) => {
      if (done) return;
      call.pause();
      chain = chain.then(() => (done ? undefined : handle(request))).then(() => {
        if (!done) call.resume();
      }, fail);
    });
    call.on('end', () => {
      chain = chain
        .then(async () => {
          if (done) return;
          if (writer === undefined) throw new StrataError('InvalidArgument', 'chunk upload: stream ended before the header');
          await writer.commit();
          done = true;
          callback(null, { blockCount: blocks });
        })
        .catch(fail);
    });
    const cancelled = (): void => {
      if (done) return;
      done = true;
      // The client went away (or cancelled): drop what was written, after the block in hand.
      chain = chain.then(() => writer?.abort()).catch(() => undefined);
      this.logger.debug({ peer: caller, chunkId, blocks }, 'chunk upload cancelled');
    };
    call.on('cancelled', cancelled);
    call.on('error', cancelled);
  }

  private async readBlocks(call: ServerWritableStream<ReadBlocksRequest, ReadBlocksResponse>): Promise<void> {
    const refused = this.refusal(call.metadata, 'a chunk read');
    if (refused !== undefined) {
      call.emit('error', refused);
      return;
    }
    const { chunkId, firstBlock, count } = call.request;
    const window = new WriteWindow(this.options.maxInFlightBlocks);
    const stop = (): void => window.fail(new StrataError('Unavailable', 'chunk read cancelled by the caller'));
    call.on('cancelled', stop);
    try {
      for await (const data of this.options.store.readBlocks(chunkId, firstBlock, count, { buffers: this.options.blockBuffers })) {
        if (call.cancelled) return;
        // grpc-js has copied the message into its frame by the write's callback: the buffer is free again.
        await window.write(call, { block: { data, crc32c: crc32c(data as Buffer) } }, () => this.options.blockBuffers.release(data));
      }
      if (!call.cancelled) call.end();
    } catch (err) {
      if (call.cancelled) return;
      if (!(err instanceof StrataError) || err.code === 'Internal') this.logger.warn({ chunkId, err }, 'chunk read failed');
      call.emit('error', toGrpcError(err));
    } finally {
      call.off('cancelled', stop);
    }
  }

  private async listChunks(call: ServerWritableStream<ListChunksRequest, ListChunksResponse>): Promise<void> {
    const refused = this.refusal(call.metadata, 'a chunk listing');
    if (refused !== undefined) {
      call.emit('error', refused);
      return;
    }
    const window = new WriteWindow(2);
    const stop = (): void => window.fail(new StrataError('Unavailable', 'chunk listing cancelled by the caller'));
    call.on('cancelled', stop);
    try {
      let batch: PbChunkInfo[] = [];
      for await (const info of this.options.store.list()) {
        batch.push(chunkInfoToPb(info));
        if (batch.length >= this.options.listBatchSize) {
          await window.write(call, { chunks: batch });
          batch = [];
        }
      }
      if (batch.length > 0) await window.write(call, { chunks: batch });
      if (!call.cancelled) call.end();
    } catch (err) {
      if (call.cancelled) return;
      call.emit('error', toGrpcError(err));
    } finally {
      call.off('cancelled', stop);
    }
  }
}
