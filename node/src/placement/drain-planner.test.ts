import { describe, expect, it } from 'vitest';
import { planDrain } from './drain-planner.js';
import type { MovableChunk } from './move-targets.js';
import type { PlacementNode } from './placement.js';

const node = (id: number, extra: Partial<PlacementNode> = {}): PlacementNode => ({ id, state: 'active', online: true, availableBytes: 1_000, ...extra });
const chunk = (chunkId: string, nodeId: number, siblingNodeIds: number[], sizeBytes = 100): MovableChunk => ({ chunkId, nodeId, siblingNodeIds, sizeBytes });

describe('planDrain', () => {
  it('moves every chunk to a node holding no sibling, spreading by free room', () => {
    const plan = planDrain({
      nodeId: 4,
      nodes: [node(1), node(2), node(3), node(4), node(5, { availableBytes: 5_000 })],
      chunks: [chunk('a.0', 4, [1, 2]), chunk('b.1', 4, [5, 3]), chunk('c.2', 4, [1, 5], 300)],
    });
    expect(plan.feasible).toBe(true);
    expect(plan.moves.map((m) => [m.chunkId, m.toNodeId])).toEqual([
      ['c.2', 2],
      ['a.0', 5],
      ['b.1', 1],
    ]);
    expect(plan).toMatchObject({ chunks: 3, bytes: 500 });
    expect(plan.targets).toEqual([
      { nodeId: 1, chunks: 1, bytes: 100 },
      { nodeId: 2, chunks: 1, bytes: 300 },
      { nodeId: 5, chunks: 1, bytes: 100 },
    ]);
  });

  it('prefers a zone that holds no sibling', () => {
    const nodes = [node(1, { zone: 'a' }), node(2, { zone: 'b' }), node(3, { zone: 'a', availableBytes: 9_000 }), node(4, { zone: 'c' }), node(5, { zone: 'c' })];
    const plan = planDrain({ nodeId: 4, nodes, chunks: [chunk('x.0', 4, [1, 2])] });
    expect(plan.moves[0].toNodeId).toBe(5);
  });

  it.each([
    ['too few nodes for the widest layout', [node(1), node(2), node(3)], [chunk('a.0', 3, [1, 2])], /spread over 3 nodes, and only 2 other active online nodes remain/],
    ['a down node does not count', [node(1), node(2), node(3), node(4, { online: false })], [chunk('a.0', 3, [1, 2])], /only 2 other/],
    ['a draining node does not count', [node(1), node(2), node(3), node(4, { state: 'draining' })], [chunk('a.0', 3, [1, 2])], /only 2 other/],
    ['too little room', [node(1), node(2), node(3), node(4, { availableBytes: 50 })], [chunk('a.0', 3, [1, 2])], /1 chunk of node-3 \(100 bytes\) fit on no eligible node/],
  ])('refuses with the reason: %s', (_name, nodes, chunks, reason) => {
    const plan = planDrain({ nodeId: 3, nodes, chunks });
    expect(plan.feasible).toBe(false);
    expect(plan.reason).toMatch(reason);
    expect(plan.unplaced).toHaveLength(1);
  });

  it('an empty node drains at once', () => {
    expect(planDrain({ nodeId: 2, nodes: [node(1), node(2)], chunks: [] })).toMatchObject({ feasible: true, chunks: 0, bytes: 0, moves: [] });
  });

  it('counts the room each move takes', () => {
    const plan = planDrain({ nodeId: 9, nodes: [node(1, { availableBytes: 250 }), node(2, { availableBytes: 150 }), node(9)], chunks: [1, 2, 3].map((i) => chunk(`c${i}.0`, 9, [])) });
    expect(plan.moves.map((m) => m.toNodeId).sort()).toEqual([1, 1, 2]);
    const tooMany = planDrain({ nodeId: 9, nodes: [node(1, { availableBytes: 250 }), node(2, { availableBytes: 150 }), node(9)], chunks: [1, 2, 3, 4].map((i) => chunk(`c${i}.0`, 9, [])) });
    expect(tooMany.feasible).toBe(false);
  });
});
