import { StrataError } from '../platform/errors.js';
import { keepBytes, NO_BLOBS, parseWithBlobs, stringifyWithBlobs } from './inline-bytes.js';
import type { MemberState, MultipartUploadRecord, ObjectManifest, PartRecord } from './records.js';

/** A change to the metadata, proposed through Raft and applied in log order on every node. */
export type MetaCommand =
  | { op: 'setClusterId'; clusterId: string }
  | { op: 'createBucket'; name: string; createdMs: number }
  | { op: 'deleteBucket'; name: string }
  | {
      op: 'putObject';
      bucket: string;
      key: string;
      manifest: ObjectManifest;
      /** Conditional write: only if the current ETag is this one ('*' = only if absent, for If-None-Match: *). */
      ifMatch?: string;
      ifNoneMatch?: '*';
    }
  | { op: 'deleteObject'; bucket: string; key: string }
  | ({ op: 'createMultipartUpload' } & MultipartUploadRecord)
  | { op: 'putPart'; bucket: string; key: string; uploadId: string; part: PartRecord }
  | {
      op: 'completeMultipartUpload';
      bucket: string;
      key: string;
      uploadId: string;
      /** As the client listed them; validated against the stored parts in apply(). */
      parts: { partNumber: number; etag: string }[];
      /** md5(concat(part md5s))-N, computed by the proposer from the listed ETags (meta does no hashing). */
      etag: string;
      lastModifiedMs: number;
      /** Every part but the last must be at least this big (S3: 5 MiB). */
      minPartSizeBytes: number;
    }
  | { op: 'abortMultipartUpload'; bucket: string; key: string; uploadId: string }
  /** A member's data state: draining (its chunks move away), drained, or back to active. */
  | { op: 'setMemberState'; nodeId: number; state: MemberState; /** Only from this state (else Conflict): a finished drain never overrides an undrain. */ ifState?: MemberState }
  /** A chunk was copied or rebuilt under a new id on toNodeId: every reference moves to the copy. */
  | { op: 'replaceChunk'; chunkId: string; fromNodeId: number; toNodeId: number; newChunkId: string }
  /**
   * `cluster rebalance` was asked for (requested: true, so a new leader resumes it) or has finished
   * (requested: false). A clear names the request it finishes (requestedMs); a clear of an older request
   * is refused (Conflict), so a finishing worker never drops a newer request.
   */
  | { op: 'setRebalance'; requested: boolean; requestedMs: number };

/** The replicated rebalance intent (absent: none was ever requested). */
export interface RebalanceRequest {
  requested: boolean;
  requestedMs: number;
}

export type MetaErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'InvalidArgument';

/** The outcome of applying a command. Expected refusals are results, not exceptions: they are replicated. */
export type MetaResult =
  | { ok: true; value?: unknown }
  | { ok: false; code: MetaErrorCode; message: string; details?: Record<string, unknown> };

/**
 * A command is its JSON text; one that carries inline object bytes (decision 0022) is
 *   0x01, u32 BE text length, the text (blobs named by index), then per blob: u32 BE length, bytes.
 * JSON text starts with '{', so the first byte tells the two apart.
 */
const WITH_BLOBS = 0x01;
const encoder = new TextEncoder();

export function encodeMetaCommand(command: MetaCommand): Uint8Array {
  const blobs: Uint8Array[] = [];
  const text = stringifyWithBlobs(command, blobs);
  if (blobs.length === 0) return encoder.encode(text);
  const textBytes = Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafe(5 + textBytes + blobs.reduce((sum, b) => sum + 4 + b.byteLength, 0));
  out[0] = WITH_BLOBS;
  out.writeUInt32BE(textBytes, 1);
  let at = 5 + out.write(text, 5, 'utf8');
  for (const blob of blobs) {
    at = out.writeUInt32BE(blob.byteLength, at);
    out.set(blob, at);
    at += blob.byteLength;
  }
  return out;
}

/** Inline bytes of the result are views of `data` when it is (nearly) a whole buffer (a Raft entry's), else copies. */
export function decodeMetaCommand(data: Uint8Array): MetaCommand {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  try {
    if (buf[0] !== WITH_BLOBS) return parseWithBlobs<MetaCommand>(buf.toString('utf8'), NO_BLOBS);
    const textEnd = 5 + buf.readUInt32BE(1);
    if (textEnd > buf.length) throw new RangeError(`the text runs past the end`);
    const blobs: Uint8Array[] = [];
    for (let at = textEnd; at < buf.length; ) {
      const length = buf.readUInt32BE(at);
      if (at + 4 + length > buf.length) throw new RangeError(`blob ${blobs.length} runs past the end`);
      blobs.push(keepBytes(data, at + 4, length));
      at += 4 + length;
    }
    return parseWithBlobs<MetaCommand>(buf.toString('utf8', 5, textEnd), (i) => blobs[i] ?? NO_BLOBS(i));
  } catch (cause) {
    if (cause instanceof StrataError) throw cause;
    throw new StrataError('Corruption', 'a committed metadata command cannot be decoded', { cause });
  }
}

/** Turn a refused result into the StrataError the caller sees; return the value of an accepted one. */
export function unwrapMetaResult(result: MetaResult): unknown {
  if (result.ok) return result.value;
  throw new StrataError(result.code, result.message, result.details ? { details: result.details } : {});
}

/** Refusal helpers, so every refusal names its S3-facing reason or resource the same way. */
export function refuse(code: MetaErrorCode, message: string, details?: Record<string, unknown>): MetaResult {
  return details ? { ok: false, code, message, details } : { ok: false, code, message };
}

export function noSuchBucket(bucket: string): MetaResult {
  return refuse('NotFound', `bucket ${bucket} does not exist`, { resource: 'bucket', bucket });
}

export function noSuchUpload(uploadId: string): MetaResult {
  return refuse('NotFound', `multipart upload ${uploadId} does not exist`, { resource: 'upload', uploadId });
}

/** ETags compare without quotes (clients send them quoted in headers and XML). */
export function normalizeEtag(etag: string): string {
  let value = etag.trim();
  if (value.startsWith('W/')) value = value.slice(2);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  return value;
}
