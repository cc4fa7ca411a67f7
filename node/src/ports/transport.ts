import type { Message, NodeId } from '../raft/types.js';

export interface PeerAddress {
  id: NodeId;
  /** host:port of the peer's cluster (gRPC) listener. */
  address: string;
}

export interface JoinRequest {
  nodeId: NodeId;
  /** host:port where the joining node listens for cluster traffic. */
  address: string;
  /** The cluster the joining node already belongs to, or '' for a fresh node. */
  clusterId: string;
  /** The joining node's failure domain (`[node] zone`), if any. */
  zone?: string;
  /** The joining node's admin base URL (http://host:9090), if known. */
  adminUrl?: string;
}

export interface JoinResponse {
  clusterId: string;
  /** Every current member (voters and learners), the joining node included. */
  members: PeerAddress[];
}

/** What a transport delivers to the node that owns it. */
export interface TransportHandler {
  /** Raft messages from peers (snapshots arrive whole, already reassembled from their chunks). */
  onMessages(messages: Message[]): void;
  onUnreachable(peer: NodeId): void;
  /** Outcome of sending a snapshot message to a peer (so Raft can resume replication). */
  onSnapshotStatus(peer: NodeId, ok: boolean): void;
  /** A node asks to join the cluster; resolves once it has been added as a learner. */
  onJoin(request: JoinRequest): Promise<JoinResponse>;
}

/**
 * Node-to-node messaging. Implementations: transport/grpc (real) and the simulator's SimNetwork.
 * Every message carries the cluster ID; a message from another cluster is refused, not delivered.
 */
export interface Transport {
  start(handler: TransportHandler): Promise<void>;
  /** Fire and forget: queued and batched per peer; failures surface as onUnreachable/onSnapshotStatus. */
  send(messages: Message[]): void;
  setPeer(peer: PeerAddress): void;
  removePeer(id: NodeId): void;
  /** The cluster ID becomes known after bootstrap or join. */
  setClusterId(clusterId: string): void;
  /** Ask the node at `address` to add us to its cluster. */
  join(address: string, request: JoinRequest): Promise<JoinResponse>;
  stop(): Promise<void>;
}
