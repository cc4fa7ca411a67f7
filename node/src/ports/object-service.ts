/**
 * What the S3 gateway (s3/) may ask of the storage: buckets, objects and multipart uploads. objects/
 * implements it over the Raft metadata, erasure coding and the chunk stores. Errors are StrataErrors:
 * NotFound with details.resource = 'bucket' | 'object' | 'upload' | 'part', AlreadyExists (bucket),
 * Conflict with details.reason = 'BucketNotEmpty' | 'PreconditionFailed' | 'InvalidPart' |
 * 'InvalidPartOrder' | 'EntityTooSmall' | 'BadDigest', InvalidArgument (details.reason names the S3 error
 * where one fits, e.g. 'InvalidRange'), CapacityExceeded, Unavailable (not enough live nodes), NotLeader.
 */

export interface BucketSummary {
  name: string;
  createdMs: number;
}

export interface ObjectSummary {
  key: string;
  sizeBytes: number;
  etag: string;
  lastModifiedMs: number;
}

export interface ObjectHead extends ObjectSummary {
  contentType?: string;
  /** x-amz-meta-* without the prefix, lower-case names. */
  userMetadata: Record<string, string>;
  /** Standard headers stored with the object (cache-control, content-disposition, content-encoding, content-language, expires). */
  headers: Record<string, string>;
  /** Number of parts for a multipart object (its ETag ends in -N). */
  partCount?: number;
}

/** Inclusive byte range, already resolved against the object size by the caller or the service. */
export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSinceMs?: number;
  ifUnmodifiedSinceMs?: number;
}

export interface PutObjectInput {
  bucket: string;
  key: string;
  body: AsyncIterable<Uint8Array>;
  /** Known length (Content-Length or x-amz-decoded-content-length); undefined when streaming unknown. */
  sizeBytes?: number;
  contentType?: string;
  userMetadata?: Record<string, string>;
  headers?: Record<string, string>;
  /** Base64 MD5 from Content-MD5: the write fails (BadDigest) if the body does not match. */
  contentMd5?: string;
  /** Conditional write: If-Match: etag, If-None-Match: '*'. */
  ifMatch?: string;
  ifNoneMatch?: '*';
}

export interface PutObjectResult {
  etag: string;
  sizeBytes: number;
}

export interface GetObjectResult {
  head: ObjectHead;
  /** The range actually served (absent: the whole object). */
  range?: ByteRange;
  body: AsyncIterable<Uint8Array>;
}

export interface ListObjectsInput {
  bucket: string;
  prefix?: string;
  delimiter?: string;
  /** Keys strictly after this one (V1 marker, V2 start-after or decoded continuation token). */
  startAfter?: string;
  maxKeys: number;
}

export interface ListObjectsResult {
  objects: ObjectSummary[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned: where the next page starts (exclusive). */
  nextStartAfter?: string;
}

export interface MultipartUploadInfo {
  bucket: string;
  key: string;
  uploadId: string;
  initiatedMs: number;
}

export interface PartInfo {
  partNumber: number;
  etag: string;
  sizeBytes: number;
  lastModifiedMs: number;
}

export interface ObjectService {
  createBucket(name: string): Promise<void>;
  deleteBucket(name: string): Promise<void>;
  headBucket(name: string): Promise<BucketSummary>;
  listBuckets(): Promise<BucketSummary[]>;

  putObject(input: PutObjectInput): Promise<PutObjectResult>;
  /** Preconditions are checked against the current object; failures throw Conflict/PreconditionFailed or NotModified (code 'Conflict', details.reason 'NotModified'). */
  getObject(bucket: string, key: string, options?: { range?: ByteRange | { suffixLength: number } | { start: number }; preconditions?: Preconditions }): Promise<GetObjectResult>;
  headObject(bucket: string, key: string, options?: { preconditions?: Preconditions }): Promise<ObjectHead>;
  /** Deleting a missing key succeeds (S3 semantics). */
  deleteObject(bucket: string, key: string): Promise<void>;
  copyObject(input: {
    sourceBucket: string;
    sourceKey: string;
    bucket: string;
    key: string;
    sourcePreconditions?: Preconditions;
    /** 'COPY' keeps the source's metadata; 'REPLACE' uses the given one. */
    metadataDirective: 'COPY' | 'REPLACE';
    contentType?: string;
    userMetadata?: Record<string, string>;
    headers?: Record<string, string>;
  }): Promise<PutObjectResult & { lastModifiedMs: number }>;
  listObjects(input: ListObjectsInput): Promise<ListObjectsResult>;

  createMultipartUpload(input: { bucket: string; key: string; contentType?: string; userMetadata?: Record<string, string>; headers?: Record<string, string> }): Promise<MultipartUploadInfo>;
  uploadPart(input: { bucket: string; key: string; uploadId: string; partNumber: number; body: AsyncIterable<Uint8Array>; sizeBytes?: number; contentMd5?: string }): Promise<PutObjectResult>;
  uploadPartCopy(input: { bucket: string; key: string; uploadId: string; partNumber: number; sourceBucket: string; sourceKey: string; range?: ByteRange; sourcePreconditions?: Preconditions }): Promise<PutObjectResult & { lastModifiedMs: number }>;
  /** Parts must be ascending; every part but the last at least 5 MiB (EntityTooSmall); etags must match (InvalidPart). */
  completeMultipartUpload(input: { bucket: string; key: string; uploadId: string; parts: { partNumber: number; etag: string }[] }): Promise<PutObjectResult>;
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  listParts(input: { bucket: string; key: string; uploadId: string; partNumberMarker?: number; maxParts: number }): Promise<{ parts: PartInfo[]; isTruncated: boolean; nextPartNumberMarker?: number }>;
  listMultipartUploads(input: { bucket: string; prefix?: string; keyMarker?: string; uploadIdMarker?: string; maxUploads: number }): Promise<{ uploads: MultipartUploadInfo[]; isTruncated: boolean }>;
}
