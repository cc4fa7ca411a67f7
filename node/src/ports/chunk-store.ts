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
  /** Append the next block (a shard of the next stripe). Resolves when buffered; backpressure via the promise. */
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
  readBlocks(chunkId: ChunkId, firstBlock: number, count: number): AsyncIterable<Uint8Array>;
  stat(chunkId: ChunkId): Promise<ChunkInfo | undefined>;
  /** Idempotent: deleting a missing chunk is not an error. */
  delete(chunkId: ChunkId): Promise<void>;
  /** Every committed chunk (for garbage collection and scrub). */
  list(): AsyncIterable<ChunkInfo>;
  usage(): Promise<ChunkUsage>;
}

/** The chunk stores of the cluster: this node's own, and remote ones reached over the cluster port. */
export interface ChunkStoreDirectory {
  forNode(nodeId: number): ChunkStore;
}
