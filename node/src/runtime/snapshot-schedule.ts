/**
 * When a replica takes its next snapshot: every `every` applied entries, at indexes shifted by a phase
 * that depends on its node id (decision 0025). Replicas apply the same entries at about the same time,
 * so unshifted they all snapshotted together: on a shared machine the three serialised their state at
 * once, and on separate machines the leader and the follower it needed for a quorum were slow together.
 * With four phases, nodes 1-4 snapshot a quarter of the interval apart.
 */
const PHASES = 4;

/** How far node `nodeId`'s snapshot indexes are shifted, in entries (less than `every`). */
export function snapshotPhase(nodeId: number, every: number): number {
  return Math.floor(((nodeId % PHASES) * every) / PHASES);
}

/**
 * Whether a snapshot is due: `applied` crossed one of the node's snapshot indexes (k * every - phase)
 * since the last snapshot. Between two snapshots of one node there are at most `every` entries, as before.
 */
export function snapshotDue(applied: number, lastSnapshotIndex: number, every: number, phase: number): boolean {
  return Math.floor((applied + phase) / every) > Math.floor((lastSnapshotIndex + phase) / every);
}
