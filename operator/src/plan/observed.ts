/**
 * What the reconciler observed, in the shape the pure planners read. The reconciler fills it from the
 * Kubernetes objects and the Strata admin API; tests write it by hand.
 */
export type MemberState = 'active' | 'draining' | 'drained';
export type MemberRole = 'leader' | 'follower' | 'candidate' | 'learner' | 'none';

export interface PodView {
  ordinal: number;
  name: string;
  ready: boolean;
  /** metadata.deletionTimestamp is set. */
  terminating: boolean;
  /** The pod's controller-revision-hash label. */
  revision?: string;
  createdMs?: number;
  /** When the pod's Ready condition last turned False (or was first set False), while it is not Ready. */
  notReadySinceMs?: number;
}

export interface MemberView {
  /** Strata node id = pod ordinal + 1. */
  id: number;
  state: MemberState;
  role: MemberRole;
  voter: boolean;
  online: boolean;
  matchIndex?: number;
}

export interface DrainProgressView {
  chunksRemaining: number;
  bytesRemaining: number;
  rateBytesPerSec: number;
  etaSeconds?: number;
}

/** The Strata cluster as its admin API answered; `reachable: false` when no node answered. */
export interface StrataView {
  reachable: boolean;
  error?: string;
  leaderId?: number;
  term?: number;
  commitIndex?: number;
  members: MemberView[];
  /** StorageStatus.degradedChunks; undefined when the node could not say. */
  degradedChunks?: number;
  /** Drain progress of members that are draining, by node id. */
  drains: Record<number, DrainProgressView>;
}

export function memberOf(strata: StrataView, id: number): MemberView | undefined {
  return strata.members.find((m) => m.id === id);
}
