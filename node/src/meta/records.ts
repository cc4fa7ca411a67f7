/** The records the replicated metadata holds. Plain JSON-safe data: they travel in snapshots. */

export type MemberState = 'active' | 'draining' | 'drained';

export interface MemberRecord {
  id: number;
  /** host:port of the node's cluster (gRPC) listener. */
  address: string;
  state: MemberState;
  /** The Raft index at which the node joined. */
  joinedIndex: number;
}

export interface BucketRecord {
  name: string;
  createdMs: number;
}

/**
 * What the metadata knows about one object. The data path fills in `layout` (where the bytes live);
 * this core keeps it opaque.
 */
export interface ObjectManifest {
  sizeBytes: number;
  etag: string;
  lastModifiedMs: number;
  contentType?: string;
  userMetadata?: Record<string, string>;
  layout?: unknown;
}

export interface ObjectEntry {
  key: string;
  manifest: ObjectManifest;
}
