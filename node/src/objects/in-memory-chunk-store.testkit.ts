import { StrataError } from '../platform/errors.js';
import type { ChunkId, ChunkInfo, ChunkStore, ChunkStoreDirectory, ChunkUsage, ChunkWriter } from '../ports/chunk-store.js';

interface StoredChunk {
  blocks: Uint8Array[];
  blockSizeBytes: number;
  createdMs: number;
}

/** Faults a test can switch on; each is checked on every call. */
export interface ChunkStoreFaults {
  /** Every call fails with Unavailable (a node down). */
  down?: boolean;
  /** create() refuses with CapacityExceeded. */
  full?: boolean;
  /** append() fails once this many blocks were appended to a chunk. */
  failAppendAfterBlocks?: number;
  /** Reads of these blocks fail with Corruption (by chunk id, block index). */
  corruptBlocks?: Set<string>;
  /** Reads never answer (a hung node). */
  hangReads?: boolean;
  /** Appends never answer. */
  hangWrites?: boolean;
}

/** A ChunkStore in memory for the unit tests of objects/: committed chunks, aborts, faults. */
export class InMemoryChunkStore implements ChunkStore {
  readonly chunks = new Map<ChunkId, StoredChunk>();
  readonly aborted = new Set<ChunkId>();
  readonly deleted: ChunkId[] = [];
  /** Chunks being written (created, neither committed nor aborted). */
  readonly open = new Set<ChunkId>();
  faults: ChunkStoreFaults = {};
  blockReads = 0;

  constructor(
    readonly nodeId: number,
    private readonly nowMs: () => number = () => 0,
  ) {}

  async create(chunkId: ChunkId, options: { blockSizeBytes: number; expectedBytes: number }): Promise<ChunkWriter> {
    this.check();
    if (this.faults.full) throw new StrataError('CapacityExceeded', `node ${this.nodeId} is full`);
    const blocks: Uint8Array[] = [];
    let state: 'open' | 'committed' | 'aborted' = 'open';
    this.open.add(chunkId);
    return {
      append: async (block) => {
        this.check();
        if (state !== 'open') throw new Error(`append to a ${state} chunk ${chunkId}`);
        if (this.faults.hangWrites) await new Promise(() => {});
        if (this.faults.failAppendAfterBlocks !== undefined && blocks.length >= this.faults.failAppendAfterBlocks) {
          throw new StrataError('Internal', `disk error on node ${this.nodeId}`);
        }
        if (block.byteLength > options.blockSizeBytes) throw new Error(`block of ${block.byteLength} > ${options.blockSizeBytes}`);
        blocks.push(Uint8Array.from(block));
      },
      commit: async () => {
        this.check();
        if (state !== 'open') throw new Error(`commit of a ${state} chunk ${chunkId}`);
        state = 'committed';
        this.open.delete(chunkId);
        this.chunks.set(chunkId, { blocks, blockSizeBytes: options.blockSizeBytes, createdMs: this.nowMs() });
      },
      abort: async () => {
        if (state === 'open') {
          state = 'aborted';
          this.open.delete(chunkId);
          this.aborted.add(chunkId);
        }
      },
    };
  }

  async *readBlocks(chunkId: ChunkId, firstBlock: number, count: number): AsyncIterable<Uint8Array> {
    for (let i = firstBlock; i < firstBlock + count; i++) {
      this.check();
      if (this.faults.hangReads) await new Promise(() => {});
      const chunk = this.chunks.get(chunkId);
      if (!chunk || i >= chunk.blocks.length || this.faults.corruptBlocks?.has(`${chunkId}#${i}`)) {
        throw new StrataError('Corruption', `block ${i} of chunk ${chunkId} is missing or damaged`, { details: { chunkId, block: i } });
      }
      this.blockReads++;
      yield Uint8Array.from(chunk.blocks[i]);
    }
  }

  async stat(chunkId: ChunkId): Promise<ChunkInfo | undefined> {
    const chunk = this.chunks.get(chunkId);
    return chunk ? info(chunkId, chunk) : undefined;
  }

  async delete(chunkId: ChunkId): Promise<void> {
    this.check();
    this.deleted.push(chunkId);
    this.chunks.delete(chunkId);
  }

  async *list(): AsyncIterable<ChunkInfo> {
    this.check();
    for (const [chunkId, chunk] of [...this.chunks]) yield info(chunkId, chunk);
  }

  async usage(): Promise<ChunkUsage> {
    let usedBytes = 0;
    for (const [id, chunk] of this.chunks) usedBytes += info(id, chunk).storedBytes;
    return { usedBytes, availableBytes: 2 ** 40 };
  }

  private check(): void {
    if (this.faults.down) throw new StrataError('Unavailable', `node ${this.nodeId} is down`, { retryable: true });
  }
}

function info(chunkId: ChunkId, chunk: StoredChunk): ChunkInfo {
  const storedBytes = chunk.blocks.reduce((sum, b) => sum + b.byteLength, 0);
  return { chunkId, blockSizeBytes: chunk.blockSizeBytes, blockCount: chunk.blocks.length, storedBytes, createdMs: chunk.createdMs };
}

/** One in-memory store per node id. */
export class InMemoryChunkStoreDirectory implements ChunkStoreDirectory {
  readonly stores = new Map<number, InMemoryChunkStore>();

  constructor(nodeIds: number[], nowMs?: () => number) {
    for (const id of nodeIds) this.stores.set(id, new InMemoryChunkStore(id, nowMs));
  }

  forNode(nodeId: number): InMemoryChunkStore {
    const store = this.stores.get(nodeId);
    if (!store) throw new StrataError('Unavailable', `no chunk store for node ${nodeId}`, { retryable: true });
    return store;
  }

  all(): InMemoryChunkStore[] {
    return [...this.stores.values()];
  }

  /** Committed chunks across every node. */
  chunkCount(): number {
    return this.all().reduce((sum, s) => sum + s.chunks.size, 0);
  }
}
