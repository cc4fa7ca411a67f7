/**
 * The records the replicated metadata holds. Plain data, never changed in place: they travel in commands
 * and snapshots as JSON, inline bytes next to the text (meta/inline-bytes.ts).
 */

export type MemberState = 'active' | 'draining' | 'drained';

export interface MemberRecord {
  id: number;
  /** host:port of the node's cluster (gRPC) listener. */
  address: string;
  state: MemberState;
  /** The Raft index at which the node joined. */
  joinedIndex: number;
  /** Failure domain (`[node] zone`): placement spreads the shards of a stripe across zones. */
  zone?: string;
  /** The node's admin base URL (http://host:9090), for calls that go to one node. */
  adminUrl?: string;
}

export interface BucketRecord {
  name: string;
  createdMs: number;
}

/** One chunk (shard column j of an object or part) and the node that holds it. */
export interface ChunkRef {
  nodeId: number;
  chunkId: string;
}

/** Small objects live in the metadata itself, replicated to every voter by Raft (decisions 0006, 0022). */
export interface InlineLayout {
  kind: 'inline';
  /** Read-only: often a view of the Raft entry that carried it. */
  data: Uint8Array;
}

/**
 * Erasure-coded bytes: stripe i of `stripeDataBytes` object bytes is split into `dataShards` shards of
 * `shardBytes` plus `parityShards` parity shards; shard j of every stripe is block i of chunks[j]. The
 * last stripe may be shorter, and so are its shards. `codecId` names the coder that wrote the parity, so
 * a future codec keeps old data readable.
 */
export interface ErasureLayout {
  kind: 'erasure';
  codecId: string;
  dataShards: number;
  parityShards: number;
  stripeDataBytes: number;
  shardBytes: number;
  chunks: ChunkRef[];
  /**
   * Present when the object bytes were compressed before erasure coding ([data] compression at write
   * time). The stripes then hold `storedBytes` bytes of the compressed stream; sizes, ETag and MD5 stay
   * those of the uncompressed bytes. Absent (every object written before it existed): not compressed.
   */
  compression?: DataCompression;
}

/** How the bytes of an erasure layout were compressed. */
export interface DataCompression {
  codec: 'gzip';
  /** Bytes of the compressed stream, which is what the stripes hold. */
  storedBytes: number;
}

/** Where the bytes of one object or one multipart part live. */
export type DataLayout = InlineLayout | ErasureLayout;

export interface MultipartPartLayout {
  partNumber: number;
  sizeBytes: number;
  etag: string;
  layout: DataLayout;
}

/** A completed multipart upload: its parts in order, each with its own layout. */
export interface MultipartLayout {
  kind: 'multipart';
  parts: MultipartPartLayout[];
}

export type ObjectLayout = DataLayout | MultipartLayout;

/** What the metadata knows about one object. `layout` is absent only in tests of the metadata core. */
export interface ObjectManifest {
  sizeBytes: number;
  etag: string;
  lastModifiedMs: number;
  contentType?: string;
  userMetadata?: Record<string, string>;
  /** Standard headers stored with the object (cache-control, content-disposition, ...). */
  headers?: Record<string, string>;
  layout?: ObjectLayout;
}

export interface ObjectEntry {
  key: string;
  manifest: ObjectManifest;
}

export interface MultipartUploadRecord {
  bucket: string;
  key: string;
  uploadId: string;
  initiatedMs: number;
  contentType?: string;
  userMetadata?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface PartRecord {
  partNumber: number;
  etag: string;
  sizeBytes: number;
  lastModifiedMs: number;
  layout: DataLayout;
}
