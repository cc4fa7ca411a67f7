import type { PlacementNode } from './placement.js';

/** A chunk that has to move, as the planners see it (from the metadata's chunk index). */
export interface MovableChunk {
  chunkId: string;
  /** Where it is now. */
  nodeId: number;
  sizeBytes: number;
  /** The nodes holding the other columns of its layout: a target must not be one of them. */
  siblingNodeIds: number[];
  /** Names the chunk's layout (e.g. its columns' chunk ids), so a plan never puts two of its columns on one node. */
  layoutKey?: string;
}

export interface PlannedMove {
  chunkId: string;
  fromNodeId: number;
  toNodeId: number;
  sizeBytes: number;
}

export interface TargetChoiceInput {
  chunk: MovableChunk;
  nodes: readonly PlacementNode[];
  /** Bytes still free per node after the moves planned so far. */
  roomBytes: Map<number, number>;
  /** Nodes that may not receive anything (the node being drained, ...). */
  excluded: ReadonlySet<number>;
}

/**
 * The best node for one chunk, chosen like placement: active, online, not excluded, not holding a
 * sibling column, with room; among those, the zone holding the fewest siblings (spread across failure
 * domains), then the most room, then the lowest id (deterministic). Undefined when no node qualifies.
 */
export function chooseTarget(input: TargetChoiceInput): number | undefined {
  const { chunk, nodes, roomBytes, excluded } = input;
  const siblings = new Set(chunk.siblingNodeIds);
  const zoneOf = new Map(nodes.map((n) => [n.id, n.zone] as const));
  const siblingsInZone = (zone: string | undefined): number =>
    zone === undefined ? 0 : chunk.siblingNodeIds.filter((id) => zoneOf.get(id) === zone).length;
  let best: { id: number; zoneLoad: number; room: number } | undefined;
  for (const node of nodes) {
    if (node.state !== 'active' || !node.online || excluded.has(node.id) || siblings.has(node.id) || node.id === chunk.nodeId) continue;
    const room = roomBytes.get(node.id) ?? node.availableBytes;
    if (room < chunk.sizeBytes) continue;
    const candidate = { id: node.id, zoneLoad: siblingsInZone(node.zone), room };
    if (
      best === undefined ||
      candidate.zoneLoad < best.zoneLoad ||
      (candidate.zoneLoad === best.zoneLoad && (candidate.room > best.room || (candidate.room === best.room && candidate.id < best.id)))
    ) {
      best = candidate;
    }
  }
  return best?.id;
}
