import { assert } from '../platform/assert.js';
import { inlineLength } from './inline-store.js';
import type { ErasureLayout, ObjectLayout } from './records.js';

/** Who holds a layout: an object's manifest, or one part of an in-progress multipart upload. */
export type ChunkOwner =
  | { kind: 'object'; bucket: string; key: string }
  | { kind: 'part'; bucket: string; key: string; uploadId: string; partNumber: number };

/** Where one referenced chunk is, what it holds and who references it (the planners' and movers' view). */
export interface ChunkLocation {
  chunkId: string;
  nodeId: number;
  /** Shard column j of its layout. */
  column: number;
  /** Data bytes the chunk holds (its blocks, checksums and header excluded). */
  sizeBytes: number;
  /** Bytes of the object or part the layout stores (what the stripe count follows from). */
  dataBytes: number;
  /** The layout as last committed (the newest owner's copy). */
  layout: ErasureLayout;
  /** The nodes holding the other columns of the layout. */
  siblingNodeIds: number[];
  owners: ChunkOwner[];
}

interface Entry {
  chunkId: string;
  nodeId: number;
  column: number;
  sizeBytes: number;
  dataBytes: number;
  layout: ErasureLayout;
  /** Owner key -> owner and how often it references the chunk. */
  owners: Map<string, { owner: ChunkOwner; count: number }>;
  refCount: number;
}

/**
 * Which chunks the metadata references, where they are and who references them. Derived state: updated
 * in apply() when a manifest or part is committed, replaced, completed or deleted, and rebuilt from the
 * manifests and uploads on restore (never stored in a snapshot). The garbage collector deletes what is
 * not here; drain, rebalance and recovery move what is.
 */
export class ChunkReferences {
  /** `${nodeId}/${chunkId}` -> entry. */
  private readonly entries = new Map<string, Entry>();
  private readonly byNode = new Map<number, Map<string, Entry>>();
  private readonly bytesByNode = new Map<number, number>();
  /** Bytes of the inline layouts referenced (what a compaction of the inline store keeps, 0024). */
  private inlineBytesValue = 0;

  add(layout: ObjectLayout | undefined, dataBytes: number, owner: ChunkOwner): void {
    const ownerKey = ownerKeyOf(owner);
    this.inlineBytesValue += inlineLength(layout);
    forEachErasure(layout, dataBytes, (erasure, bytes) => {
      erasure.chunks.forEach((chunk, column) => {
        const key = entryKey(chunk.nodeId, chunk.chunkId);
        let entry = this.entries.get(key);
        if (!entry) {
          const sizeBytes = chunkSizeBytes(erasure, bytes);
          entry = { chunkId: chunk.chunkId, nodeId: chunk.nodeId, column, sizeBytes, dataBytes: bytes, layout: erasure, owners: new Map(), refCount: 0 };
          this.entries.set(key, entry);
          let node = this.byNode.get(chunk.nodeId);
          if (!node) {
            node = new Map();
            this.byNode.set(chunk.nodeId, node);
          }
          node.set(chunk.chunkId, entry);
          this.bytesByNode.set(chunk.nodeId, (this.bytesByNode.get(chunk.nodeId) ?? 0) + sizeBytes);
        }
        // The newest layout wins: after a chunk swap it names the sibling's new location.
        entry.layout = erasure;
        entry.column = column;
        entry.refCount++;
        const held = entry.owners.get(ownerKey);
        if (held) held.count++;
        else entry.owners.set(ownerKey, { owner, count: 1 });
      });
    });
  }

  remove(layout: ObjectLayout | undefined, owner: ChunkOwner): void {
    const ownerKey = ownerKeyOf(owner);
    this.inlineBytesValue -= inlineLength(layout);
    forEachErasure(layout, 0, (erasure) => {
      for (const chunk of erasure.chunks) {
        const key = entryKey(chunk.nodeId, chunk.chunkId);
        const entry = this.entries.get(key);
        const held = entry?.owners.get(ownerKey);
        assert(entry && held && held.count > 0, () => `chunk ${chunk.chunkId} on node ${chunk.nodeId} released more often than referenced`);
        held.count--;
        if (held.count === 0) entry.owners.delete(ownerKey);
        entry.refCount--;
        if (entry.refCount === 0) {
          this.entries.delete(key);
          const node = this.byNode.get(chunk.nodeId)!;
          node.delete(chunk.chunkId);
          if (node.size === 0) this.byNode.delete(chunk.nodeId);
          const bytes = (this.bytesByNode.get(chunk.nodeId) ?? 0) - entry.sizeBytes;
          if (node.size === 0) this.bytesByNode.delete(chunk.nodeId);
          else this.bytesByNode.set(chunk.nodeId, bytes);
        }
      }
    });
  }

  /** Bytes held by the inline objects and parts referenced. */
  inlineBytes(): number {
    return this.inlineBytesValue;
  }

  isReferenced(nodeId: number, chunkId: string): boolean {
    return this.entries.has(entryKey(nodeId, chunkId));
  }

  /** Distinct referenced chunks on one node, or in the whole cluster. */
  count(nodeId?: number): number {
    return nodeId === undefined ? this.entries.size : (this.byNode.get(nodeId)?.size ?? 0);
  }

  location(nodeId: number, chunkId: string): ChunkLocation | undefined {
    const entry = this.entries.get(entryKey(nodeId, chunkId));
    return entry ? toLocation(entry) : undefined;
  }

  /** The chunks referenced on a node, in chunk id order (stable across nodes), at most `limit`. */
  chunksOnNode(nodeId: number, limit = Number.POSITIVE_INFINITY): ChunkLocation[] {
    const node = this.byNode.get(nodeId);
    if (!node) return [];
    const ids = [...node.keys()].sort();
    return ids.slice(0, Math.min(ids.length, limit)).map((id) => toLocation(node.get(id)!));
  }

  /** Data bytes of the referenced chunks, per node that holds any. */
  bytesPerNode(): Map<number, number> {
    return new Map(this.bytesByNode);
  }

  /** Node ids that hold referenced chunks (members or not: a removed node's chunks stay until rebuilt). */
  nodesWithChunks(): number[] {
    return [...this.byNode.keys()].sort((a, b) => a - b);
  }

  clear(): void {
    this.entries.clear();
    this.byNode.clear();
    this.bytesByNode.clear();
    this.inlineBytesValue = 0;
  }
}

export function ownerKeyOf(owner: ChunkOwner): string {
  return owner.kind === 'object' ? `o\u0000${owner.bucket}\u0000${owner.key}` : `p\u0000${owner.bucket}\u0000${owner.key}\u0000${owner.uploadId}\u0000${owner.partNumber}`;
}

/**
 * Data bytes of one column of an erasure layout storing `dataBytes`: a full shard per stripe, and the
 * last stripe's shorter shard (ceil(bytes / k) rounded up to 8, at least 8, as erasure/stripe.ts cuts it).
 */
export function chunkSizeBytes(layout: ErasureLayout, dataBytes: number): number {
  if (dataBytes <= 0) return 0;
  const stripes = Math.ceil(dataBytes / layout.stripeDataBytes);
  const lastBytes = dataBytes - (stripes - 1) * layout.stripeDataBytes;
  const lastShard = lastBytes === layout.stripeDataBytes ? layout.shardBytes : Math.max(8, Math.ceil(Math.ceil(lastBytes / layout.dataShards) / 8) * 8);
  return (stripes - 1) * layout.shardBytes + lastShard;
}

function entryKey(nodeId: number, chunkId: string): string {
  return `${nodeId}/${chunkId}`;
}

function toLocation(entry: Entry): ChunkLocation {
  return {
    chunkId: entry.chunkId,
    nodeId: entry.nodeId,
    column: entry.column,
    sizeBytes: entry.sizeBytes,
    dataBytes: entry.dataBytes,
    layout: entry.layout,
    siblingNodeIds: entry.layout.chunks.filter((_, j) => j !== entry.column).map((c) => c.nodeId),
    owners: [...entry.owners.values()].map((o) => o.owner),
  };
}

function forEachErasure(layout: ObjectLayout | undefined, dataBytes: number, visit: (layout: ErasureLayout, dataBytes: number) => void): void {
  if (!layout) return;
  switch (layout.kind) {
    case 'inline':
      return;
    case 'erasure':
      // A compressed layout's stripes hold the compressed bytes: those are what the chunks store.
      visit(layout, layout.compression?.storedBytes ?? dataBytes);
      return;
    case 'multipart':
      for (const part of layout.parts) forEachErasure(part.layout, part.sizeBytes, visit);
      return;
  }
}

/** The same layout with chunk (fromNodeId, chunkId) replaced by (toNodeId, newChunkId) wherever it appears. */
export function swapChunk<T extends ObjectLayout>(layout: T, chunkId: string, fromNodeId: number, toNodeId: number, newChunkId: string): T {
  switch (layout.kind) {
    case 'inline':
      return layout;
    case 'erasure':
      return {
        ...layout,
        chunks: layout.chunks.map((c) => (c.chunkId === chunkId && c.nodeId === fromNodeId ? { nodeId: toNodeId, chunkId: newChunkId } : c)),
      };
    case 'multipart':
      return { ...layout, parts: layout.parts.map((p) => ({ ...p, layout: swapChunk(p.layout, chunkId, fromNodeId, toNodeId, newChunkId) })) };
  }
  return layout;
}
