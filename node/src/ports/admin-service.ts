import type { NodeId } from '../raft/types.js';
import type { MemberState } from './maintenance-admin.js';

export type { NodeId };

export type NodeRole = 'leader' | 'follower' | 'candidate' | 'learner' | 'none';

export interface NodeStatus {
  id: NodeId;
  /** `node-<id>`, the name people type in CLI commands. */
  name: string;
  address: string;
  /** Whether the node votes in the metadata Raft group. */
  voter: boolean;
  role: NodeRole;
  /** Whether this node heard from the node recently (the leader's view; `true` for itself). */
  online: boolean;
  /** Highest log index known replicated to the node (leader's view), or undefined. */
  matchIndex?: number;
  /** Data state: active, draining (chunks moving away) or drained. */
  state: MemberState;
  /** Failure domain (`[node] zone`). */
  zone?: string;
  /** The node's admin base URL (http://host:9090), for calls that go to one node (scrub, logs, config set). */
  adminUrl?: string;
}

export interface ClusterStatus {
  clusterId: string;
  /** The node that answered. */
  nodeId: NodeId;
  /** The Strata version of the node that answered (absent from nodes older than this field). */
  version?: string;
  leaderId: NodeId;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  nodes: NodeStatus[];
}

export interface HealthReport {
  ready: boolean;
  /** Why the node is not ready (empty when ready). */
  reasons: string[];
}

export interface BucketInfo {
  name: string;
  createdMs: number;
}

/**
 * What the admin HTTP API (admin/) may ask of a node. main.ts wires it to the runtime. Methods that
 * write go through Raft and fail with StrataError codes (NotLeader, Timeout, NotFound, AlreadyExists, ...).
 */
export interface AdminService {
  health(): Promise<HealthReport>;
  clusterStatus(): Promise<ClusterStatus>;
  /** Metadata writes and linearizable reads, exposed for operators, tests and benchmarks. */
  createBucket(name: string): Promise<BucketInfo>;
  deleteBucket(name: string): Promise<void>;
  listBuckets(): Promise<BucketInfo[]>;
  /** Remove a node from the cluster (Raft membership follows). */
  removeNode(id: NodeId): Promise<void>;
  /** Move Raft leadership to `to`, or to the most up-to-date other voter when omitted. */
  transferLeadership(to?: NodeId): Promise<NodeId>;
}
