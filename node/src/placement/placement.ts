import { assert } from '../platform/assert.js';
import { StrataError } from '../platform/errors.js';
import { hashSeed, rendezvousDraw } from './rendezvous-hash.js';

/** A node as placement sees it (from the metadata's members and their last reported usage). */
export interface PlacementNode {
  id: number;
  /** Failure domain; a node without one is a domain of its own. */
  zone?: string;
  state: 'active' | 'draining' | 'drained';
  online: boolean;
  availableBytes: number;
}

export interface PlaceShardsInput {
  nodes: PlacementNode[];
  /** k + m: one distinct node per shard. */
  shardCount: number;
  /** What makes the placement repeatable and spreads load, e.g. the chunk group's id. */
  seed: string;
  /** Bytes each chosen node must have available for its shard (its chunk). */
  shardBytes: number;
}

/** Space weighting stays mild: a node's weight is sqrt(available / median available), within these. */
const MIN_WEIGHT = 0.5;
const MAX_WEIGHT = 2;

/**
 * The node for each shard (result[j] holds shard j): distinct nodes, only active, online ones with
 * `shardBytes` available. Rendezvous hashing ranks the nodes by a hash of (seed, node id), so the same
 * input gives the same answer, different seeds spread evenly, and a node joining or leaving moves only
 * the shards it wins or held. Weighting by free space is mild (see MIN/MAX_WEIGHT): emptier nodes win a
 * little more often, equal nodes share equally, and the choice never swings with small usage changes.
 * Zones are filled round by round (each round takes at most one node from every zone, best-ranked zones
 * first), so the fullest zone holds as few shards as the eligible nodes allow.
 *
 * Throws StrataError('Unavailable', retryable) when fewer than shardCount nodes are eligible, or
 * StrataError('CapacityExceeded') when enough nodes are up but too few have room (the disks are full).
 */
export function placeShards(input: PlaceShardsInput): number[] {
  const { nodes, shardCount, seed, shardBytes } = input;
  assert(Number.isInteger(shardCount) && shardCount >= 1, () => `shardCount must be a positive integer, got ${shardCount}`);
  assert(Number.isFinite(shardBytes) && shardBytes >= 0, () => `shardBytes must be >= 0, got ${shardBytes}`);
  assert(new Set(nodes.map((node) => node.id)).size === nodes.length, 'placement nodes have duplicate ids');

  const eligible = nodes.filter((node) => node.state === 'active' && node.online && node.availableBytes >= shardBytes);
  const up = nodes.filter((node) => node.state === 'active' && node.online);
  if (eligible.length < shardCount && up.length >= shardCount) {
    throw new StrataError(
      'CapacityExceeded',
      `cannot place ${shardCount} shards of ${shardBytes} bytes: only ${eligible.length} of ${up.length} available nodes have that much room ` +
        `outside their reserve`,
      { details: { needed: shardCount, eligible: eligible.length, total: nodes.length, ...exclusions(nodes, shardBytes) } },
    );
  }
  if (eligible.length < shardCount) {
    throw new StrataError(
      'Unavailable',
      `cannot place ${shardCount} shards: ${eligible.length} of ${nodes.length} nodes are eligible (active, online, ` +
        `${shardBytes} bytes available), ${shardCount} needed`,
      { retryable: true, details: { needed: shardCount, eligible: eligible.length, total: nodes.length, ...exclusions(nodes, shardBytes) } },
    );
  }

  const seedHash = hashSeed(seed);
  const median = medianOf(eligible.map((node) => node.availableBytes));
  const ranked = eligible
    .map((node) => ({ node, score: weightOf(node.availableBytes, median) / -Math.log(rendezvousDraw(seedHash, node.id)) }))
    .sort((a, b) => b.score - a.score || a.node.id - b.node.id);

  // Per zone, its nodes best first (ranked is already in score order).
  const zones = new Map<string, PlacementNode[]>();
  for (const { node } of ranked) {
    const key = node.zone === undefined ? `node:${node.id}` : `zone:${node.zone}`;
    const members = zones.get(key);
    if (members === undefined) zones.set(key, [node]);
    else members.push(node);
  }
  // Zones in the order of their best node, so which zones get an extra shard depends on the seed.
  const zoneOrder = [...zones.values()];
  const chosen: number[] = [];
  for (let round = 0; chosen.length < shardCount; round++) {
    for (const members of zoneOrder) {
      if (round < members.length && chosen.length < shardCount) chosen.push(members[round].id);
    }
  }
  return chosen;
}

/**
 * The scheme a cluster of `nodeCount` nodes starts with: every shard on its own node; from 2 nodes one
 * node may be lost (1+1 mirrors, 2+1 costs 1.5x), from 6 nodes two (4+2, also 1.5x).
 */
export function defaultErasureScheme(nodeCount: number): { dataShards: number; parityShards: number } {
  assert(Number.isInteger(nodeCount) && nodeCount >= 1, () => `nodeCount must be a positive integer, got ${nodeCount}`);
  if (nodeCount === 1) return { dataShards: 1, parityShards: 0 };
  if (nodeCount === 2) return { dataShards: 1, parityShards: 1 };
  if (nodeCount <= 5) return { dataShards: 2, parityShards: 1 };
  return { dataShards: 4, parityShards: 2 };
}

function weightOf(availableBytes: number, median: number): number {
  if (median <= 0) return 1;
  return Math.min(MAX_WEIGHT, Math.max(MIN_WEIGHT, Math.sqrt(availableBytes / median)));
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function exclusions(nodes: PlacementNode[], shardBytes: number): Record<string, number> {
  return {
    notActive: nodes.filter((node) => node.state !== 'active').length,
    offline: nodes.filter((node) => node.state === 'active' && !node.online).length,
    full: nodes.filter((node) => node.state === 'active' && node.online && node.availableBytes < shardBytes).length,
  };
}
