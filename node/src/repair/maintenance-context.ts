import type { MetadataAccess } from '../objects/metadata-access.js';
import type { PlacementNode } from '../placement/placement.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { ChunkLocation } from '../meta/chunk-references.js';
import type { MovableChunk } from '../placement/move-targets.js';
import type { ChunkRelocator } from './chunk-relocator.js';

/** What the maintenance workers need of the runtime (Replica satisfies it). */
export interface MaintenanceRuntime {
  readonly nodeId: number;
  readonly leaderId: number;
  /** Members the leader heard from recently (itself included). */
  onlineMembers(): number[];
  removeNode(id: number): Promise<void>;
}

/** Every member's free and used space as last polled (NodeUsageMonitor satisfies it). */
export interface UsageView {
  view(): Promise<PlacementNode[]>;
  usedBytes(): Map<number, number>;
}

/** Shared by the drain, recovery and rebalance workers. */
export interface MaintenanceContext {
  runtime: MaintenanceRuntime;
  metadata: MetadataAccess;
  usage: UsageView;
  relocator: Pick<ChunkRelocator, 'relocate'>;
  clock: Clock;
  logger: Logger;
  /** Relocations in flight per worker. */
  concurrency: number;
  /** Chunks planned per round (the next round plans again from fresh metadata). */
  batchChunks: number;
  /** Pause after a round that could not move anything. */
  retryDelayMs: number;
}

export function isLeader(context: MaintenanceContext): boolean {
  return context.runtime.leaderId === context.runtime.nodeId;
}

export function toMovable(location: ChunkLocation): MovableChunk {
  return {
    chunkId: location.chunkId,
    nodeId: location.nodeId,
    sizeBytes: location.sizeBytes,
    siblingNodeIds: location.siblingNodeIds,
    layoutKey: location.layout.chunks.map((c) => c.chunkId).join(','),
  };
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
