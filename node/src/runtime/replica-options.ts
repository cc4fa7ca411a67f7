import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { silentLogger } from '../platform/logger.js';
import type { MetricsSink } from '../platform/metrics.js';
import { noopMetrics } from '../platform/metrics.js';
import type { Random } from '../platform/random.js';
import type { LogStore } from '../ports/log-store.js';
import type { StateMachine } from '../ports/state-machine.js';
import type { Transport } from '../ports/transport.js';
import type { NodeId } from '../raft/types.js';

export interface ReplicaRaftOptions {
  /** One Raft tick; the seed's `heartbeat_interval`. */
  tickMs: number;
  /** Election timeout in ticks (randomized up to twice this by Raft); `election_timeout_min / heartbeat_interval`. */
  electionTicks: number;
  /** Upper bound (exclusive) of the randomized election timeout in ticks; `election_timeout_max / heartbeat_interval`. */
  electionTicksMax: number;
  heartbeatTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
  maxSizePerMsgBytes: number;
  maxInflightMsgs: number;
  maxUncommittedEntriesBytes: number;
}

export interface ReplicaOptions {
  nodeId: NodeId;
  /** host:port where this node's cluster transport listens (told to peers when joining). */
  selfAddress: string;
  /** The cluster this node's data belongs to ('' for a fresh node). */
  clusterId: string;
  /** This node's failure domain (`[node] zone`), told to the cluster when it bootstraps or joins. */
  zone?: string;
  /** This node's admin base URL (http://host:9090), told to the cluster when it bootstraps or joins. */
  adminUrl?: string;
  clock: Clock;
  random: Random;
  logger: Logger;
  metrics: MetricsSink;
  logStore: LogStore;
  transport: Transport;
  stateMachine: StateMachine;
  raft: ReplicaRaftOptions;
  /** Take a snapshot after this many applied entries since the last one. */
  snapshotEveryEntries: number;
  /** Entries kept in the log behind a snapshot, so a briefly lagging follower needs no snapshot. */
  keepEntriesAfterSnapshot: number;
  proposalTimeoutMs: number;
  readTimeoutMs: number;
  /**
   * How long a proposal or read refused for want of a leader (an election, a follower's election timer
   * firing for a moment under load, a leadership transfer) waits for one before it fails with that
   * refusal. Shorter than the timeouts above.
   */
  leaderWaitMs: number;
  /** Voters in the Raft group; learners beyond this stay learners (they still hold data later). */
  maxVoters: number;
  /** A learner is promoted once it is within this many entries of the leader's log. */
  learnerCatchUpEntries: number;
  /** Called when the node cannot go on safely (e.g. the log cannot be persisted). */
  onFatal(err: unknown): void;
}

export type ReplicaOptionsInput = Pick<ReplicaOptions, 'nodeId' | 'selfAddress' | 'logStore' | 'transport' | 'stateMachine'> &
  Partial<Omit<ReplicaOptions, 'raft'>> & { raft?: Partial<ReplicaRaftOptions> };

export function resolveReplicaOptions(input: ReplicaOptionsInput & { clock: Clock; random: Random }): ReplicaOptions {
  const electionTicks = input.raft?.electionTicks ?? 6;
  const raft: ReplicaRaftOptions = {
    tickMs: 75,
    electionTicks,
    electionTicksMax: 2 * electionTicks,
    heartbeatTicks: 1,
    preVote: true,
    checkQuorum: true,
    maxSizePerMsgBytes: 1024 * 1024,
    maxInflightMsgs: 256,
    maxUncommittedEntriesBytes: 64 * 1024 * 1024,
    ...input.raft,
  };
  return {
    clusterId: '',
    logger: silentLogger,
    metrics: noopMetrics,
    snapshotEveryEntries: 10_000,
    keepEntriesAfterSnapshot: 5_000,
    proposalTimeoutMs: raft.tickMs * raft.electionTicks * 8,
    readTimeoutMs: raft.tickMs * raft.electionTicks * 8,
    // Two of the longest election timeouts: an election that fails once (split vote) still fits.
    leaderWaitMs: raft.tickMs * raft.electionTicksMax * 2,
    maxVoters: 5,
    learnerCatchUpEntries: 100,
    onFatal: (err) => {
      throw err;
    },
    ...input,
    raft,
  };
}
