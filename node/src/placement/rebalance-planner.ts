import { assert } from '../platform/assert.js';
import type { MovableChunk, PlannedMove } from './move-targets.js';
import type { PlacementNode } from './placement.js';

export interface RebalanceNode extends PlacementNode {
  /** Disk bytes for chunks (used + available): a node's fair share of the data follows its capacity. */
  capacityBytes: number;
  /** Data bytes of the chunks the metadata places on it. */
  referencedBytes: number;
}

export interface RebalancePlanInput {
  nodes: readonly RebalanceNode[];
  /** The chunks of each node (only those of active online nodes are considered). */
  chunksOf(nodeId: number): readonly MovableChunk[];
  /** Stop once max - min of the nodes' fill relative to the mean is within this (0.05 = 5%). */
  tolerance?: number;
  /** At most this many moves per plan (the worker plans again after doing them). */
  maxMoves?: number;
}

export interface RebalancePlan {
  moves: PlannedMove[];
  /** (max - min) / mean of referenced bytes per capacity over the active online nodes, before the moves. */
  spreadBefore: number;
  /** The same after the planned moves. */
  spreadAfter: number;
}

/**
 * Moves from the fullest to the emptiest nodes (fill = referenced bytes / capacity, so equal disks end up
 * with equal data) until the spread is within `tolerance` of the mean or no single chunk move improves
 * it (the "one chunk" granularity). A move is taken only when it brings both nodes closer to their fair
 * share, so a plan never oscillates; targets obey the placement rules (active, online, room, no sibling
 * column, not into a zone that already holds more of the stripe than the source's zone).
 */
export function planRebalance(input: RebalancePlanInput): RebalancePlan {
  const tolerance = input.tolerance ?? 0.05;
  const maxMoves = input.maxMoves ?? 64;
  const nodes = input.nodes.filter((n) => n.state === 'active' && n.online && n.capacityBytes > 0);
  const ref = new Map(nodes.map((n) => [n.id, n.referencedBytes] as const));
  const room = new Map(nodes.map((n) => [n.id, n.availableBytes] as const));
  const zoneOf = new Map(input.nodes.map((n) => [n.id, n.zone] as const));
  const totalRef = nodes.reduce((s, n) => s + n.referencedBytes, 0);
  const totalCap = nodes.reduce((s, n) => s + n.capacityBytes, 0);
  const fair = new Map(nodes.map((n) => [n.id, (totalRef * n.capacityBytes) / totalCap] as const));
  const spreadBefore = spreadOf(nodes, ref);
  const moves: PlannedMove[] = [];
  if (nodes.length < 2 || totalRef === 0) return { moves, spreadBefore, spreadAfter: spreadBefore };

  const remaining = new Map(nodes.map((n) => [n.id, [...input.chunksOf(n.id)].sort((a, b) => b.sizeBytes - a.sizeBytes)] as const));
  // Nodes a planned move adds to a layout, so two columns of one stripe are never planned onto one node.
  // Without a layout key, the nodes of its columns stand in (conservative: such layouts share a key).
  const addedTo = new Map<string, Set<number>>();
  const layoutKey = (c: MovableChunk) => c.layoutKey ?? [...c.siblingNodeIds, c.nodeId].sort((x, y) => x - y).join(',');

  while (moves.length < maxMoves && spreadOf(nodes, ref) > tolerance) {
    const byExcess = [...nodes].sort((a, b) => excess(b.id) - excess(a.id) || a.id - b.id);
    const move = findMove(byExcess);
    if (!move) break;
    moves.push(move.planned);
    ref.set(move.planned.fromNodeId, ref.get(move.planned.fromNodeId)! - move.planned.sizeBytes);
    ref.set(move.planned.toNodeId, ref.get(move.planned.toNodeId)! + move.planned.sizeBytes);
    room.set(move.planned.toNodeId, room.get(move.planned.toNodeId)! - move.planned.sizeBytes);
    const list = remaining.get(move.planned.fromNodeId)!;
    list.splice(list.indexOf(move.chunk), 1);
    const key = layoutKey(move.chunk);
    addedTo.set(key, (addedTo.get(key) ?? new Set()).add(move.planned.toNodeId));
  }
  return { moves, spreadBefore, spreadAfter: spreadOf(nodes, ref) };

  function excess(id: number): number {
    return ref.get(id)! - fair.get(id)!;
  }

  function findMove(byExcess: RebalanceNode[]): { planned: PlannedMove; chunk: MovableChunk } | undefined {
    for (const donor of byExcess) {
      if (excess(donor.id) <= 0) break;
      for (const receiver of [...byExcess].reverse()) {
        if (excess(receiver.id) >= 0) break;
        for (const chunk of remaining.get(donor.id) ?? []) {
          const s = chunk.sizeBytes;
          // Improves only when the chunk is smaller than twice the smaller gap (both nodes get closer).
          const before = Math.abs(excess(donor.id)) + Math.abs(excess(receiver.id));
          const after = Math.abs(excess(donor.id) - s) + Math.abs(excess(receiver.id) + s);
          if (after >= before) continue;
          if ((room.get(receiver.id) ?? 0) < s) continue;
          if (chunk.siblingNodeIds.includes(receiver.id) || addedTo.get(layoutKey(chunk))?.has(receiver.id)) continue;
          if (zoneLoad(chunk, receiver.zone) > zoneLoad(chunk, donor.zone)) continue;
          return { planned: { chunkId: chunk.chunkId, fromNodeId: donor.id, toNodeId: receiver.id, sizeBytes: s }, chunk };
        }
      }
    }
    return undefined;
  }

  function zoneLoad(chunk: MovableChunk, zone: string | undefined): number {
    return zone === undefined ? 0 : chunk.siblingNodeIds.filter((id) => zoneOf.get(id) === zone).length;
  }
}

/** (max - min) / mean of referenced bytes per capacity byte; 0 when nothing is stored. */
export function spreadOf(nodes: readonly RebalanceNode[], ref: Map<number, number>): number {
  if (nodes.length < 2) return 0;
  const fills = nodes.map((n) => {
    assert(n.capacityBytes > 0, () => `node-${n.id} has no capacity`);
    return (ref.get(n.id) ?? n.referencedBytes) / n.capacityBytes;
  });
  const mean = fills.reduce((s, f) => s + f, 0) / fills.length;
  if (mean === 0) return 0;
  return (Math.max(...fills) - Math.min(...fills)) / mean;
}
