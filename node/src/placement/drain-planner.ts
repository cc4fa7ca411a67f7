import { chooseTarget, type MovableChunk, type PlannedMove } from './move-targets.js';
import type { PlacementNode } from './placement.js';

export interface DrainPlanInput {
  /** The node being drained (or whose chunks are rebuilt elsewhere). */
  nodeId: number;
  chunks: readonly MovableChunk[];
  nodes: readonly PlacementNode[];
}

export interface DrainTargetTotal {
  nodeId: number;
  chunks: number;
  bytes: number;
}

export interface DrainPlanResult {
  nodeId: number;
  feasible: boolean;
  /** Why not, in words an operator can act on. */
  reason?: string;
  chunks: number;
  bytes: number;
  moves: PlannedMove[];
  /** Chunks no node can take. */
  unplaced: MovableChunk[];
  targets: DrainTargetTotal[];
}

/**
 * Where every chunk of a node would go (chooseTarget for each, biggest first so space is packed
 * sensibly, deducting each move from its target's room). Feasible only when every chunk has a target;
 * otherwise the reason names the cause: too few eligible nodes for the widest layout, or too little room.
 */
export function planDrain(input: DrainPlanInput): DrainPlanResult {
  const { nodeId, chunks, nodes } = input;
  const excluded = new Set([nodeId]);
  const room = new Map(nodes.map((n) => [n.id, n.availableBytes] as const));
  const moves: PlannedMove[] = [];
  const unplaced: MovableChunk[] = [];
  const ordered = [...chunks].sort((a, b) => b.sizeBytes - a.sizeBytes || (a.chunkId < b.chunkId ? -1 : a.chunkId > b.chunkId ? 1 : 0));
  for (const chunk of ordered) {
    const target = chooseTarget({ chunk, nodes, roomBytes: room, excluded });
    if (target === undefined) {
      unplaced.push(chunk);
      continue;
    }
    room.set(target, (room.get(target) ?? 0) - chunk.sizeBytes);
    moves.push({ chunkId: chunk.chunkId, fromNodeId: chunk.nodeId, toNodeId: target, sizeBytes: chunk.sizeBytes });
  }
  const totals = new Map<number, DrainTargetTotal>();
  for (const move of moves) {
    const total = totals.get(move.toNodeId) ?? { nodeId: move.toNodeId, chunks: 0, bytes: 0 };
    total.chunks++;
    total.bytes += move.sizeBytes;
    totals.set(move.toNodeId, total);
  }
  const bytes = chunks.reduce((sum, c) => sum + c.sizeBytes, 0);
  const result: DrainPlanResult = {
    nodeId,
    feasible: unplaced.length === 0,
    chunks: chunks.length,
    bytes,
    moves,
    unplaced,
    targets: [...totals.values()].sort((a, b) => a.nodeId - b.nodeId),
  };
  if (unplaced.length > 0) result.reason = explain(input, unplaced);
  return result;
}

function explain(input: DrainPlanInput, unplaced: MovableChunk[]): string {
  const eligible = input.nodes.filter((n) => n.state === 'active' && n.online && n.id !== input.nodeId);
  const widest = Math.max(...unplaced.map((c) => c.siblingNodeIds.length + 1));
  if (eligible.length < widest) {
    return (
      `node-${input.nodeId} holds chunks of layouts spread over ${widest} nodes, and only ${eligible.length} other ` +
      `active online node${eligible.length === 1 ? '' : 's'} remain${eligible.length === 1 ? 's' : ''} (${widest} needed): add a node first`
    );
  }
  const needed = unplaced.reduce((sum, c) => sum + c.sizeBytes, 0);
  const free = eligible.reduce((sum, n) => sum + n.availableBytes, 0);
  const first = unplaced[0];
  return (
    `${unplaced.length} chunk${unplaced.length === 1 ? '' : 's'} of node-${input.nodeId} (${needed} bytes) fit on no eligible node ` +
    `(${free} bytes free on ${eligible.length} nodes; a chunk may not join a node holding another column of its stripe, ` +
    `e.g. ${first.chunkId} whose columns are on ${first.siblingNodeIds.map((id) => `node-${id}`).join(', ')}): add capacity first`
  );
}
