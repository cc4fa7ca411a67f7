import type { NodeId } from './admin-service.js';

/** A member's data state: `draining` while its chunks move away, `drained` once it holds none. */
export type MemberState = 'active' | 'draining' | 'drained';

/** Progress of one body of data movement or verification (a drain, a rebalance, recovery, a scrub pass). */
export interface MoveProgress {
  /** Work known so far; it may grow while the work runs (new data found). */
  chunksTotal: number;
  chunksDone: number;
  bytesTotal: number;
  bytesDone: number;
  /** Chunks that failed this round and will be retried. */
  failures: number;
  /** Bytes per second over the last few seconds (0 when idle). */
  rateBytesPerSec: number;
  /** Seconds left at the current rate; absent when unknown (no rate yet, or nothing left). */
  etaSeconds?: number;
  /**
   * While drain, rebalance or recovery runs: the bytes per second the shared move throttle allows now
   * (`move_throttle_busy_mb_per_sec` while the S3 gateways are busy, up to `move_throttle_mb_per_sec`).
   */
  limitBytesPerSec?: number;
  startedMs?: number;
  finishedMs?: number;
  lastError?: string;
}

export interface MovePlanTarget {
  nodeId: NodeId;
  chunks: number;
  bytes: number;
}

/** What a drain would move, and where; `feasible: false` names the reason in `reason`. */
export interface DrainPlan {
  nodeId: NodeId;
  feasible: boolean;
  reason?: string;
  chunks: number;
  bytes: number;
  targets: MovePlanTarget[];
}

export interface DrainStatus {
  nodeId: NodeId;
  state: MemberState;
  progress: MoveProgress;
}

export interface NodeUtilisation {
  nodeId: NodeId;
  name: string;
  state: MemberState;
  online: boolean;
  zone?: string;
  usedBytes: number;
  availableBytes: number;
  /** Distinct chunks the metadata places on the node. */
  chunks: number;
  /** used / (used + available), 0..1. */
  utilisation: number;
}

export interface RebalanceStatus {
  state: 'idle' | 'running' | 'done' | 'failed';
  progress: MoveProgress;
  nodes: NodeUtilisation[];
  /** Highest minus lowest utilisation among active online nodes, 0..1. */
  spread: number;
}

export interface RecoveryStatus {
  /** Chunks being rebuilt right now (strata_recovery_operations_in_progress). */
  inProgress: number;
  progress: MoveProgress;
  /** Nodes whose chunks are being rebuilt: down past the recovery timeout, or removed with --force. */
  nodes: NodeId[];
  /** Chunks with fewer than k readable siblings: data that cannot be rebuilt. */
  unrecoverable: number;
}

export interface StorageStatus {
  nodes: NodeUtilisation[];
  usedBytes: number;
  availableBytes: number;
  buckets: number;
  objects: number;
  /** Chunks placed on nodes that are down or removed and not yet rebuilt. */
  degradedChunks: number;
}

/**
 * Membership and data movement (guide: Add/Remove/Replace a node, Rebalance). Answered by the leader
 * (others answer NotLeader, which the admin client follows). Refusals use StrataError codes:
 * NotFound (unknown node), FailedPrecondition (not drained, drain infeasible, ...), InvalidArgument.
 */
export interface MaintenanceAdmin {
  /** Start draining (or with dryRun only plan). An infeasible drain is refused with FailedPrecondition before anything moves. */
  drain(nodeId: NodeId, options: { dryRun: boolean }): Promise<DrainPlan>;
  drainStatus(nodeId: NodeId): Promise<DrainStatus>;
  /** Stop a drain, or return a drained node to service. */
  undrain(nodeId: NodeId): Promise<DrainStatus>;
  /** Refused with FailedPrecondition unless drained; `force` removes at once and starts recovery. */
  removeNode(nodeId: NodeId, options: { force: boolean }): Promise<void>;
  rebalance(): Promise<RebalanceStatus>;
  rebalanceStatus(): Promise<RebalanceStatus>;
  recoveryStatus(): Promise<RecoveryStatus>;
  storageStatus(): Promise<StorageStatus>;
}
