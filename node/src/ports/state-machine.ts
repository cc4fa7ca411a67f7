/** A Raft membership change as the state machine records it (the address travels in the change's context). */
export interface AppliedMembershipChange {
  type: 'addLearner' | 'promote' | 'remove';
  nodeId: number;
  address?: string;
  zone?: string;
  /** The member's admin base URL, when its join carried one. */
  adminUrl?: string;
}

/**
 * The replicated state machine the runtime drives (meta/ implements it). apply() must be deterministic:
 * the same entries in the same order give the same state and results on every node.
 */
export interface StateMachine<Result = unknown> {
  /** Apply one committed command; the result goes back to whoever proposed it. */
  apply(index: number, command: Uint8Array): Result;
  /** Record a membership change when its entry is applied (members and their addresses are replicated state). */
  applyMembership(index: number, change: AppliedMembershipChange): void;
  /** Member addresses, so the runtime can (re)connect its transport after a restore. */
  members(): { id: number; address: string }[];
  /** The cluster this state belongs to ('' before bootstrap). */
  clusterId(): string;
  /** Record the cluster ID and the first member before the bootstrap snapshot is taken. */
  bootstrap(clusterId: string, self: { id: number; address: string; zone?: string; adminUrl?: string }): void;
  snapshot(): Uint8Array;
  /**
   * Capture the state as of now, cheaply; its writeTo() yields the bytes snapshot() would have given
   * at capture time, without holding the event loop for the whole state, while later entries are applied.
   */
  captureSnapshot(): SnapshotCapture;
  restore(data: Uint8Array): void;
}

/** Takes one slice of a snapshot's bytes; the slice may be reused once the promise resolves. */
export type SnapshotOut = (slice: Uint8Array) => Promise<void>;

export interface SnapshotCapture {
  /**
   * Hands the bytes to `out` slice by slice, awaiting each (a slice may be reused once its promise
   * resolves); resolves with their count. Rejects with the signal's reason when aborted (the node is stopping).
   */
  writeTo(out: SnapshotOut, signal?: AbortSignal): Promise<number>;
}
