import { assert } from '../platform/assert.js';
import type { ObjectLayout } from './records.js';

/**
 * Which chunks the metadata references, per node, counted. Derived state: updated in apply() when a
 * manifest or part is committed, replaced, completed or deleted, and rebuilt from the manifests and
 * uploads on restore (never stored in a snapshot). The garbage collector deletes what is not here.
 */
export class ChunkReferences {
  private readonly byNode = new Map<number, Map<string, number>>();
  private total = 0;

  add(layout: ObjectLayout | undefined): void {
    forEachChunk(layout, (nodeId, chunkId) => {
      let chunks = this.byNode.get(nodeId);
      if (!chunks) {
        chunks = new Map();
        this.byNode.set(nodeId, chunks);
      }
      const count = chunks.get(chunkId) ?? 0;
      if (count === 0) this.total++;
      chunks.set(chunkId, count + 1);
    });
  }

  remove(layout: ObjectLayout | undefined): void {
    forEachChunk(layout, (nodeId, chunkId) => {
      const chunks = this.byNode.get(nodeId);
      const count = chunks?.get(chunkId) ?? 0;
      assert(chunks && count > 0, () => `chunk ${chunkId} on node ${nodeId} released more often than referenced`);
      if (count === 1) {
        chunks.delete(chunkId);
        this.total--;
        if (chunks.size === 0) this.byNode.delete(nodeId);
      } else {
        chunks.set(chunkId, count - 1);
      }
    });
  }

  isReferenced(nodeId: number, chunkId: string): boolean {
    return (this.byNode.get(nodeId)?.get(chunkId) ?? 0) > 0;
  }

  /** Distinct referenced chunks on one node, or in the whole cluster. */
  count(nodeId?: number): number {
    return nodeId === undefined ? this.total : (this.byNode.get(nodeId)?.size ?? 0);
  }

  clear(): void {
    this.byNode.clear();
    this.total = 0;
  }
}

function forEachChunk(layout: ObjectLayout | undefined, visit: (nodeId: number, chunkId: string) => void): void {
  if (!layout) return;
  switch (layout.kind) {
    case 'inline':
      return;
    case 'erasure':
      for (const chunk of layout.chunks) visit(chunk.nodeId, chunk.chunkId);
      return;
    case 'multipart':
      for (const part of layout.parts) forEachChunk(part.layout, visit);
      return;
  }
}
