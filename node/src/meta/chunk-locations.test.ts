import { describe, expect, it } from 'vitest';
import { chunkSizeBytes } from './chunk-references.js';
import { encodeMetaCommand, type MetaCommand, type MetaResult } from './commands.js';
import { MetaStateMachine } from './meta-state-machine.js';
import type { ErasureLayout, ObjectManifest, PartRecord } from './records.js';

const layout = (id: string, nodes = [1, 2, 3]): ErasureLayout => ({
  kind: 'erasure',
  codecId: 'rs-test',
  dataShards: 2,
  parityShards: 1,
  stripeDataBytes: 1024,
  shardBytes: 512,
  chunks: nodes.map((nodeId, j) => ({ nodeId, chunkId: `${id}.${j}` })),
});
// 2000 bytes = one full stripe (512-byte shards) + 976 bytes (488-byte shards): 1000 bytes per chunk.
const manifest = (id: string, nodes?: number[]): ObjectManifest => ({ sizeBytes: 2000, etag: id, lastModifiedMs: 1, layout: layout(id, nodes) });
const part = (n: number, id: string): PartRecord => ({ partNumber: n, etag: id, sizeBytes: 2000, lastModifiedMs: 1, layout: layout(id) });

function run(sm: MetaStateMachine, commands: MetaCommand[]): MetaResult[] {
  return commands.map((c, i) => sm.apply(i + 1, encodeMetaCommand(c)));
}

function withCluster(): MetaStateMachine {
  const sm = new MetaStateMachine();
  sm.bootstrap('c1', { id: 1, address: 'a1:9000', adminUrl: 'http://a1:9090' });
  for (const id of [2, 3, 4]) sm.applyMembership(id, { type: 'addLearner', nodeId: id, address: `a${id}:9000`, adminUrl: `http://a${id}:9090` });
  run(sm, [{ op: 'createBucket', name: 'b', createdMs: 1 }]);
  return sm;
}

describe('chunk sizes', () => {
  it.each([
    [2000, 1000],
    [1024, 512],
    [1, 8],
    [3072, 1536],
    [1030, 512 + 8],
  ])('a %i-byte object over 2+1 with 1 KiB stripes puts %i bytes in each chunk', (dataBytes, expected) => {
    expect(chunkSizeBytes(layout('x'), dataBytes)).toBe(expected);
  });
});

describe('MetaStateMachine chunk locations', () => {
  it('sizes the chunks of a compressed object from the compressed bytes the stripes hold', () => {
    const sm = withCluster();
    const compressed: ObjectManifest = { ...manifest('z'), sizeBytes: 100_000, layout: { ...layout('z'), compression: { codec: 'gzip', storedBytes: 2000 } } };
    run(sm, [{ op: 'putObject', bucket: 'b', key: 'kz', manifest: compressed }]);
    const location = sm.chunkLocation(1, 'z.0');
    expect(location?.dataBytes).toBe(2000);
    expect(location?.sizeBytes).toBe(1000);
  });

  it('indexes chunks per node with size, column and siblings', () => {
    const sm = withCluster();
    run(sm, [
      { op: 'putObject', bucket: 'b', key: 'k1', manifest: manifest('v1') },
      { op: 'putObject', bucket: 'b', key: 'k2', manifest: manifest('v2', [2, 3, 4]) },
    ]);
    expect(sm.chunksOnNode(2).map((c) => c.chunkId)).toEqual(['v1.1', 'v2.0']);
    expect(sm.chunkLocation(3, 'v2.1')).toMatchObject({ nodeId: 3, column: 1, sizeBytes: 1000, dataBytes: 2000, siblingNodeIds: [2, 4] });
    expect(sm.chunkLocation(3, 'v2.1')?.owners).toEqual([{ kind: 'object', bucket: 'b', key: 'k2' }]);
    expect(Object.fromEntries(sm.referencedBytesPerNode())).toEqual({ 1: 1000, 2: 2000, 3: 2000, 4: 1000 });
    run(sm, [{ op: 'deleteObject', bucket: 'b', key: 'k1' }]);
    expect(sm.chunksOnNode(1)).toEqual([]);
    expect(sm.nodesWithChunks()).toEqual([2, 3, 4]);
  });

  it('setMemberState changes a member and refuses an unknown node', () => {
    const sm = withCluster();
    const [ok, missing, raced] = run(sm, [
      { op: 'setMemberState', nodeId: 2, state: 'draining' },
      { op: 'setMemberState', nodeId: 9, state: 'draining' },
      { op: 'setMemberState', nodeId: 2, state: 'drained', ifState: 'active' },
    ]);
    expect(ok).toEqual({ ok: true, value: 'active' });
    expect(missing).toMatchObject({ ok: false, code: 'NotFound' });
    expect(raced).toMatchObject({ ok: false, code: 'Conflict' });
    expect(sm.member(2)?.state).toBe('draining');
    expect(sm.member(2)?.adminUrl).toBe('http://a2:9090');
  });

  it('replaceChunk swaps every reference (objects sharing it and in-progress parts) and the index follows', () => {
    const sm = withCluster();
    run(sm, [
      { op: 'putObject', bucket: 'b', key: 'k1', manifest: manifest('v1') },
      { op: 'putObject', bucket: 'b', key: 'copy', manifest: manifest('v1') },
      { op: 'createMultipartUpload', bucket: 'b', key: 'm', uploadId: 'u', initiatedMs: 1 },
      { op: 'putPart', bucket: 'b', key: 'm', uploadId: 'u', part: part(1, 'p1') },
    ]);
    const [moved, movedPart] = run(sm, [
      { op: 'replaceChunk', chunkId: 'v1.0', fromNodeId: 1, toNodeId: 4, newChunkId: 'n1.0' },
      { op: 'replaceChunk', chunkId: 'p1.2', fromNodeId: 3, toNodeId: 4, newChunkId: 'n2.2' },
    ]);
    expect(moved).toEqual({ ok: true, value: { swapped: 2 } });
    expect(movedPart).toEqual({ ok: true, value: { swapped: 1 } });
    for (const key of ['k1', 'copy']) {
      const chunks = (sm.getObject('b', key)?.layout as ErasureLayout).chunks;
      expect(chunks).toEqual([{ nodeId: 4, chunkId: 'n1.0' }, { nodeId: 2, chunkId: 'v1.1' }, { nodeId: 3, chunkId: 'v1.2' }]);
    }
    expect(sm.isChunkReferenced(1, 'v1.0')).toBe(false);
    expect(sm.isChunkReferenced(4, 'n1.0')).toBe(true);
    expect(sm.chunkLocation(2, 'v1.1')?.siblingNodeIds).toEqual([4, 3]);
    expect(sm.listParts('b', 'm', 'u', { limit: 10 })?.parts[0].layout).toMatchObject({ chunks: [{ nodeId: 1 }, { nodeId: 2 }, { nodeId: 4, chunkId: 'n2.2' }] });
    // Completing the upload keeps the moved chunk referenced.
    run(sm, [{ op: 'completeMultipartUpload', bucket: 'b', key: 'm', uploadId: 'u', parts: [{ partNumber: 1, etag: 'p1' }], etag: 'e-1', lastModifiedMs: 2, minPartSizeBytes: 1 }]);
    expect(sm.chunkLocation(4, 'n2.2')?.owners).toEqual([{ kind: 'object', bucket: 'b', key: 'm' }]);
  });

  it('replaceChunk refuses a chunk nobody references, a target holding a sibling, and a taken id', () => {
    const sm = withCluster();
    run(sm, [{ op: 'putObject', bucket: 'b', key: 'k1', manifest: manifest('v1') }]);
    const results = run(sm, [
      { op: 'replaceChunk', chunkId: 'gone.0', fromNodeId: 1, toNodeId: 4, newChunkId: 'n.0' },
      { op: 'replaceChunk', chunkId: 'v1.0', fromNodeId: 2, toNodeId: 4, newChunkId: 'n.0' },
      { op: 'replaceChunk', chunkId: 'v1.0', fromNodeId: 1, toNodeId: 2, newChunkId: 'n.0' },
      { op: 'replaceChunk', chunkId: 'v1.0', fromNodeId: 1, toNodeId: 3, newChunkId: 'v1.2' },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['NotFound', 'NotFound', 'Conflict', 'Conflict']);
    // In place (a scrub repair): the same node under a new id.
    const [inPlace] = run(sm, [{ op: 'replaceChunk', chunkId: 'v1.0', fromNodeId: 1, toNodeId: 1, newChunkId: 'r.0' }]);
    expect(inPlace.ok).toBe(true);
    expect(sm.chunksOnNode(1).map((c) => c.chunkId)).toEqual(['r.0']);
  });

  it('rebuilds the index from a snapshot (it is not stored in it) and keeps member state and admin URLs', () => {
    const sm = withCluster();
    run(sm, [
      { op: 'putObject', bucket: 'b', key: 'k1', manifest: manifest('v1') },
      { op: 'createMultipartUpload', bucket: 'b', key: 'm', uploadId: 'u', initiatedMs: 1 },
      { op: 'putPart', bucket: 'b', key: 'm', uploadId: 'u', part: part(1, 'p1') },
      { op: 'replaceChunk', chunkId: 'v1.1', fromNodeId: 2, toNodeId: 4, newChunkId: 'n.1' },
      { op: 'setMemberState', nodeId: 2, state: 'drained' },
    ]);
    const data = sm.snapshot();
    expect(new TextDecoder().decode(data)).not.toContain('siblingNodeIds');
    const restored = new MetaStateMachine();
    restored.restore(data);
    for (const node of [1, 2, 3, 4]) expect(restored.chunksOnNode(node)).toEqual(sm.chunksOnNode(node));
    expect(restored.referencedBytesPerNode()).toEqual(sm.referencedBytesPerNode());
    expect(restored.member(2)).toMatchObject({ state: 'drained', adminUrl: 'http://a2:9090' });
    // The restored index keeps working: the part's chunk can still move.
    const [ok] = run(restored, [{ op: 'replaceChunk', chunkId: 'p1.1', fromNodeId: 2, toNodeId: 4, newChunkId: 'n.2' }]);
    expect(ok.ok).toBe(true);
    expect(restored.chunksOnNode(2)).toEqual([]);
  });
});
