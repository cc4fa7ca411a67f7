import { normalizeEtag } from '../meta/commands.js';
import type { ObjectManifest, PartRecord } from '../meta/records.js';
import { MAX_PART_NUMBER } from '../meta/multipart-uploads.js';
import { isStrataError, StrataError } from '../platform/errors.js';
import type { Counter } from '../platform/metrics.js';
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
import { writeData, type WriteDataInput, type WrittenData } from './data-writer.js';
import { multipartEtag } from './multipart-etag.js';
import { resolveObjectServiceOptions, type ObjectServiceOptions, type ResolvedObjectServiceOptions } from './object-service-options.js';
import { readObject } from './object-reader.js';
import { checkPreconditions, resolveRange, type RangeRequest } from './preconditions.js';
import { randomHexId } from './random-id.js';
import { StripeBufferPool } from './stripe-buffer-pool.js';
import { StripeCache } from './stripe-cache.js';
import { releasingAtEnd, TransferSlots } from './transfer-slots.js';

/** Refusals applied by the state machine: the command definitely did not take effect. */
const DEFINITE_REFUSALS = new Set(['NotFound', 'Conflict', 'InvalidArgument', 'AlreadyExists']);

/**
 * The ObjectService over Raft metadata, erasure coding and the chunk stores. Writes are durable in the
 * chunks before their manifest is proposed; reads are a linearizable metadata read, then only the
 * stripes a range needs. See docs/decisions/0006-small-objects-inline.md for what is stored inline.
 */
export class StrataObjectService implements ObjectService {
  private readonly o: ResolvedObjectServiceOptions;
  private readonly reads: Counter;
  private readonly writes: Counter;
  private readonly bytesRead: Counter;
  private readonly bytesWritten: Counter;
  /** The [data] cache_size read cache (off at size 0). */
  readonly stripeCache: StripeCache;
  private readonly readOptions: Parameters<typeof readObject>[0];
  /** [data] max_concurrent_transfers. */
  readonly transfers: TransferSlots;
  /** Stripe and parity buffers that writes give back (decision 0023). */
  private readonly stripeBuffers = new StripeBufferPool();

  constructor(options: ObjectServiceOptions) {
    this.o = resolveObjectServiceOptions(options);
    const m = this.o.metrics;
    this.stripeCache = new StripeCache({ capacityBytes: this.o.cacheSizeBytes, metrics: m });
    this.readOptions = { ...this.o, stripeCache: this.stripeCache };
    this.transfers = new TransferSlots({ limit: this.o.maxConcurrentTransfers, waitMs: this.o.transferWaitMs, clock: this.o.clock, metrics: m });
    this.reads = m.counter('strata_data_reads_total', 'Object reads (GET) served by this node.');
    this.writes = m.counter('strata_data_writes_total', 'Object writes (PUT, part uploads, copies) stored by this node.');
    this.bytesRead = m.counter('strata_data_bytes_read', 'Object bytes served by this node.');
    this.bytesWritten = m.counter('strata_data_bytes_written', 'Object bytes stored through this node.');
  }

  async createBucket(name: string): Promise<void> {
    await this.o.metadata.execute({ op: 'createBucket', name, createdMs: this.o.clock.wallMs() });
  }

  async deleteBucket(name: string): Promise<void> {
    await this.o.metadata.execute({ op: 'deleteBucket', name });
  }

  async headBucket(name: string): Promise<BucketSummary> {
    const record = await this.o.metadata.read((meta) => meta.getBucket(name));
    if (!record) throw noSuchBucket(name);
    return { name: record.name, createdMs: record.createdMs };
  }

  async listBuckets(): Promise<BucketSummary[]> {
    const records = await this.o.metadata.read((meta) => meta.listBuckets());
    return records.map((r) => ({ name: r.name, createdMs: r.createdMs }));
  }

  async putObject(input: PutObjectInput): Promise<PutObjectResult> {
    const manifest = await this.storeObject(input);
    return { etag: manifest.etag, sizeBytes: manifest.sizeBytes };
  }

  async getObject(bucket: string, key: string, options: { range?: RangeRequest; preconditions?: Preconditions } = {}): Promise<GetObjectResult> {
    return this.openObject(bucket, key, options, this.transfers);
  }

  async headObject(bucket: string, key: string, options: { preconditions?: Preconditions } = {}): Promise<ObjectHead> {
    const manifest = await this.currentObject(bucket, key);
    checkPreconditions(manifest, options.preconditions);
    return toHead(key, manifest);
  }

  /** Old chunks are left unreferenced; the ChunkGarbageCollector reclaims them after its grace period. */
  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.o.metadata.execute({ op: 'deleteObject', bucket, key });
  }

  async copyObject(input: Parameters<ObjectService['copyObject']>[0]): Promise<PutObjectResult & { lastModifiedMs: number }> {
    if (input.sourceBucket === input.bucket && input.sourceKey === input.key && input.metadataDirective === 'COPY') {
      throw new StrataError('InvalidArgument', 'copying an object onto itself needs the REPLACE metadata directive', { details: { reason: 'InvalidRequest' } });
    }
    const source = await this.getSource(input.sourceBucket, input.sourceKey, input.sourcePreconditions);
    const meta = input.metadataDirective === 'COPY' ? source.head : input;
    const manifest = await this.storeObject({
      bucket: input.bucket,
      key: input.key,
      body: source.body,
      sizeBytes: source.head.sizeBytes,
      ...optional('contentType', meta.contentType),
      ...optional('userMetadata', meta.userMetadata),
      ...optional('headers', meta.headers),
    });
    return { etag: manifest.etag, sizeBytes: manifest.sizeBytes, lastModifiedMs: manifest.lastModifiedMs };
  }

  async listObjects(input: ListObjectsInput): Promise<ListObjectsResult> {
    const page = await this.o.metadata.read((meta) =>
      meta.listObjectPage(input.bucket, {
        maxKeys: input.maxKeys,
        ...optional('prefix', input.prefix),
        ...optional('delimiter', input.delimiter),
        ...optional('startAfter', input.startAfter),
      }),
    );
    return {
      objects: page.objects.map((e) => ({ key: e.key, sizeBytes: e.manifest.sizeBytes, etag: e.manifest.etag, lastModifiedMs: e.manifest.lastModifiedMs })),
      commonPrefixes: page.commonPrefixes,
      isTruncated: page.isTruncated,
      ...optional('nextStartAfter', page.nextStartAfter),
    };
  }

  async createMultipartUpload(input: Parameters<ObjectService['createMultipartUpload']>[0]): Promise<MultipartUploadInfo> {
    const uploadId = randomHexId(this.o.random);
    const initiatedMs = this.o.clock.wallMs();
    await this.o.metadata.execute({
      op: 'createMultipartUpload',
      bucket: input.bucket,
      key: input.key,
      uploadId,
      initiatedMs,
      ...optional('contentType', input.contentType),
      ...optional('userMetadata', input.userMetadata),
      ...optional('headers', input.headers),
    });
    return { bucket: input.bucket, key: input.key, uploadId, initiatedMs };
  }

  async uploadPart(input: Parameters<ObjectService['uploadPart']>[0]): Promise<PutObjectResult> {
    const part = await this.storePart(input);
    return { etag: part.etag, sizeBytes: part.sizeBytes };
  }

  async uploadPartCopy(input: Parameters<ObjectService['uploadPartCopy']>[0]): Promise<PutObjectResult & { lastModifiedMs: number }> {
    const source = await this.getSource(input.sourceBucket, input.sourceKey, input.sourcePreconditions, input.range);
    const part = await this.storePart({ ...input, body: source.body, sizeBytes: source.range ? source.range.end - source.range.start + 1 : source.head.sizeBytes });
    return { etag: part.etag, sizeBytes: part.sizeBytes, lastModifiedMs: part.lastModifiedMs };
  }

  async completeMultipartUpload(input: Parameters<ObjectService['completeMultipartUpload']>[0]): Promise<PutObjectResult> {
    const manifest = (await this.o.metadata.execute({
      op: 'completeMultipartUpload',
      bucket: input.bucket,
      key: input.key,
      uploadId: input.uploadId,
      parts: input.parts.map((p) => ({ partNumber: p.partNumber, etag: normalizeEtag(p.etag) })),
      etag: multipartEtag(input.parts.map((p) => p.etag)),
      lastModifiedMs: this.o.clock.wallMs(),
      minPartSizeBytes: this.o.minPartSizeBytes,
    })) as ObjectManifest;
    return { etag: manifest.etag, sizeBytes: manifest.sizeBytes };
  }

  /** The parts' chunks are left unreferenced; the garbage collector reclaims them. */
  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.o.metadata.execute({ op: 'abortMultipartUpload', bucket, key, uploadId });
  }

  async listParts(input: Parameters<ObjectService['listParts']>[0]): Promise<{ parts: PartInfo[]; isTruncated: boolean; nextPartNumberMarker?: number }> {
    const listing = await this.o.metadata.read((meta) => {
      if (!meta.getBucket(input.bucket)) throw noSuchBucket(input.bucket);
      return meta.listParts(input.bucket, input.key, input.uploadId, { limit: input.maxParts, ...optional('partNumberMarker', input.partNumberMarker) });
    });
    if (!listing) throw noSuchUpload(input.uploadId);
    const parts = listing.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag, sizeBytes: p.sizeBytes, lastModifiedMs: p.lastModifiedMs }));
    const last = parts.at(-1);
    return listing.isTruncated && last ? { parts, isTruncated: true, nextPartNumberMarker: last.partNumber } : { parts, isTruncated: listing.isTruncated };
  }

  async listMultipartUploads(input: Parameters<ObjectService['listMultipartUploads']>[0]): Promise<{ uploads: MultipartUploadInfo[]; isTruncated: boolean }> {
    const listing = await this.o.metadata.read((meta) =>
      meta.listUploads(input.bucket, {
        limit: input.maxUploads,
        ...optional('prefix', input.prefix),
        ...optional('keyMarker', input.keyMarker),
        ...optional('uploadIdMarker', input.uploadIdMarker),
      }),
    );
    return {
      uploads: listing.uploads.map((u) => ({ bucket: u.bucket, key: u.key, uploadId: u.uploadId, initiatedMs: u.initiatedMs })),
      isTruncated: listing.isTruncated,
    };
  }

  /**
   * Write the bytes durably, then commit the manifest (with its precondition) through Raft. The state
   * machine checks the bucket and the precondition atomically; the early read only spares chunk writes,
   * so a body declared small enough to go inline skips it (and its ReadIndex round). A conditional PUT
   * waits for it before storing anything; an unconditional one (which can only fail on a missing
   * bucket) runs it alongside the write, so its ReadIndex round is off the critical path, and deletes
   * the chunks when it fails.
   */
  private async storeObject(input: PutObjectInput): Promise<ObjectManifest> {
    const declaredInline = input.sizeBytes !== undefined && input.sizeBytes <= this.o.inlineThresholdBytes;
    const conditional = input.ifMatch !== undefined || input.ifNoneMatch !== undefined;
    let precheck: Promise<void> | undefined;
    if (!declaredInline) {
      precheck = this.precheckPut(input);
      if (conditional) await precheck;
      else precheck.catch(() => undefined); // observed below, never unhandled meanwhile
    }
    let written: WrittenData;
    try {
      written = await this.write(input);
    } catch (error) {
      await precheck; // a missing bucket explains the failure better than what it did to the write
      throw error;
    }
    try {
      await precheck;
    } catch (error) {
      void Promise.allSettled(written.chunks.map((c) => this.o.chunkStores.forNode(c.nodeId).delete(c.chunkId)));
      throw error;
    }
    const manifest: ObjectManifest = {
      sizeBytes: written.sizeBytes,
      etag: written.md5.toString('hex'),
      lastModifiedMs: this.o.clock.wallMs(),
      ...optional('contentType', input.contentType),
      ...optional('userMetadata', input.userMetadata),
      ...optional('headers', input.headers),
      layout: written.layout,
    };
    await this.commit(written, {
      op: 'putObject',
      bucket: input.bucket,
      key: input.key,
      manifest,
      ...optional('ifMatch', input.ifMatch),
      ...optional('ifNoneMatch', input.ifNoneMatch),
    });
    return manifest;
  }

  /** Fail a doomed write (bucket gone, precondition false) before its chunks are stored. */
  private async precheckPut(input: PutObjectInput): Promise<void> {
    const current = await this.o.metadata.read((meta) => {
      if (!meta.getBucket(input.bucket)) throw noSuchBucket(input.bucket);
      return meta.getObject(input.bucket, input.key);
    });
    if (input.ifNoneMatch === '*' && current) throw preconditionFailed(`object ${input.key} already exists`);
    if (input.ifMatch !== undefined && !current) throw new StrataError('NotFound', `object ${input.key} does not exist`, { details: { resource: 'object', bucket: input.bucket, key: input.key } });
    if (input.ifMatch !== undefined && current && current.etag !== normalizeEtag(input.ifMatch)) throw preconditionFailed(`If-Match ${input.ifMatch} does not match`);
  }

  private async storePart(input: Parameters<ObjectService['uploadPart']>[0]): Promise<PartRecord> {
    if (!Number.isInteger(input.partNumber) || input.partNumber < 1 || input.partNumber > MAX_PART_NUMBER) {
      throw new StrataError('InvalidArgument', `part number must be in 1..${MAX_PART_NUMBER}, got ${input.partNumber}`, { details: { reason: 'InvalidArgument' } });
    }
    const upload = await this.o.metadata.read((meta) => {
      if (!meta.getBucket(input.bucket)) throw noSuchBucket(input.bucket);
      return meta.getUpload(input.bucket, input.key, input.uploadId);
    });
    if (!upload) throw noSuchUpload(input.uploadId);
    const written = await this.write(input);
    const part: PartRecord = {
      partNumber: input.partNumber,
      etag: written.md5.toString('hex'),
      sizeBytes: written.sizeBytes,
      lastModifiedMs: this.o.clock.wallMs(),
      layout: written.layout,
    };
    await this.commit(written, { op: 'putPart', bucket: input.bucket, key: input.key, uploadId: input.uploadId, part });
    return part;
  }

  private async write(input: WriteDataInput): Promise<WrittenData> {
    const written = await writeData({ ...this.o, transfers: this.transfers, stripeBuffers: this.stripeBuffers }, input);
    this.writes.inc();
    this.bytesWritten.inc(written.sizeBytes);
    return written;
  }

  /**
   * Propose the manifest. When the state machine refuses it (precondition, bucket or upload gone) the
   * chunks are certainly orphans and are deleted now; after an unknown outcome (Timeout) they are left
   * for the garbage collector, which deletes them only if no manifest references them.
   */
  private async commit(written: WrittenData, command: Parameters<ResolvedObjectServiceOptions['metadata']['execute']>[0]): Promise<void> {
    try {
      await this.o.metadata.execute(command);
    } catch (error) {
      if (isStrataError(error) && DEFINITE_REFUSALS.has(error.code)) {
        void Promise.allSettled(written.chunks.map((c) => this.o.chunkStores.forNode(c.nodeId).delete(c.chunkId)));
      }
      throw error;
    }
  }

  private async currentObject(bucket: string, key: string): Promise<ObjectManifest> {
    const manifest = await this.o.metadata.read((meta) => {
      if (!meta.getBucket(bucket)) throw noSuchBucket(bucket);
      return meta.getObject(bucket, key);
    });
    if (!manifest) throw new StrataError('NotFound', `object ${key} does not exist`, { details: { resource: 'object', bucket, key } });
    return manifest;
  }

  /**
   * The object's head and a body that reads it. An erasure-coded object waits for a transfer slot
   * (before the caller answers, so a refusal is still a proper error), which its body gives back.
   */
  private async openObject(
    bucket: string,
    key: string,
    options: { range?: RangeRequest; preconditions?: Preconditions },
    transfers: TransferSlots | undefined,
  ): Promise<GetObjectResult> {
    const manifest = await this.currentObject(bucket, key);
    checkPreconditions(manifest, options.preconditions);
    const range = options.range ? resolveRange(options.range, manifest.sizeBytes) : undefined;
    const release = manifest.layout?.kind === 'inline' ? undefined : await transfers?.acquire();
    this.reads.inc();
    const read = this.countRead(readObject(this.readOptions, manifest, range?.start ?? 0, range?.end ?? manifest.sizeBytes - 1));
    const body = release === undefined ? read : releasingAtEnd(release, read);
    return range ? { head: toHead(key, manifest), range, body } : { head: toHead(key, manifest), body };
  }

  /**
   * A copy source: its conditions fail with PreconditionFailed (never NotModified, as S3 does). It takes
   * no transfer slot of its own: the copy's write holds one, and a copy holding two could wait on itself.
   */
  private async getSource(bucket: string, key: string, preconditions: Preconditions | undefined, range?: ByteRange): Promise<GetObjectResult> {
    try {
      return await this.openObject(bucket, key, { ...optional('preconditions', preconditions), ...optional('range', range) }, undefined);
    } catch (error) {
      if (isStrataError(error, 'Conflict') && error.details.reason === 'NotModified') throw preconditionFailed('the copy source does not meet its conditions');
      throw error;
    }
  }

  private async *countRead(body: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const piece of body) {
      this.bytesRead.inc(piece.byteLength);
      yield piece;
    }
  }
}

function toHead(key: string, manifest: ObjectManifest): ObjectHead {
  return {
    key,
    sizeBytes: manifest.sizeBytes,
    etag: manifest.etag,
    lastModifiedMs: manifest.lastModifiedMs,
    ...optional('contentType', manifest.contentType),
    userMetadata: manifest.userMetadata ?? {},
    headers: manifest.headers ?? {},
    ...(manifest.layout?.kind === 'multipart' ? { partCount: manifest.layout.parts.length } : {}),
  };
}

/** `{ [name]: value }` when value is defined, else `{}`: keeps undefined out of replicated JSON records. */
function optional<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: V };
}

function noSuchBucket(bucket: string): StrataError {
  return new StrataError('NotFound', `bucket ${bucket} does not exist`, { details: { resource: 'bucket', bucket } });
}

function noSuchUpload(uploadId: string): StrataError {
  return new StrataError('NotFound', `multipart upload ${uploadId} does not exist`, { details: { resource: 'upload', uploadId } });
}

function preconditionFailed(message: string): StrataError {
  return new StrataError('Conflict', message, { details: { reason: 'PreconditionFailed' } });
}
