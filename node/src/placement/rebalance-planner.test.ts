import { describe, expect, it } from 'vitest';
import type { MovableChunk } from './move-targets.js';
import { planRebalance, type RebalanceNode } from './rebalance-planner.js';

const GB = 1_000_000;
const node = (id: number, referencedBytes: number, extra: Partial<RebalanceNode> = {}): RebalanceNode => ({
  id,
  state: 'active',
  online: true,
  availableBytes: GB,
  capacityBytes: GB,
  referencedBytes,
  ...extra,
});

/** `count` chunks of `size` on node `id`, each with siblings on two other nodes of the first three. */
function chunksOn(id: number, count: number, size = 100): MovableChunk[] {
  const others = [1, 2, 3].filter((n) => n !== id).slice(0, 2);
  return Array.from({ length: count }, (_, i) => ({ chunkId: `n${id}-${i}.0`, nodeId: id, sizeBytes: size, siblingNodeIds: others, layoutKey: `n${id}-${i}` }));
}

describe('planRebalance', () => {
  it('fills a new empty node until the spread is within tolerance', () => {
    const chunks = new Map([1, 2, 3].map((id) => [id, chunksOn(id, 40)] as const));
    const nodes = [node(1, 4_000), node(2, 4_000), node(3, 4_000), node(4, 0)];
    const plan = planRebalance({ nodes, chunksOf: (id) => chunks.get(id) ?? [], maxMoves: 1000 });
    expect(plan.spreadBefore).toBeCloseTo(4 / 3, 5);
    expect(plan.spreadAfter).toBeLessThanOrEqual(0.05);
    expect(plan.moves.every((m) => m.toNodeId === 4)).toBe(true);
    expect(plan.moves).toHaveLength(30);
    const perSource = new Map<number, number>();
    for (const m of plan.moves) perSource.set(m.fromNodeId, (perSource.get(m.fromNodeId) ?? 0) + 1);
    expect([...perSource.values()]).toEqual([10, 10, 10]);
  });

  it('never plans two columns of one layout onto the same node', () => {
    // Columns 0 and 1 of layout L on nodes 1 and 2, both overfull; node 3 is empty.
    const l0: MovableChunk = { chunkId: 'L.0', nodeId: 1, sizeBytes: 100, siblingNodeIds: [2], layoutKey: 'L' };
    const l1: MovableChunk = { chunkId: 'L.1', nodeId: 2, sizeBytes: 100, siblingNodeIds: [1], layoutKey: 'L' };
    const nodes = [node(1, 300), node(2, 300), node(3, 0)];
    const plan = planRebalance({ nodes, chunksOf: (id) => (id === 1 ? [l0] : id === 2 ? [l1] : []) });
    expect(plan.moves).toHaveLength(1);
    // Without layout keys the nodes of the columns stand in: still only one.
    const bare = (c: MovableChunk): MovableChunk => ({ chunkId: c.chunkId, nodeId: c.nodeId, sizeBytes: c.sizeBytes, siblingNodeIds: c.siblingNodeIds });
    expect(planRebalance({ nodes, chunksOf: (id) => (id === 1 ? [bare(l0)] : id === 2 ? [bare(l1)] : []) }).moves).toHaveLength(1);
  });

  it('stops at one-chunk granularity: a move that would overshoot is not taken', () => {
    const chunks = new Map([[1, chunksOn(1, 1, 1_000)]]);
    const plan = planRebalance({ nodes: [node(1, 1_000), node(2, 600)], chunksOf: (id) => chunks.get(id) ?? [] });
    expect(plan.moves).toEqual([]);
  });

  it('honours capacity: a node twice as big gets twice the data', () => {
    const chunks = new Map([[1, chunksOn(1, 30).map((c) => ({ ...c, siblingNodeIds: [7, 8] }))]]);
    const plan = planRebalance({ nodes: [node(1, 3_000), node(2, 0, { capacityBytes: 2 * GB })], chunksOf: (id) => chunks.get(id) ?? [], maxMoves: 100 });
    expect(plan.moves).toHaveLength(20);
  });

  it.each([
    ['draining', { state: 'draining' as const }],
    ['offline', { online: false }],
    ['full', { availableBytes: 50 }],
  ])('never targets a %s node', (_name, extra) => {
    const chunks = new Map([[1, chunksOn(1, 10)]]);
    const plan = planRebalance({ nodes: [node(1, 1_000), node(2, 1_000), node(4, 0, extra)], chunksOf: (id) => chunks.get(id) ?? [] });
    expect(plan.moves.filter((m) => m.toNodeId === 4)).toEqual([]);
  });

  it('never moves a chunk onto a node that holds a sibling, nor into a zone holding more of its stripe', () => {
    const chunk: MovableChunk = { chunkId: 'x.0', nodeId: 1, sizeBytes: 500, siblingNodeIds: [2, 3] };
    const nodes = [node(1, 1_000, { zone: 'a' }), node(2, 0, { zone: 'b' }), node(3, 0, { zone: 'c' }), node(4, 0, { zone: 'b' })];
    expect(planRebalance({ nodes, chunksOf: (id) => (id === 1 ? [chunk] : []) }).moves).toEqual([]);
    const withZoneA = [...nodes, node(5, 0, { zone: 'a' })];
    expect(planRebalance({ nodes: withZoneA, chunksOf: (id) => (id === 1 ? [chunk] : []) }).moves.map((m) => m.toNodeId)).toEqual([5]);
  });

  it('a balanced cluster plans nothing', () => {
    const chunks = new Map([1, 2, 3].map((id) => [id, chunksOn(id, 10)] as const));
    const plan = planRebalance({ nodes: [node(1, 1_000), node(2, 1_000), node(3, 1_020)], chunksOf: (id) => chunks.get(id) ?? [] });
    expect(plan.moves).toEqual([]);
    expect(plan.spreadBefore).toBeLessThan(0.05);
  });
});
