/**
 * The vocabulary of the pure Raft core (etcd-raft style). The core never does I/O: the driver hands it
 * messages and ticks, and takes back a Ready (what to persist, send and apply), then calls advance().
 */

/** A positive integer. Nodes are shown to people as `node-<id>`. */
export type NodeId = number;

/** No node (no vote cast, leader unknown). */
export const NONE: NodeId = 0;

export type EntryType = 'normal' | 'conf';

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque command bytes for 'normal' entries; an encoded ConfChange for 'conf' entries. */
  data: Uint8Array;
}

/** The state Raft must persist before answering anyone (Figure 2 of the paper, plus commit). */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  conf: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  /** The state machine's snapshot bytes (opaque to Raft); empty when `released`. */
  data: Uint8Array;
  /**
   * The bytes were dropped from memory once the snapshot was durable (MemoryLog.releaseSnapshotData): a
   * snapshot is as big as the metadata, and the state machine holds the same state. The driver reads the
   * bytes back from its LogStore before a 'snap' message goes out.
   */
  released?: true;
}

/**
 * Membership changes go one at a time (single-server changes, with learners): a new node is added as a
 * learner, catches up, then is promoted; a voter or learner can be removed. A change takes effect when
 * its entry is applied; the leader refuses a new change while one is still unapplied and until it has
 * committed an entry of its own term (the fix for the single-server-change bug in Ongaro's thesis errata).
 */
export type ConfChangeType = 'addLearner' | 'promote' | 'remove';

export interface ConfChange {
  type: ConfChangeType;
  nodeId: NodeId;
  /** Opaque to Raft; the runtime stores the node's address here. */
  context?: Uint8Array;
}

export type MessageType =
  | 'hup' // local: start an election now
  | 'beat' // local: leader sends heartbeats now
  | 'prop' // proposal (local, or forwarded by a follower)
  | 'propDropped' // a forwarded proposal the receiver refused, back to its proposer (never stepped into Raft)
  | 'app'
  | 'appResp'
  | 'vote'
  | 'voteResp'
  | 'preVote'
  | 'preVoteResp'
  | 'snap'
  | 'snapStatus' // local: report whether sending a snapshot to a peer worked
  | 'unreachable' // local: report that a peer could not be reached
  | 'heartbeat'
  | 'heartbeatResp'
  | 'transferLeader'
  | 'timeoutNow'
  | 'readIndex'
  | 'readIndexResp'
  | 'checkQuorum'; // local

export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  /** app: term of the entry before `entries`; appResp: hint for the follower's last index on reject. */
  logTerm: number;
  /** app: index of the entry before `entries`; appResp: the index acknowledged or rejected. */
  index: number;
  entries: Entry[];
  commit: number;
  reject: boolean;
  rejectHint: number;
  snapshot?: Snapshot;
  /** readIndex/readIndexResp/heartbeat: the request context, echoed back. */
  context?: Uint8Array;
}

/** A read request that has been confirmed: it may be served once `index` has been applied. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

export type Role = 'follower' | 'candidate' | 'preCandidate' | 'leader' | 'learner';

/** Volatile state that the driver may want to observe (not persisted). */
export interface SoftState {
  leader: NodeId;
  role: Role;
}

/**
 * Everything the driver must do next, in order: persist `hardState`, `entries` and `snapshot` (fsync when
 * `mustSync`), then send `messages`, then apply `committedEntries`, then call `advance()`.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  readStates: ReadState[];
  mustSync: boolean;
}

/** Read access to the durable log the core needs (synchronous: the driver keeps it in memory). */
export interface RaftLogReader {
  initialState(): { hardState: HardState; conf: ConfState };
  /** Entries in [lo, hi), at most about `maxBytes` (always at least one). Throws Compacted / Unavailable. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns: randomized in [electionTicks, electionTicksMax). */
  electionTicks: number;
  /** Upper bound (exclusive) of the randomized election timeout; 2 * electionTicks when absent. */
  electionTicksMax?: number;
  heartbeatTicks: number;
  /** Flow control: bytes per append message and append messages in flight per follower. */
  maxSizePerMsgBytes: number;
  maxInflightMsgs: number;
  /** Bytes of uncommitted log the leader accepts before dropping proposals (0 = no limit). */
  maxUncommittedEntriesBytes: number;
  preVote: boolean;
  checkQuorum: boolean;
  /** The last applied index when restarting (entries up to it are not handed out again). */
  applied: number;
}

export interface Progress {
  match: number;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot';
  recentActive: boolean;
  isLearner: boolean;
}

/** A read-only view of the node, for metrics, status and tests. */
export interface RaftStatus {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  lastIndex: number;
  conf: ConfState;
  /** Only on the leader. */
  progress?: Record<NodeId, Progress>;
  leadTransferee: NodeId;
}
