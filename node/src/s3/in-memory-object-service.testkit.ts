import { createHash, randomUUID } from 'node:crypto';
import { StrataError } from '../platform/errors.js';
import type {
  BucketSummary,
  ByteRange,
  GetObjectResult,
  ListObjectsInput,
  ListObjectsResult,
  MultipartUploadInfo,
  ObjectHead,
  ObjectService,
  PartInfo,
  Preconditions,
  PutObjectInput,
  PutObjectResult,
} from '../ports/object-service.js';

/**
 * A test double of ObjectService that keeps everything in memory, with the semantics the port's header
 * comment promises (errors, preconditions, ranges, listing with delimiters, multipart rules). It reads
 * the whole body before storing anything, so a body that throws leaves no object behind.
 */
interface StoredObject {
  head: ObjectHead;
  data: Buffer;
}

interface Upload {
  info: MultipartUploadInfo;
  contentType?: string;
  userMetadata: Record<string, string>;
  headers: Record<string, string>;
  parts: Map<number, { info: PartInfo; data: Buffer }>;
}

export interface InMemoryObjectServiceOptions {
  now?: () => number;
  minPartSizeBytes?: number;
}

const notFound = (resource: string, what: string): StrataError => new StrataError('NotFound', `no such ${resource}: ${what}`, { details: { resource } });
const conflict = (reason: string, message = reason): StrataError => new StrataError('Conflict', message, { details: { reason } });

export class InMemoryObjectService implements ObjectService {
  readonly buckets = new Map<string, { createdMs: number; objects: Map<string, StoredObject> }>();
  readonly uploads = new Map<string, Upload>();
  /** Count of putObject calls that stored something (tests check that failed bodies stored nothing). */
  puts = 0;
  private readonly now: () => number;
  private readonly minPartSizeBytes: number;

  constructor(options: InMemoryObjectServiceOptions = {}) {
    this.now = options.now ?? (() => Date.now());
    this.minPartSizeBytes = options.minPartSizeBytes ?? 5 * 1024 * 1024;
  }

  private bucket(name: string): { createdMs: number; objects: Map<string, StoredObject> } {
    const b = this.buckets.get(name);
    if (b === undefined) throw notFound('bucket', name);
    return b;
  }

  private object(bucket: string, key: string): StoredObject {
    const o = this.bucket(bucket).objects.get(key);
    if (o === undefined) throw notFound('object', key);
    return o;
  }

  async createBucket(name: string): Promise<void> {
    if (this.buckets.has(name)) throw new StrataError('AlreadyExists', `bucket ${name} exists`);
    this.buckets.set(name, { createdMs: this.now(), objects: new Map() });
  }

  async deleteBucket(name: string): Promise<void> {
    const b = this.bucket(name);
    const hasUploads = [...this.uploads.values()].some((u) => u.info.bucket === name);
    if (b.objects.size > 0 || hasUploads) throw conflict('BucketNotEmpty');
    this.buckets.delete(name);
  }

  async headBucket(name: string): Promise<BucketSummary> {
    return { name, createdMs: this.bucket(name).createdMs };
  }

  async listBuckets(): Promise<BucketSummary[]> {
    return [...this.buckets.entries()].map(([name, b]) => ({ name, createdMs: b.createdMs }));
  }

  async putObject(input: PutObjectInput): Promise<PutObjectResult> {
    const b = this.bucket(input.bucket);
    const existing = b.objects.get(input.key);
    if (input.ifNoneMatch === '*' && existing !== undefined) throw conflict('PreconditionFailed');
    if (input.ifMatch !== undefined && (existing === undefined || !etagMatches(input.ifMatch, existing.head.etag))) throw conflict('PreconditionFailed');
    const data = await readAll(input.body);
    if (input.contentMd5 !== undefined && createHash('md5').update(data).digest('base64') !== input.contentMd5) throw conflict('BadDigest');
    const etag = createHash('md5').update(data).digest('hex');
    this.store(input.bucket, input.key, data, etag, input);
    this.puts += 1;
    return { etag, sizeBytes: data.length };
  }

  private store(bucket: string, key: string, data: Buffer, etag: string, attrs: { contentType?: string; userMetadata?: Record<string, string>; headers?: Record<string, string> }, partCount?: number): ObjectHead {
    const head: ObjectHead = {
      key,
      sizeBytes: data.length,
      etag,
      lastModifiedMs: this.now(),
      contentType: attrs.contentType,
      userMetadata: { ...(attrs.userMetadata ?? {}) },
      headers: { ...(attrs.headers ?? {}) },
      partCount,
    };
    this.bucket(bucket).objects.set(key, { head, data });
    return head;
  }

  async getObject(bucket: string, key: string, options: { range?: ByteRange | { suffixLength: number } | { start: number }; preconditions?: Preconditions } = {}): Promise<GetObjectResult> {
    const o = this.object(bucket, key);
    checkPreconditions(o.head, options.preconditions);
    const range = options.range === undefined ? undefined : resolveRange(options.range, o.head.sizeBytes);
    const data = range === undefined ? o.data : o.data.subarray(range.start, range.end + 1);
    return { head: o.head, range, body: chunked(data) };
  }

  async headObject(bucket: string, key: string, options: { preconditions?: Preconditions } = {}): Promise<ObjectHead> {
    const o = this.object(bucket, key);
    checkPreconditions(o.head, options.preconditions);
    return o.head;
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    this.bucket(bucket).objects.delete(key);
  }

  async copyObject(input: Parameters<ObjectService['copyObject']>[0]): Promise<PutObjectResult & { lastModifiedMs: number }> {
    const source = this.object(input.sourceBucket, input.sourceKey);
    checkPreconditions(source.head, input.sourcePreconditions);
    this.bucket(input.bucket);
    const attrs = input.metadataDirective === 'COPY' ? { contentType: source.head.contentType, userMetadata: source.head.userMetadata, headers: source.head.headers } : input;
    const head = this.store(input.bucket, input.key, Buffer.from(source.data), source.head.etag, attrs, source.head.partCount);
    return { etag: head.etag, sizeBytes: head.sizeBytes, lastModifiedMs: head.lastModifiedMs };
  }

  async listObjects(input: ListObjectsInput): Promise<ListObjectsResult> {
    const b = this.bucket(input.bucket);
    const prefix = input.prefix ?? '';
    const keys = [...b.objects.keys()].filter((k) => k.startsWith(prefix)).sort(compare);
    const objects: ListObjectsResult['objects'] = [];
    const commonPrefixes: string[] = [];
    let last: string | undefined;
    for (const key of keys) {
      if (input.startAfter !== undefined && key <= input.startAfter) continue;
      let cp: string | undefined;
      if (input.delimiter !== undefined && input.delimiter !== '') {
        const at = key.indexOf(input.delimiter, prefix.length);
        if (at >= 0) cp = key.slice(0, at + input.delimiter.length);
      }
      // A common prefix already returned (the page started after it) is not listed again.
      if (cp !== undefined && input.startAfter !== undefined && cp <= input.startAfter) continue;
      if (cp !== undefined && commonPrefixes.at(-1) === cp) continue;
      if (objects.length + commonPrefixes.length >= input.maxKeys) return { objects, commonPrefixes, isTruncated: true, nextStartAfter: last };
      if (cp !== undefined) {
        commonPrefixes.push(cp);
        last = cp;
      } else {
        const h = b.objects.get(key)!.head;
        objects.push({ key, sizeBytes: h.sizeBytes, etag: h.etag, lastModifiedMs: h.lastModifiedMs });
        last = key;
      }
    }
    return { objects, commonPrefixes, isTruncated: false, nextStartAfter: last };
  }

  async createMultipartUpload(input: Parameters<ObjectService['createMultipartUpload']>[0]): Promise<MultipartUploadInfo> {
    this.bucket(input.bucket);
    const info: MultipartUploadInfo = { bucket: input.bucket, key: input.key, uploadId: randomUUID().replace(/-/g, ''), initiatedMs: this.now() };
    this.uploads.set(info.uploadId, { info, contentType: input.contentType, userMetadata: input.userMetadata ?? {}, headers: input.headers ?? {}, parts: new Map() });
    return info;
  }

  private upload(bucket: string, key: string, uploadId: string): Upload {
    this.bucket(bucket);
    const u = this.uploads.get(uploadId);
    if (u === undefined || u.info.bucket !== bucket || u.info.key !== key) throw notFound('upload', uploadId);
    return u;
  }

  async uploadPart(input: Parameters<ObjectService['uploadPart']>[0]): Promise<PutObjectResult> {
    const u = this.upload(input.bucket, input.key, input.uploadId);
    const data = await readAll(input.body);
    if (input.contentMd5 !== undefined && createHash('md5').update(data).digest('base64') !== input.contentMd5) throw conflict('BadDigest');
    const etag = createHash('md5').update(data).digest('hex');
    u.parts.set(input.partNumber, { info: { partNumber: input.partNumber, etag, sizeBytes: data.length, lastModifiedMs: this.now() }, data });
    return { etag, sizeBytes: data.length };
  }

  async uploadPartCopy(input: Parameters<ObjectService['uploadPartCopy']>[0]): Promise<PutObjectResult & { lastModifiedMs: number }> {
    const u = this.upload(input.bucket, input.key, input.uploadId);
    const source = this.object(input.sourceBucket, input.sourceKey);
    checkPreconditions(source.head, input.sourcePreconditions);
    if (input.range !== undefined && input.range.end >= source.head.sizeBytes) {
      throw new StrataError('InvalidArgument', 'The x-amz-copy-source-range is beyond the source object', { details: { reason: 'InvalidRange' } });
    }
    const data = Buffer.from(input.range === undefined ? source.data : source.data.subarray(input.range.start, input.range.end + 1));
    const etag = createHash('md5').update(data).digest('hex');
    const info = { partNumber: input.partNumber, etag, sizeBytes: data.length, lastModifiedMs: this.now() };
    u.parts.set(input.partNumber, { info, data });
    return { etag, sizeBytes: data.length, lastModifiedMs: info.lastModifiedMs };
  }

  async completeMultipartUpload(input: Parameters<ObjectService['completeMultipartUpload']>[0]): Promise<PutObjectResult> {
    const u = this.upload(input.bucket, input.key, input.uploadId);
    const chosen: Buffer[] = [];
    const md5s: Buffer[] = [];
    // The order is checked first, as S3 does, then each part.
    if (input.parts.some((p, i) => i > 0 && p.partNumber <= input.parts[i - 1].partNumber)) throw conflict('InvalidPartOrder');
    for (let i = 0; i < input.parts.length; i++) {
      const p = input.parts[i];
      const part = u.parts.get(p.partNumber);
      if (part === undefined || part.info.etag !== p.etag) throw conflict('InvalidPart');
      if (i < input.parts.length - 1 && part.data.length < this.minPartSizeBytes) throw conflict('EntityTooSmall');
      chosen.push(part.data);
      md5s.push(Buffer.from(part.info.etag, 'hex'));
    }
    const data = Buffer.concat(chosen);
    const etag = `${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${chosen.length}`;
    this.store(input.bucket, input.key, data, etag, u, chosen.length);
    this.uploads.delete(input.uploadId);
    return { etag, sizeBytes: data.length };
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    this.upload(bucket, key, uploadId);
    this.uploads.delete(uploadId);
  }

  async listParts(input: Parameters<ObjectService['listParts']>[0]): Promise<{ parts: PartInfo[]; isTruncated: boolean; nextPartNumberMarker?: number }> {
    const u = this.upload(input.bucket, input.key, input.uploadId);
    const all = [...u.parts.values()].map((p) => p.info).filter((p) => p.partNumber > (input.partNumberMarker ?? 0)).sort((a, b) => a.partNumber - b.partNumber);
    const parts = all.slice(0, input.maxParts);
    const isTruncated = all.length > parts.length;
    return { parts, isTruncated, nextPartNumberMarker: isTruncated ? parts.at(-1)?.partNumber : undefined };
  }

  async listMultipartUploads(input: Parameters<ObjectService['listMultipartUploads']>[0]): Promise<{ uploads: MultipartUploadInfo[]; isTruncated: boolean }> {
    this.bucket(input.bucket);
    const all = [...this.uploads.values()]
      .map((u) => u.info)
      .filter((u) => u.bucket === input.bucket && u.key.startsWith(input.prefix ?? ''))
      .filter((u) => input.keyMarker === undefined || u.key > input.keyMarker || (u.key === input.keyMarker && input.uploadIdMarker !== undefined && u.uploadId > input.uploadIdMarker))
      .sort((a, b) => compare(a.key, b.key) || compare(a.uploadId, b.uploadId));
    const uploads = all.slice(0, input.maxUploads);
    return { uploads, isTruncated: all.length > uploads.length };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((e) => e.trim() === '*' || e.trim() === etag);
}

/** S3's order: If-Match, then If-Unmodified-Since (only without If-Match) -> 412; If-None-Match, then If-Modified-Since -> 304. */
function checkPreconditions(head: ObjectHead, p: Preconditions | undefined): void {
  if (p === undefined) return;
  const modifiedS = Math.floor(head.lastModifiedMs / 1000) * 1000;
  if (p.ifMatch !== undefined && !etagMatches(p.ifMatch, head.etag)) throw conflict('PreconditionFailed');
  if (p.ifMatch === undefined && p.ifUnmodifiedSinceMs !== undefined && modifiedS > p.ifUnmodifiedSinceMs) throw conflict('PreconditionFailed');
  if (p.ifNoneMatch !== undefined && etagMatches(p.ifNoneMatch, head.etag)) throw conflict('NotModified');
  if (p.ifNoneMatch === undefined && p.ifModifiedSinceMs !== undefined && modifiedS <= p.ifModifiedSinceMs) throw conflict('NotModified');
}

function resolveRange(range: ByteRange | { suffixLength: number } | { start: number }, size: number): ByteRange {
  const invalid = (): StrataError => new StrataError('InvalidArgument', 'The requested range is not satisfiable', { details: { reason: 'InvalidRange' } });
  if ('suffixLength' in range) {
    if (size === 0) throw invalid();
    return { start: Math.max(0, size - range.suffixLength), end: size - 1 };
  }
  if (range.start >= size) throw invalid();
  return { start: range.start, end: 'end' in range ? Math.min(range.end, size - 1) : size - 1 };
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of body) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

async function* chunked(data: Buffer): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += 64 * 1024) yield data.subarray(i, i + 64 * 1024);
}
