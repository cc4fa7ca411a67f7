import { describe, expect, it } from 'vitest';
import { isStrataError } from '../platform/errors.js';
import { defaultErasureScheme, placeShards, type PlacementNode } from './placement.js';

const GiB = 2 ** 30;

function node(id: number, extra: Partial<PlacementNode> = {}): PlacementNode {
  return { id, state: 'active', online: true, availableBytes: 100 * GiB, ...extra };
}

function nodes(count: number, extra: (id: number) => Partial<PlacementNode> = () => ({})): PlacementNode[] {
  return Array.from({ length: count }, (_, i) => node(i + 1, extra(i + 1)));
}

function zoneCounts(placed: number[], all: PlacementNode[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of placed) {
    const zone = all.find((n) => n.id === id)!.zone ?? `node:${id}`;
    counts.set(zone, (counts.get(zone) ?? 0) + 1);
  }
  return counts;
}

describe('placeShards', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 3],
    [6, 6],
    [10, 6],
    [12, 12],
  ])('%i nodes, %i shards: distinct eligible node ids', (nodeCount, shardCount) => {
    const all = nodes(nodeCount);
    for (let s = 0; s < 200; s++) {
      const placed = placeShards({ nodes: all, shardCount, seed: `object-${s}`, shardBytes: 1024 });
      expect(placed).toHaveLength(shardCount);
      expect(new Set(placed).size).toBe(shardCount);
      for (const id of placed) expect(all.some((n) => n.id === id)).toBe(true);
    }
  });

  it('is deterministic for a seed, whatever the order of the nodes', () => {
    const all = nodes(9, (id) => ({ zone: `z${id % 3}` }));
    for (let s = 0; s < 100; s++) {
      const first = placeShards({ nodes: all, shardCount: 6, seed: `seed-${s}`, shardBytes: 1 });
      const reversed = placeShards({ nodes: [...all].reverse(), shardCount: 6, seed: `seed-${s}`, shardBytes: 1 });
      expect(reversed).toEqual(first);
    }
    const a = placeShards({ nodes: all, shardCount: 6, seed: 'a', shardBytes: 1 });
    const differ = Array.from({ length: 20 }, (_, s) => placeShards({ nodes: all, shardCount: 6, seed: `b${s}`, shardBytes: 1 }));
    expect(differ.some((placed) => placed.join() !== a.join())).toBe(true);
  });

  it.each([
    ['draining', { state: 'draining' as const }],
    ['drained', { state: 'drained' as const }],
    ['offline', { online: false }],
    ['full', { availableBytes: 1023 }],
  ])('never places on %s nodes', (_name, excluded) => {
    const all = nodes(8, (id) => (id % 2 === 0 ? excluded : {}));
    for (let s = 0; s < 300; s++) {
      const placed = placeShards({ nodes: all, shardCount: 4, seed: `k${s}`, shardBytes: 1024 });
      expect(placed.every((id) => id % 2 === 1)).toBe(true);
    }
  });

  it('accepts a node with exactly the shard size available', () => {
    expect(placeShards({ nodes: [node(7, { availableBytes: 4096 })], shardCount: 1, seed: 's', shardBytes: 4096 })).toEqual([7]);
  });

  it.each([
    // zones -> shardCount -> the most any zone may hold
    [[2, 2, 2], 6, 2],
    [[2, 2, 2], 3, 1],
    [[2, 2, 2], 4, 2],
    [[3, 3], 6, 3],
    [[4, 1, 1], 3, 1],
    [[4, 1, 1], 6, 4], // unavoidable: the other zones have one node each
    [[5, 5, 5, 5], 6, 2],
    [[3, 2, 1], 5, 2],
  ])('zones of sizes %j, %i shards: no zone holds more than %i', (sizes, shardCount, maxPerZone) => {
    let id = 0;
    const all = sizes.flatMap((size, z) => Array.from({ length: size }, () => node(++id, { zone: `zone-${z}` })));
    const seen = new Map<string, number>();
    for (let s = 0; s < 500; s++) {
      const placed = placeShards({ nodes: all, shardCount, seed: `obj/${s}`, shardBytes: 1 });
      const counts = zoneCounts(placed, all);
      expect(Math.max(...counts.values())).toBe(maxPerZone);
      for (const [zone, count] of counts) seen.set(zone, (seen.get(zone) ?? 0) + count);
    }
    // Every zone takes part over many seeds (which zone gets the extra shard rotates).
    expect(seen.size).toBe(sizes.length);
  });

  it('spreads evenly over 10k seeds on 6 nodes (each node within 15% of the mean)', () => {
    for (const shardCount of [1, 3]) {
      const counts = new Map<number, number>();
      const all = nodes(6);
      for (let s = 0; s < 10_000; s++) {
        for (const id of placeShards({ nodes: all, shardCount, seed: `bucket/key-${s}#0`, shardBytes: 1 })) {
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
      }
      const mean = (10_000 * shardCount) / 6;
      expect(counts.size).toBe(6);
      for (const count of counts.values()) expect(Math.abs(count - mean) / mean).toBeLessThan(0.15);
    }
  });

  it('spreads data shards (the first k) evenly too, since they carry the reads', () => {
    const counts = new Map<number, number>();
    const all = nodes(6, (id) => ({ zone: `z${id % 3}` }));
    for (let s = 0; s < 10_000; s++) {
      const placed = placeShards({ nodes: all, shardCount: 6, seed: `u${s}`, shardBytes: 1 });
      for (const id of placed.slice(0, 4)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const mean = (10_000 * 4) / 6;
    for (const count of counts.values()) expect(Math.abs(count - mean) / mean).toBeLessThan(0.15);
  });

  it('weights by free space only mildly: an empty node wins more, a nearly full one less, neither all', () => {
    const all = [node(1, { availableBytes: 400 * GiB }), ...nodes(5, () => ({})).map((n) => ({ ...n, id: n.id + 1 })), node(7, { availableBytes: 10 * GiB })];
    const counts = new Map<number, number>();
    for (let s = 0; s < 10_000; s++) {
      for (const id of placeShards({ nodes: all, shardCount: 1, seed: `w${s}`, shardBytes: 1 })) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const equal = counts.get(2)!;
    expect(counts.get(1)!).toBeGreaterThan(equal * 1.5); // weight 2 vs 1
    expect(counts.get(1)!).toBeLessThan(10_000 * 0.4);
    expect(counts.get(7)!).toBeLessThan(equal * 0.7); // weight 0.5 vs 1
    expect(counts.get(7)!).toBeGreaterThan(0);
  });

  it('moves little when a node joins (rendezvous): only shards the newcomer wins', () => {
    const before = nodes(6);
    const after = nodes(7);
    let moved = 0;
    for (let s = 0; s < 2000; s++) {
      const a = placeShards({ nodes: before, shardCount: 1, seed: `m${s}`, shardBytes: 1 })[0];
      const b = placeShards({ nodes: after, shardCount: 1, seed: `m${s}`, shardBytes: 1 })[0];
      if (a !== b) {
        moved++;
        expect(b).toBe(7);
      }
    }
    expect(moved / 2000).toBeGreaterThan(0.1);
    expect(moved / 2000).toBeLessThan(0.2); // about 1/7
  });

  it.each([
    [[node(1), node(2), node(3, { state: 'draining' })], 3, 2],
    [[node(1, { online: false }), node(2)], 2, 1],
    [[node(1, { online: false }), node(2, { availableBytes: 10 })], 2, 0],
    [[], 1, 0],
  ])('throws Unavailable (retryable) when too few nodes are up', (all, shardCount, eligible) => {
    let error: unknown;
    try {
      placeShards({ nodes: all, shardCount, seed: 'x', shardBytes: 100 });
    } catch (err) {
      error = err;
    }
    expect(isStrataError(error, 'Unavailable')).toBe(true);
    if (!isStrataError(error)) return;
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`${eligible} of ${all.length} nodes are eligible`);
    expect(error.message).toContain(`${shardCount} needed`);
    expect(error.details).toMatchObject({ needed: shardCount, eligible });
  });

  it('throws CapacityExceeded when enough nodes are up but too few have room', () => {
    let error: unknown;
    try {
      placeShards({ nodes: [node(1, { availableBytes: 10 }), node(2, { availableBytes: 1000 }), node(3)], shardCount: 3, seed: 'x', shardBytes: 100 });
    } catch (err) {
      error = err;
    }
    expect(isStrataError(error, 'CapacityExceeded')).toBe(true);
    expect((error as Error).message).toContain('only 2 of 3 available nodes have that much room');
  });

  it('treats duplicate node ids as a bug', () => {
    expect(() => placeShards({ nodes: [node(1), node(1)], shardCount: 1, seed: 's', shardBytes: 0 })).toThrow(/duplicate/);
  });
});

describe('defaultErasureScheme', () => {
  it.each([
    [1, 1, 0],
    [2, 1, 1],
    [3, 2, 1],
    [4, 2, 1],
    [5, 2, 1],
    [6, 4, 2],
    [7, 4, 2],
    [20, 4, 2],
  ])('%i nodes -> %i+%i', (nodeCount, dataShards, parityShards) => {
    expect(defaultErasureScheme(nodeCount)).toEqual({ dataShards, parityShards });
  });

  it('never needs more nodes than it is given', () => {
    for (let n = 1; n <= 12; n++) {
      const { dataShards, parityShards } = defaultErasureScheme(n);
      expect(dataShards + parityShards).toBeLessThanOrEqual(n);
    }
  });

  it('refuses a cluster of no nodes', () => {
    expect(() => defaultErasureScheme(0)).toThrow(/positive/);
  });
});
