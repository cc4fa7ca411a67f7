/**
 * A chunk is one shard column of one erasure-coded object (or multipart part): shard j of every stripe,
 * stored on one node as a sequence of blocks, each block with its own checksum verified on every read.
 * All blocks of a chunk have the same size except possibly the last one.
 *
 * Implementations: storage/fs (chunk files under the data directory) and, for chunks on other nodes,
 * transport/grpc's remote chunk store (the same interface over the cluster port).
 */

/** Opaque, unique, filename-safe id (the object service makes it: e.g. `<uuid>.<column>`). */
export type ChunkId = string;

export interface ChunkWriter {
  /**
   * Append the next block (a shard of the next stripe); backpressure via the promise. Once it resolves
   * the writer no longer uses `block` (written, or copied): the caller may reuse its memory.
   */
  append(block: Uint8Array): Promise<void>;
  /** Make the chunk durable (fsync when `[storage] sync_writes`) and visible; resolves once it is. */
  commit(): Promise<void>;
  /** Drop everything written so far (idempotent). */
  abort(): Promise<void>;
}

export interface ChunkInfo {
  chunkId: ChunkId;
  blockSizeBytes: number;
  blockCount: number;
  /** Bytes on disk, checksums and header included. */
  storedBytes: number;
  /** When the chunk was committed (ms since the epoch). */
  createdMs: number;
  /**
   * Set when the chunk's header cannot be read: the block fields are then 0, and the size and time come
   * from the file system. Reading the chunk fails with Corruption.
   */
  damaged?: string;
}

export interface ChunkUsage {
  /** Bytes held by chunks on this node (strata_chunk_storage_bytes). */
  usedBytes: number;
  /** Bytes still free for chunks, reserve excluded (strata_chunk_storage_available_bytes). */
  availableBytes: number;
  /**
   * Milliseconds since the node started during which its S3 gateway had a request in flight (a
   * cumulative counter; absent from a store that does not know its gateway). Paces data moves (0020).
   */
  foregroundBusyMs?: number;
}

/**
 * Buffers a caller recycles, for reads whose blocks it consumes one by one (the chunk service, which
 * sends each block and is then done with it). A store that uses them reads each block into its own
 * buffer from take(), at offset `headroom`, and yields exactly that view; a store may ignore them.
 */
export interface BlockReadBuffers {
  readonly headroom: number;
  /** A buffer of at least `headroom + bytes` bytes. */
  take(bytes: number): Buffer;
}

export interface ReadBlocksOptions {
  buffers?: BlockReadBuffers;
}

export interface ChunkStore {
  /**
   * Start writing a chunk of blocks of `blockSizeBytes` (the last may be shorter). Fails with
   * StrataError('CapacityExceeded') when `expectedBytes` would eat into the node's reserve.
   */
  create(chunkId: ChunkId, options: { blockSizeBytes: number; expectedBytes: number }): Promise<ChunkWriter>;
  /**
   * Blocks [firstBlock, firstBlock + count) in order, each checked against its checksum. A block that
   * fails its checksum (or is missing) throws StrataError('Corruption', ..., {details: {chunkId, block}}).
   */
  readBlocks(chunkId: ChunkId, firstBlock: number, count: number, options?: ReadBlocksOptions): AsyncIterable<Uint8Array>;
  stat(chunkId: ChunkId): Promise<ChunkInfo | undefined>;
  /** Idempotent: deleting a missing chunk is not an error. */
  delete(chunkId: ChunkId): Promise<void>;
  /** Every committed chunk (for garbage collection and scrub). */
  list(): AsyncIterable<ChunkInfo>;
  usage(): Promise<ChunkUsage>;
}

/** What a new chunk is built from: one column of an erasure layout, and where every column lives. */
export interface ChunkBuildSource {
  /** The column the new chunk holds (its current chunk is `layout.chunks[column]`). */
  column: number;
  /** Data bytes of the column (blocks only). */
  sizeBytes: number;
  /** Bytes of the object or part the layout stores (the stripe count follows from it). */
  dataBytes: number;
  layout: {
    codecId: string;
    dataShards: number;
    parityShards: number;
    stripeDataBytes: number;
    shardBytes: number;
    chunks: { nodeId: number; chunkId: ChunkId }[];
  };
}

export interface ChunkBuildRequest {
  newChunkId: ChunkId;
  /** copy: the column's current chunk block by block; rebuild: from any k of the other columns. */
  mode: 'copy' | 'rebuild';
  source: ChunkBuildSource;
}

/**
 * Writes a new chunk on one node, filled by that node itself from other chunks of the cluster; resolves
 * with the data bytes once the chunk is committed. On failure nothing of the new chunk is left.
 */
export interface ChunkBuilder {
  build(request: ChunkBuildRequest): Promise<{ bytes: number }>;
}

/** The chunk stores of the cluster: this node's own, and remote ones reached over the cluster port. */
export interface ChunkStoreDirectory {
  forNode(nodeId: number): ChunkStore;
  /**
   * The builder that runs on `nodeId` (so the data goes straight to it), or undefined when there is none:
   * the caller then reads and writes the blocks itself. A node of an older version refuses the call with
   * StrataError details `{ buildUnsupported: true }`.
   */
  builderFor?(nodeId: number): ChunkBuilder | undefined;
}
