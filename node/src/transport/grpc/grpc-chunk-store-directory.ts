/**
 * The cluster's chunk stores as one node sees them: its own store for its own ID, and for every other
 * node a RemoteChunkStore on the node's current cluster address (one channel per peer, kept until the
 * address changes or the directory closes). The same remote stores ask their nodes to build chunks.
 */
import { StrataError } from '../../platform/errors.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import type { ChunkBuilder, ChunkStore, ChunkStoreDirectory } from '../../ports/chunk-store.js';
import type { NodeId } from '../../raft/types.js';
import { BlockBufferPool } from './block-buffer-pool.js';
import { RemoteChunkStore, type RemoteChunkStoreOptions } from './remote-chunk-store.js';

export interface GrpcChunkStoreDirectoryOptions {
  selfId: NodeId;
  /** This node's own store (served to the others by ChunkServiceServer). */
  local: ChunkStore;
  /** Builds chunks into the local store (the same builder serves BuildChunk); absent = no local builder. */
  localBuilder?: () => ChunkBuilder | undefined;
  /** A node's cluster address (host:port), from the membership; undefined when unknown. */
  addressOf: (nodeId: NodeId) => string | undefined;
  clusterId: () => string;
  logger?: Logger;
  /** Tuning for the remote stores (window, timeouts, message size). */
  remote?: Omit<RemoteChunkStoreOptions, 'address' | 'selfId' | 'clusterId' | 'logger'>;
}

export class GrpcChunkStoreDirectory implements ChunkStoreDirectory {
  private readonly remotes = new Map<NodeId, RemoteChunkStore>();
  private readonly logger: Logger;
  /** One pool of upload buffers for every peer, so idle memory does not grow with the cluster. */
  private readonly blockBuffers = new BlockBufferPool();

  constructor(private readonly options: GrpcChunkStoreDirectoryOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'chunk-directory' });
  }

  forNode(nodeId: NodeId): ChunkStore {
    return nodeId === this.options.selfId ? this.options.local : this.remote(nodeId);
  }

  /** Another node builds over BuildChunk; this node with its own builder. */
  builderFor(nodeId: NodeId): ChunkBuilder | undefined {
    return nodeId === this.options.selfId ? this.options.localBuilder?.() : this.remote(nodeId);
  }

  private remote(nodeId: NodeId): RemoteChunkStore {
    const address = this.options.addressOf(nodeId);
    const cached = this.remotes.get(nodeId);
    if (address === undefined || address === '') {
      throw new StrataError('Unavailable', `no cluster address known for node-${nodeId}`, { retryable: true, details: { nodeId } });
    }
    if (cached !== undefined && cached.address === address) return cached;
    if (cached !== undefined) {
      this.logger.info({ node: nodeId, address, previous: cached.address }, 'chunk store address changed');
      cached.close();
    }
    const remote = new RemoteChunkStore({
      blockBuffers: this.blockBuffers,
      ...this.options.remote,
      address,
      selfId: this.options.selfId,
      clusterId: this.options.clusterId,
      logger: this.logger.child({ peer: nodeId }),
    });
    this.remotes.set(nodeId, remote);
    return remote;
  }

  /** Closes every remote channel. */
  close(): void {
    for (const remote of this.remotes.values()) remote.close();
    this.remotes.clear();
  }
}
