/**
 * A ChunkStore on another node, reached over the cluster port (ChunkService). One channel per peer,
 * shared by every call. Uploads are streams with a bounded write window (a slow peer holds the writer
 * back); every block carries its CRC32C, checked by the receiver on either side. Errors arrive as the
 * StrataError the peer raised (same code), or Unavailable/Timeout when the peer cannot be reached.
 */
import { credentials, status, type ClientWritableStream, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { crc32c } from '@node-rs/crc32';
import type { Clock } from '../../platform/clock.js';
import { StrataError } from '../../platform/errors.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { SystemClock } from '../../platform/real/system-clock.js';
import type { ChunkBuildRequest, ChunkBuilder, ChunkId, ChunkInfo, ChunkStore, ChunkUsage, ChunkWriter } from '../../ports/chunk-store.js';
import type { NodeId } from '../../raft/types.js';
import { callerMetadata } from './call-metadata.js';
import { createChunkClient } from './chunk-service-definition.js';
import { buildChunkRequestToPb } from './build-chunk-wire.js';
import type {
  BuildChunkResponse,
  ChunkServiceClient,
  ChunkInfo as PbChunkInfo,
  PutChunkRequest,
  PutChunkResponse,
  ReadBlocksResponse,
  StatChunkResponse,
} from './generated/strata/cluster/v1/chunks.js';
import { fromGrpcError } from './grpc-errors.js';
import { WriteWindow } from './write-window.js';
import { BlockBufferPool } from './block-buffer-pool.js';
import { peerReconnectOptions } from './peer-reconnect-options.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, PeerChannel } from './peer-channel.js';

export interface RemoteChunkStoreOptions {
  /** host:port of the peer's cluster listener. */
  address: string;
  /** This node's ID (sent with every call). */
  selfId: NodeId;
  /** This node's cluster ID (sent with every call; the peer refuses another cluster's). */
  clusterId: () => string;
  logger?: Logger;
  clock?: Clock;
  /**
   * Upload blocks handed to the stream but not yet to HTTP/2. Default 2: as fast as 4 on the benchmark's
   * PUT rows, and 25 MiB less at the peak with 64 clients (bench/README.md, "Recycled block and stripe buffers").
   */
  maxInFlightBlocks?: number;
  /** Largest gRPC message either way (a block plus framing). Default 64 MiB. */
  maxMessageBytes?: number;
  /** Deadline of stat, delete and usage. Default 30 s. */
  callTimeoutMs?: number;
  /** Deadline of a BuildChunk per block of the chunk (the peer reads and writes each). Default 30 s. */
  buildTimeoutPerBlockMs?: number;
  /** HTTP/2 pings, so a dead peer fails an open stream. Default 10 s. */
  keepaliveMs?: number;
  /** A channel still connecting after this long is replaced (peer-channel.ts). Default 5 s. */
  connectTimeoutMs?: number;
  /** HTTP/2 receive window of this side (downloads). Default 1 MiB. */
  receiveWindowBytes?: number;
  /** Where uploaded blocks are copied for sending (shared by a node's remote stores). Default: a pool of its own. */
  blockBuffers?: BlockBufferPool;
}

export type ResolvedRemoteChunkStoreOptions = Required<RemoteChunkStoreOptions>;

export function resolveRemoteChunkStoreOptions(options: RemoteChunkStoreOptions): ResolvedRemoteChunkStoreOptions {
  for (const [name, value] of Object.entries(options)) {
    if (typeof value === 'number' && name !== 'selfId' && (!Number.isSafeInteger(value) || value <= 0)) {
      throw new StrataError('InvalidConfig', `remote chunk store option ${name} must be a positive integer, got ${value}`);
    }
  }
  return {
    address: options.address,
    selfId: options.selfId,
    clusterId: options.clusterId,
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? new SystemClock(),
    maxInFlightBlocks: options.maxInFlightBlocks ?? 2,
    maxMessageBytes: options.maxMessageBytes ?? 64 * 1024 * 1024,
    callTimeoutMs: options.callTimeoutMs ?? 30_000,
    buildTimeoutPerBlockMs: options.buildTimeoutPerBlockMs ?? 30_000,
    keepaliveMs: options.keepaliveMs ?? 10_000,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    receiveWindowBytes: options.receiveWindowBytes ?? 1024 * 1024,
    blockBuffers: options.blockBuffers ?? new BlockBufferPool(),
  };
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as ServiceError).code === 'number' && 'details' in err;
}

function remoteError(err: unknown, what: string): unknown {
  return isServiceError(err) ? fromGrpcError(err, what) : err;
}

function infoFromPb(info: PbChunkInfo): ChunkInfo {
  return { ...info };
}

export class RemoteChunkStore implements ChunkStore, ChunkBuilder {
  private readonly options: ResolvedRemoteChunkStoreOptions;
  private readonly channel: PeerChannel<ChunkServiceClient>;

  constructor(options: RemoteChunkStoreOptions) {
    this.options = resolveRemoteChunkStoreOptions(options);
    const channelOptions = {
      'grpc.max_receive_message_length': this.options.maxMessageBytes,
      'grpc.max_send_message_length': this.options.maxMessageBytes,
      'grpc.keepalive_time_ms': this.options.keepaliveMs,
      'grpc.keepalive_timeout_ms': Math.max(1000, Math.floor(this.options.keepaliveMs / 2)),
      'grpc.keepalive_permit_without_calls': 1,
      'grpc-node.flow_control_window': this.options.receiveWindowBytes,
      'grpc.enable_retries': 0,
      'grpc.use_local_subchannel_pool': 1,
      ...peerReconnectOptions({ initialMs: 100, maxMs: 2_000 }),
    };
    this.channel = new PeerChannel(() => createChunkClient(this.options.address, credentials.createInsecure(), channelOptions), {
      connectTimeoutMs: this.options.connectTimeoutMs,
      logger: this.options.logger,
      name: this.options.address,
    });
  }

  /** The client for the next call: a channel stuck connecting is replaced by a new one. */
  private get client(): ChunkServiceClient {
    return this.channel.current;
  }

  get address(): string {
    return this.options.address;
  }

  /** Closes the channel (calls in progress fail as Unavailable). */
  close(): void {
    this.channel.close();
  }

  async create(chunkId: ChunkId, options: { blockSizeBytes: number; expectedBytes: number }): Promise<ChunkWriter> {
    const what = `chunk upload ${chunkId} to ${this.options.address}`;
    let answer!: (err: unknown, response?: PutChunkResponse) => void;
    const done = new Promise<PutChunkResponse>((resolve, reject) => {
      answer = (err, response) => (err === null ? resolve(response as PutChunkResponse) : reject(remoteError(err, what)));
    });
    const window = new WriteWindow(this.options.maxInFlightBlocks);
    // The outcome is always observed here; callers see it through append/commit.
    done.catch((err: unknown) => window.fail(err));
    const call = this.client.putChunk(this.metadata(), (err: ServiceError | null, response: PutChunkResponse) => answer(err, response));
    call.on('error', () => undefined); // the status reaches the callback
    const accepted = new Promise<void>((resolve, reject) => {
      call.once('metadata', () => resolve());
      done.then(() => reject(new StrataError('Internal', `${what}: answered before accepting the chunk`)), reject);
    });
    call.write({ header: { chunkId, blockSizeBytes: options.blockSizeBytes, expectedBytes: options.expectedBytes } } satisfies PutChunkRequest);
    await accepted;
    return new RemoteChunkWriter(chunkId, call, window, done, this.options.blockBuffers);
  }

  async *readBlocks(chunkId: ChunkId, firstBlock: number, count: number): AsyncIterable<Uint8Array> {
    if (!Number.isSafeInteger(firstBlock) || firstBlock < 0 || !Number.isSafeInteger(count) || count < 0 || firstBlock + count > 0xffff_ffff) {
      throw new StrataError('InvalidArgument', `chunk ${chunkId}: bad block range first=${firstBlock} count=${count}`);
    }
    const what = `chunk read ${chunkId} from ${this.options.address}`;
    const call = this.client.readBlocks({ chunkId, firstBlock, count }, this.metadata());
    const messages = (call as AsyncIterable<ReadBlocksResponse>)[Symbol.asyncIterator]();
    const last = firstBlock + count;
    let block = firstBlock;
    try {
      // (count 0: read to the end, so the peer's answer, e.g. NotFound, still arrives.)
      while (block < last || count === 0) {
        const next = await messages.next();
        if (next.done === true) break;
        const data = next.value.block?.data;
        if (data === undefined || crc32c(data) !== next.value.block?.crc32c) {
          throw new StrataError('Corruption', `${what}: block ${block} was damaged in transit`, { details: { chunkId, block } });
        }
        block++;
        yield data;
      }
      // Every block is in: the stream ends by itself (the server sends nothing more than its status).
      if (block === last) return;
    } catch (err) {
      throw remoteError(err, what);
    } finally {
      // Stops the server when the caller stopped early or the read failed. After the last block the
      // stream is left to end by itself: cancelling or destroying it there costs two errors with stack
      // traces per read.
      if (block !== last) call.cancel();
    }
    throw new StrataError('Corruption', `${what}: ${block - firstBlock} of ${count} blocks arrived`, { details: { chunkId, block } });
  }

  stat(chunkId: ChunkId): Promise<ChunkInfo | undefined> {
    return this.unary<StatChunkResponse>(`chunk stat ${chunkId} at ${this.options.address}`, (metadata, deadline, cb) =>
      this.client.statChunk({ chunkId }, metadata, { deadline }, cb),
    ).then((response) => (response.info === undefined ? undefined : infoFromPb(response.info)));
  }

  async delete(chunkId: ChunkId): Promise<void> {
    await this.unary(`chunk delete ${chunkId} at ${this.options.address}`, (metadata, deadline, cb) =>
      this.client.deleteChunk({ chunkId }, metadata, { deadline }, cb),
    );
  }

  async *list(): AsyncIterable<ChunkInfo> {
    const call = this.client.listChunks({}, this.metadata());
    try {
      for await (const message of call as AsyncIterable<{ chunks: PbChunkInfo[] }>) {
        for (const info of message.chunks) yield infoFromPb(info);
      }
    } catch (err) {
      throw remoteError(err, `chunk list at ${this.options.address}`);
    } finally {
      call.cancel();
    }
  }

  /** Has the peer build a new chunk itself (BuildChunk); a peer without that call answers buildUnsupported. */
  async build(request: ChunkBuildRequest): Promise<{ bytes: number }> {
    const what = `chunk build ${request.newChunkId} at ${this.options.address}`;
    const blocks = Math.ceil(request.source.dataBytes / request.source.layout.stripeDataBytes);
    const deadline = this.options.clock.wallMs() + this.options.buildTimeoutPerBlockMs * (blocks + 1);
    const response = await new Promise<BuildChunkResponse>((resolve, reject) => {
      this.client.buildChunk(buildChunkRequestToPb(request), this.metadata(), { deadline }, (err, value) => {
        if (err === null) return resolve(value);
        if (err.code === status.UNIMPLEMENTED) {
          return reject(new StrataError('FailedPrecondition', `${what}: the peer cannot build chunks (an older version)`, { details: { buildUnsupported: true }, cause: err }));
        }
        reject(remoteError(err, what));
      });
    });
    return { bytes: response.bytes };
  }

  usage(): Promise<ChunkUsage> {
    return this.unary(`chunk usage at ${this.options.address}`, (metadata, deadline, cb) => this.client.getUsage({}, metadata, { deadline }, cb));
  }

  private metadata(): Metadata {
    return callerMetadata({ clusterId: this.options.clusterId(), nodeId: this.options.selfId });
  }

  private unary<T>(
    what: string,
    start: (metadata: Metadata, deadline: number, callback: (err: ServiceError | null, value: T) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      start(this.metadata(), this.options.clock.wallMs() + this.options.callTimeoutMs, (err, value) =>
        err === null ? resolve(value) : reject(remoteError(err, what)),
      );
    });
  }
}

type WriterState = 'open' | 'committing' | 'committed' | 'aborted';

/** The client half of one upload: blocks go out through the write window, commit ends the stream. */
class RemoteChunkWriter implements ChunkWriter {
  private state: WriterState = 'open';
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly chunkId: ChunkId,
    private readonly call: ClientWritableStream<PutChunkRequest>,
    private readonly window: WriteWindow,
    private readonly done: Promise<PutChunkResponse>,
    private readonly blockBuffers: BlockBufferPool,
  ) {}

  append(block: Uint8Array): Promise<void> {
    if (this.state !== 'open') return Promise.reject(this.closedError('append to'));
    // The one copy of the block goes into a recycled buffer that the message is encoded around (chunk-wire).
    const data = this.blockBuffers.take(block.byteLength).subarray(this.blockBuffers.headroom, this.blockBuffers.headroom + block.byteLength);
    data.set(block);
    const crc = crc32c(data);
    // In order, even when the caller does not wait for each append.
    const write = this.tail.then(() =>
      this.window.write(this.call, { block: { data, crc32c: crc } } satisfies PutChunkRequest, () => this.blockBuffers.release(data)),
    );
    this.tail = write.catch(() => undefined);
    return write;
  }

  async commit(): Promise<void> {
    if (this.state !== 'open') throw this.closedError('commit');
    this.state = 'committing';
    try {
      await this.tail;
      if (this.window.failed !== undefined) throw this.window.failed;
      this.call.end();
      await this.done;
      this.state = 'committed';
    } catch (err) {
      this.state = 'aborted';
      this.call.cancel();
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'committed' || this.state === 'aborted') return;
    if (this.state === 'committing') {
      await this.done.catch(() => undefined);
      return;
    }
    this.state = 'aborted';
    // Cancelling the stream makes the peer drop its temp file.
    this.call.cancel();
    this.window.fail(new StrataError('Conflict', `chunk ${this.chunkId} was aborted`));
    await this.tail;
  }

  private closedError(what: string): unknown {
    if (this.window.failed !== undefined && this.state === 'aborted') return this.window.failed;
    return new StrataError('Conflict', `cannot ${what} chunk ${this.chunkId}: writer is ${this.state}`);
  }
}
