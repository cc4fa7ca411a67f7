import type { MetaStateMachine } from '../meta/meta-state-machine.js';
import type { Replica } from '../runtime/replica.js';

/** A consistent picture of the metadata: the state machine's bytes and where in the Raft log they stand. */
export interface MetadataSnapshot {
  clusterId: string;
  raftIndex: number;
  raftTerm: number;
  voters: number[];
  learners: number[];
  data: Uint8Array;
}

export interface SnapshotSource {
  capture(): Promise<MetadataSnapshot>;
}

/**
 * Captures at a linearizable read point: after ReadIndex the local state machine holds every write
 * committed before the call; the applied point and the snapshot are then read in one synchronous step,
 * so no entry can be applied between them.
 */
export function replicaSnapshotSource(replica: Pick<Replica, 'linearizableRead' | 'appliedPoint'>, meta: Pick<MetaStateMachine, 'snapshot' | 'clusterId'>): SnapshotSource {
  return {
    async capture() {
      await replica.linearizableRead();
      const point = replica.appliedPoint();
      const data = meta.snapshot();
      return { clusterId: meta.clusterId(), raftIndex: point.index, raftTerm: point.term, voters: point.conf.voters, learners: point.conf.learners, data };
    },
  };
}
