import { noSuchUpload, normalizeEtag, refuse, type MetaCommand, type MetaResult } from './commands.js';
import { swapChunk, type ChunkOwner, type ChunkReferences } from './chunk-references.js';
import { newOrderedMap, type OrderedMap } from './ordered-map.js';
import type { MultipartLayout, MultipartUploadRecord, ObjectManifest, PartRecord } from './records.js';

export interface UploadState {
  record: MultipartUploadRecord;
  parts: Map<number, PartRecord>;
}

export interface UploadListQuery {
  prefix?: string;
  keyMarker?: string;
  /** With keyMarker: uploads of keyMarker after this id; without it, every upload of keyMarker is skipped. */
  uploadIdMarker?: string;
  limit: number;
}

export type CompleteCommand = Extract<MetaCommand, { op: 'completeMultipartUpload' }>;

export const MAX_PART_NUMBER = 10_000;

/** Ordered by key, then upload id; the separator sorts before any character a key can hold. */
function indexKey(key: string, uploadId: string): string {
  return `${key}\u0000${uploadId}`;
}

/** The in-progress multipart uploads of one bucket and their parts. Refusals are results (replicated). */
export class MultipartUploads {
  private readonly uploads: OrderedMap<UploadState> = newOrderedMap();

  constructor(private readonly refs: ChunkReferences) {}

  get size(): number {
    return this.uploads.size;
  }

  get(key: string, uploadId: string): UploadState | undefined {
    return this.uploads.get(indexKey(key, uploadId));
  }

  create(record: MultipartUploadRecord): MetaResult {
    const id = indexKey(record.key, record.uploadId);
    if (this.uploads.has(id)) return refuse('AlreadyExists', `multipart upload ${record.uploadId} already exists`);
    this.uploads.set(id, { record, parts: new Map() });
    return { ok: true, value: record };
  }

  putPart(key: string, uploadId: string, part: PartRecord): MetaResult {
    const upload = this.get(key, uploadId);
    if (!upload) return noSuchUpload(uploadId);
    if (!Number.isInteger(part.partNumber) || part.partNumber < 1 || part.partNumber > MAX_PART_NUMBER) {
      return refuse('InvalidArgument', `part number ${part.partNumber} is not in 1..${MAX_PART_NUMBER}`, { reason: 'InvalidArgument' });
    }
    const previous = upload.parts.get(part.partNumber);
    const owner = partOwner(upload.record, part.partNumber);
    this.refs.add(part.layout, part.sizeBytes, owner);
    this.refs.remove(previous?.layout, owner);
    upload.parts.set(part.partNumber, part);
    return { ok: true, value: previous };
  }

  /**
   * Validate the client's part list against the stored parts and turn them into an object manifest.
   * The upload is removed; parts it does not list lose their references (the GC reclaims their chunks).
   */
  complete(command: CompleteCommand): MetaResult {
    const upload = this.get(command.key, command.uploadId);
    if (!upload) return noSuchUpload(command.uploadId);
    if (command.parts.length === 0) return refuse('InvalidArgument', 'a multipart upload needs at least one part', { reason: 'MalformedXML' });
    const chosen: PartRecord[] = [];
    let previousNumber = 0;
    for (const wanted of command.parts) {
      if (wanted.partNumber <= previousNumber) {
        return refuse('Conflict', `part ${wanted.partNumber} is listed after part ${previousNumber}`, { reason: 'InvalidPartOrder' });
      }
      previousNumber = wanted.partNumber;
      const part = upload.parts.get(wanted.partNumber);
      if (!part || normalizeEtag(wanted.etag) !== part.etag) {
        return refuse('Conflict', `part ${wanted.partNumber} was not uploaded or its ETag does not match`, { reason: 'InvalidPart', partNumber: wanted.partNumber });
      }
      chosen.push(part);
    }
    // Sizes only once every listed part is known to exist (S3 reports InvalidPart first).
    for (const part of chosen.slice(0, -1)) {
      if (part.sizeBytes < command.minPartSizeBytes) {
        return refuse('Conflict', `part ${part.partNumber} is ${part.sizeBytes} bytes, below the ${command.minPartSizeBytes}-byte minimum`, {
          reason: 'EntityTooSmall',
          partNumber: part.partNumber,
        });
      }
    }
    const layout: MultipartLayout = {
      kind: 'multipart',
      parts: chosen.map((p) => ({ partNumber: p.partNumber, sizeBytes: p.sizeBytes, etag: p.etag, layout: p.layout })),
    };
    const { record } = upload;
    const manifest: ObjectManifest = {
      sizeBytes: chosen.reduce((sum, p) => sum + p.sizeBytes, 0),
      etag: command.etag,
      lastModifiedMs: command.lastModifiedMs,
      ...(record.contentType !== undefined ? { contentType: record.contentType } : {}),
      ...(record.userMetadata !== undefined ? { userMetadata: record.userMetadata } : {}),
      ...(record.headers !== undefined ? { headers: record.headers } : {}),
      layout,
    };
    // The object takes its own references before the upload drops the parts' ones: chosen chunks stay live.
    this.refs.add(layout, manifest.sizeBytes, { kind: 'object', bucket: record.bucket, key: record.key });
    this.drop(upload);
    return { ok: true, value: manifest };
  }

  abort(key: string, uploadId: string): MetaResult {
    const upload = this.get(key, uploadId);
    if (!upload) return noSuchUpload(uploadId);
    this.drop(upload);
    return { ok: true };
  }

  /** Drop every upload (the bucket is going away). */
  clear(): void {
    for (const upload of [...this.uploads.values()]) this.drop(upload);
  }

  list(query: UploadListQuery): { uploads: MultipartUploadRecord[]; isTruncated: boolean } {
    const prefix = query.prefix ?? '';
    let exclusive: string | undefined;
    if (query.keyMarker !== undefined) {
      // Without an upload id marker every upload of keyMarker is skipped: \u0001 sorts after `key\u0000<id>`.
      exclusive = query.uploadIdMarker ? indexKey(query.keyMarker, query.uploadIdMarker) : `${query.keyMarker}\u0001`;
    }
    const from = exclusive !== undefined && exclusive > prefix ? exclusive : prefix;
    const uploads: MultipartUploadRecord[] = [];
    for (const [id, state] of this.uploads.entries(from)) {
      if (exclusive !== undefined && id <= exclusive) continue;
      if (!state.record.key.startsWith(prefix)) break;
      if (uploads.length === query.limit) return { uploads, isTruncated: true };
      uploads.push(state.record);
    }
    return { uploads, isTruncated: false };
  }

  entries(): UploadState[] {
    return [...this.uploads.values()];
  }

  restore(states: { record: MultipartUploadRecord; parts: PartRecord[] }[]): void {
    for (const s of states) {
      const parts = new Map(s.parts.map((p) => [p.partNumber, p] as const));
      this.uploads.set(indexKey(s.record.key, s.record.uploadId), { record: s.record, parts });
      for (const part of parts.values()) this.refs.add(part.layout, part.sizeBytes, partOwner(s.record, part.partNumber));
    }
  }

  /** Point one part at a moved chunk (replaceChunk); false when the part is gone. */
  swapPartChunk(owner: Extract<ChunkOwner, { kind: 'part' }>, chunkId: string, fromNodeId: number, toNodeId: number, newChunkId: string): boolean {
    const upload = this.get(owner.key, owner.uploadId);
    const part = upload?.parts.get(owner.partNumber);
    if (!upload || !part) return false;
    const moved: PartRecord = { ...part, layout: swapChunk(part.layout, chunkId, fromNodeId, toNodeId, newChunkId) };
    this.refs.add(moved.layout, moved.sizeBytes, owner);
    this.refs.remove(part.layout, owner);
    upload.parts.set(owner.partNumber, moved);
    return true;
  }

  private drop(upload: UploadState): void {
    for (const part of upload.parts.values()) this.refs.remove(part.layout, partOwner(upload.record, part.partNumber));
    this.uploads.delete(indexKey(upload.record.key, upload.record.uploadId));
  }
}

function partOwner(record: MultipartUploadRecord, partNumber: number): ChunkOwner {
  return { kind: 'part', bucket: record.bucket, key: record.key, uploadId: record.uploadId, partNumber };
}
