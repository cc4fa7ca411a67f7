import { assert } from '../platform/assert.js';
import { StrataError } from '../platform/errors.js';
import { ChunkReferences, swapChunk, type ChunkLocation } from './chunk-references.js';
import { keepInline, keepPartInline, relocateInline, type InlineByteStore } from './inline-store.js';
import { decodeMetaCommand, noSuchBucket, normalizeEtag, refuse, type MetaCommand, type MetaResult, type RebalanceRequest } from './commands.js';
import { MultipartUploads, type UploadListQuery } from './multipart-uploads.js';
import { listObjectPage, type ObjectPage, type ObjectPageQuery } from './object-listing.js';
import { newOrderedMap, type OrderedMap } from './ordered-map.js';
import { readSnapshot, writeSnapshotTo, writeSnapshotNow, yieldToEventLoop, type CapturedState, type Pause, type SnapshotCapture } from './snapshot-format.js';
import type { BucketRecord, MemberRecord, MemberState, MultipartUploadRecord, ObjectEntry, ObjectManifest, PartRecord } from './records.js';

/** Inline layouts relocated between two turns of the event loop in a compaction pass. */
const RELOCATIONS_PER_SLICE = 500;

/** A Raft membership change as the metadata records it (the runtime passes the address it carried). */
export interface MembershipChange {
  type: 'addLearner' | 'promote' | 'remove';
  nodeId: number;
  address?: string;
  zone?: string;
  /** The node's admin base URL (http://host:9090), carried by the join. */
  adminUrl?: string;
}

export interface ListObjectsQuery {
  prefix?: string;
  /** Return keys strictly after this one. */
  startAfter?: string;
  limit: number;
}

interface BucketState {
  record: BucketRecord;
  objects: OrderedMap<ObjectManifest>;
  uploads: MultipartUploads;
}

/**
 * The replicated metadata: cluster identity, members, buckets, object manifests, multipart uploads and
 * the chunk references derived from them. Pure and deterministic; held in memory (B+trees per bucket)
 * and rebuilt from snapshot + log at start.
 */
export class MetaStateMachine {
  /**
   * `pause` gives the event loop a turn between snapshot slices (the simulator passes a microtask).
   * `inlineStore`: where inline objects' bytes are kept (0024); without one, in memory.
   */
  constructor(
    private readonly pause: Pause = yieldToEventLoop,
    private readonly inlineStore?: InlineByteStore,
  ) {}

  private clusterIdValue = '';
  private readonly memberMap = new Map<number, MemberRecord>();
  private readonly bucketMap = new Map<string, BucketState>();
  private readonly refs = new ChunkReferences();
  private rebalanceValue: RebalanceRequest | undefined;
  /** Captures whose snapshot is still being written: a compaction pass keeps their inline bytes too. */
  private readonly capturesInWrite = new Set<CapturedState>();
  private compactingInline = false;

  apply(_index: number, data: Uint8Array): MetaResult {
    const result = this.applyCommand(decodeMetaCommand(data));
    this.maybeCompactInline();
    return result;
  }

  applyCommand(command: MetaCommand): MetaResult {
    switch (command.op) {
      case 'setClusterId':
        this.clusterIdValue = command.clusterId;
        return { ok: true };
      case 'createBucket':
        return this.createBucket(command.name, command.createdMs);
      case 'deleteBucket':
        return this.deleteBucket(command.name);
      case 'putObject':
        return this.putObject(command);
      case 'deleteObject':
        return this.deleteObject(command.bucket, command.key);
      case 'createMultipartUpload': {
        const { op: _op, ...record } = command;
        const state = this.bucketMap.get(record.bucket);
        return state ? state.uploads.create(record) : noSuchBucket(record.bucket);
      }
      case 'putPart': {
        const state = this.bucketMap.get(command.bucket);
        return state ? state.uploads.putPart(command.key, command.uploadId, this.keepPart(command.part)) : noSuchBucket(command.bucket);
      }
      case 'completeMultipartUpload':
        return this.completeMultipartUpload(command);
      case 'abortMultipartUpload': {
        const state = this.bucketMap.get(command.bucket);
        return state ? state.uploads.abort(command.key, command.uploadId) : noSuchBucket(command.bucket);
      }
      case 'setMemberState':
        return this.setMemberState(command.nodeId, command.state, command.ifState);
      case 'replaceChunk':
        return this.replaceChunk(command);
      case 'setRebalance':
        return this.setRebalance(command.requested, command.requestedMs);
    }
  }

  applyMembership(index: number, change: MembershipChange): void {
    const existing = this.memberMap.get(change.nodeId);
    switch (change.type) {
      case 'addLearner':
        this.memberMap.set(change.nodeId, {
          id: change.nodeId,
          address: change.address ?? existing?.address ?? '',
          state: existing?.state ?? 'active',
          joinedIndex: existing?.joinedIndex ?? index,
          ...((change.zone ?? existing?.zone) !== undefined ? { zone: change.zone ?? existing?.zone } : {}),
          ...((change.adminUrl ?? existing?.adminUrl) !== undefined ? { adminUrl: change.adminUrl ?? existing?.adminUrl } : {}),
        });
        return;
      case 'promote':
        return;
      case 'remove':
        this.memberMap.delete(change.nodeId);
        return;
    }
  }

  /** The first node of a new cluster records itself before its first snapshot is written. */
  bootstrap(clusterId: string, self: { id: number; address: string; zone?: string; adminUrl?: string }): void {
    assert(this.clusterIdValue === '' && this.memberMap.size === 0, 'bootstrap of a non-empty state machine');
    this.clusterIdValue = clusterId;
    this.memberMap.set(self.id, {
      id: self.id,
      address: self.address,
      state: 'active',
      joinedIndex: 1,
      ...(self.zone ? { zone: self.zone } : {}),
      ...(self.adminUrl ? { adminUrl: self.adminUrl } : {}),
    });
  }

  clusterId(): string {
    return this.clusterIdValue;
  }

  members(): MemberRecord[] {
    return [...this.memberMap.values()].sort((a, b) => a.id - b.id);
  }

  /** The replicated `cluster rebalance` intent: requested and not finished yet, or the last one finished. */
  rebalanceRequest(): RebalanceRequest | undefined {
    return this.rebalanceValue === undefined ? undefined : { ...this.rebalanceValue };
  }

  member(id: number): MemberRecord | undefined {
    return this.memberMap.get(id);
  }

  getBucket(name: string): BucketRecord | undefined {
    return this.bucketMap.get(name)?.record;
  }

  listBuckets(): BucketRecord[] {
    return [...this.bucketMap.values()].map((b) => b.record).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  getObject(bucket: string, key: string): ObjectManifest | undefined {
    return this.bucketMap.get(bucket)?.objects.get(key);
  }

  /** Keys in order after `startAfter` that start with `prefix`: O(log n + limit) whatever the bucket size. */
  listObjects(bucket: string, query: ListObjectsQuery): ObjectEntry[] {
    const state = this.bucketMap.get(bucket);
    if (!state) throw new StrataError('NotFound', `bucket ${bucket} does not exist`);
    const prefix = query.prefix ?? '';
    const from = query.startAfter !== undefined && query.startAfter >= prefix ? query.startAfter : prefix;
    const out: ObjectEntry[] = [];
    for (const [key, manifest] of state.objects.entries(from)) {
      if (out.length >= query.limit) break;
      if (query.startAfter !== undefined && key <= query.startAfter) continue;
      if (!key.startsWith(prefix)) break;
      out.push({ key, manifest });
    }
    return out;
  }

  /**
   * One S3 listing page (delimiter and common prefixes included) in O(maxKeys log n). Throws NotFound
   * for a missing bucket.
   */
  listObjectPage(bucket: string, query: ObjectPageQuery): ObjectPage {
    return listObjectPage(this.requireBucket(bucket).objects, query);
  }

  objectCount(bucket: string): number {
    return this.bucketMap.get(bucket)?.objects.size ?? 0;
  }

  getUpload(bucket: string, key: string, uploadId: string): MultipartUploadRecord | undefined {
    return this.bucketMap.get(bucket)?.uploads.get(key, uploadId)?.record;
  }

  /** Parts of an upload in ascending order after `partNumberMarker`; undefined when the upload is unknown. */
  listParts(bucket: string, key: string, uploadId: string, query: { partNumberMarker?: number; limit: number }): { parts: PartRecord[]; isTruncated: boolean } | undefined {
    const upload = this.bucketMap.get(bucket)?.uploads.get(key, uploadId);
    if (!upload) return undefined;
    const marker = query.partNumberMarker ?? 0;
    const after = [...upload.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
    return { parts: after.slice(0, query.limit), isTruncated: after.length > query.limit };
  }

  /** In-progress uploads ordered by key, then upload id. Throws NotFound for a missing bucket. */
  listUploads(bucket: string, query: UploadListQuery): { uploads: MultipartUploadRecord[]; isTruncated: boolean } {
    return this.requireBucket(bucket).uploads.list(query);
  }

  /** Whether any manifest or in-progress part references this chunk on this node (the GC's question). */
  isChunkReferenced(nodeId: number, chunkId: string): boolean {
    return this.refs.isReferenced(nodeId, chunkId);
  }

  referencedChunkCount(nodeId?: number): number {
    return this.refs.count(nodeId);
  }

  /** Where a referenced chunk is, its size, its siblings and who references it. */
  chunkLocation(nodeId: number, chunkId: string): ChunkLocation | undefined {
    return this.refs.location(nodeId, chunkId);
  }

  /** The chunks the metadata places on a node (member or not), in chunk id order, at most `limit`. */
  chunksOnNode(nodeId: number, limit?: number): ChunkLocation[] {
    return this.refs.chunksOnNode(nodeId, limit);
  }

  /** Data bytes of referenced chunks per node. */
  referencedBytesPerNode(): Map<number, number> {
    return this.refs.bytesPerNode();
  }

  /** Nodes (members or not) that hold referenced chunks. */
  nodesWithChunks(): number[] {
    return this.refs.nodesWithChunks();
  }

  /** The whole state as snapshot bytes, at once (bootstrap, backups); the Raft runtime uses captureSnapshot(). */
  snapshot(): Uint8Array {
    return writeSnapshotNow(this.capture());
  }

  /**
   * The state as of now, captured in O(buckets + uploads); writeTo() then hands out the same bytes
   * snapshot() would have, a page at a time (snapshot-format.ts), while later commands keep being applied.
   */
  captureSnapshot(): SnapshotCapture {
    const state = this.capture();
    this.capturesInWrite.add(state);
    return {
      writeTo: async (out, signal) => {
        try {
          return await writeSnapshotTo(state, out, this.pause, signal);
        } finally {
          this.capturesInWrite.delete(state);
        }
      },
    };
  }

  private capture(): CapturedState {
    return {
      clusterId: this.clusterIdValue,
      members: this.members(),
      buckets: [...this.bucketMap.values()].map((b) => ({
        record: b.record,
        objects: b.objects.clone(),
        uploads: b.uploads.entries().map((u) => ({ record: u.record, parts: [...u.parts.values()] })),
      })),
      ...(this.rebalanceValue === undefined ? {} : { rebalance: { ...this.rebalanceValue } }),
    };
  }

  restore(data: Uint8Array): void {
    const parsed = readSnapshot(data);
    this.clusterIdValue = parsed.clusterId;
    this.memberMap.clear();
    for (const member of parsed.members) this.memberMap.set(member.id, member);
    this.rebalanceValue = parsed.rebalance === undefined ? undefined : { requested: parsed.rebalance.requested === true, requestedMs: Number(parsed.rebalance.requestedMs) || 0 };
    this.bucketMap.clear();
    this.refs.clear();
    for (const bucket of parsed.buckets) {
      const objects = bucket.objects.map(([key, manifest]) => [key, this.keep(manifest)] as [string, ObjectManifest]);
      const state: BucketState = { record: bucket.record, objects: newOrderedMap(objects), uploads: new MultipartUploads(this.refs) };
      for (const [key, manifest] of objects) this.refs.add(manifest.layout, manifest.sizeBytes, { kind: 'object', bucket: bucket.record.name, key });
      state.uploads.restore(bucket.uploads.map((u) => ({ record: u.record, parts: u.parts.map((p) => this.keepPart(p)) })));
      this.bucketMap.set(bucket.record.name, state);
    }
    this.maybeCompactInline();
  }

  private keep(manifest: ObjectManifest): ObjectManifest {
    if (!this.inlineStore) return manifest;
    const layout = keepInline(this.inlineStore, manifest.layout);
    return layout === manifest.layout ? manifest : { ...manifest, layout };
  }

  private keepPart(part: PartRecord): PartRecord {
    return this.inlineStore ? keepPartInline(this.inlineStore, part) : part;
  }

  /**
   * Once enough inline bytes of deleted or replaced objects have built up in the store, moves the live
   * ones past a mark, in slices between applies, and lets the store drop what lies before it. Live means
   * in the state or in a capture whose snapshot is still being written.
   */
  private maybeCompactInline(): void {
    const store = this.inlineStore;
    if (!store || this.compactingInline || !store.wantsCompaction(this.refs.inlineBytes())) return;
    let mark: number;
    try {
      mark = store.beginCompaction();
    } catch (err) {
      store.compactionFailed(err); // a new file could not be opened: apply() must not fail for it
      return;
    }
    this.compactingInline = true;
    const states = [this.capture(), ...this.capturesInWrite];
    void this.relocateAll(states, mark)
      .then(() => store.finishCompaction(mark))
      .catch((err: unknown) => store.compactionFailed(err))
      .finally(() => (this.compactingInline = false));
  }

  private async relocateAll(states: CapturedState[], mark: number): Promise<void> {
    let sinceYield = 0;
    const step = async (): Promise<void> => {
      if (++sinceYield < RELOCATIONS_PER_SLICE) return;
      sinceYield = 0;
      await this.pause();
    };
    for (const state of states) {
      for (const bucket of state.buckets) {
        for (const [, manifest] of bucket.objects.entries()) {
          relocateInline(manifest.layout, mark);
          await step();
        }
        for (const upload of bucket.uploads) for (const part of upload.parts) relocateInline(part.layout, mark);
      }
    }
  }

  private requireBucket(name: string): BucketState {
    const state = this.bucketMap.get(name);
    if (!state) throw new StrataError('NotFound', `bucket ${name} does not exist`, { details: { resource: 'bucket', bucket: name } });
    return state;
  }

  private setRebalance(requested: boolean, requestedMs: number): MetaResult {
    if (!requested) {
      const current = this.rebalanceValue;
      if (current?.requested !== true) return { ok: true, value: current };
      if (current.requestedMs !== requestedMs) {
        return refuse('Conflict', `a newer rebalance was requested (at ${current.requestedMs}) than the one finishing (${requestedMs})`, { requestedMs: current.requestedMs });
      }
    }
    this.rebalanceValue = { requested, requestedMs };
    return { ok: true, value: { ...this.rebalanceValue } };
  }

  private createBucket(name: string, createdMs: number): MetaResult {
    if (this.bucketMap.has(name)) return refuse('AlreadyExists', `bucket ${name} already exists`, { bucket: name });
    const record = { name, createdMs };
    this.bucketMap.set(name, { record, objects: newOrderedMap(), uploads: new MultipartUploads(this.refs) });
    return { ok: true, value: record };
  }

  /** Refused while objects remain; in-progress uploads go with the bucket (the GC reclaims their chunks). */
  private deleteBucket(name: string): MetaResult {
    const state = this.bucketMap.get(name);
    if (!state) return noSuchBucket(name);
    if (state.objects.size > 0) return refuse('Conflict', `bucket ${name} is not empty`, { reason: 'BucketNotEmpty', bucket: name });
    state.uploads.clear();
    this.bucketMap.delete(name);
    return { ok: true };
  }

  private putObject(command: Extract<MetaCommand, { op: 'putObject' }>): MetaResult {
    const state = this.bucketMap.get(command.bucket);
    if (!state) return noSuchBucket(command.bucket);
    const current = state.objects.get(command.key);
    if (command.ifNoneMatch === '*' && current) {
      return refuse('Conflict', `object ${command.key} already exists`, { reason: 'PreconditionFailed' });
    }
    if (command.ifMatch !== undefined) {
      if (!current) return refuse('NotFound', `object ${command.key} does not exist`, { resource: 'object', key: command.key });
      if (current.etag !== normalizeEtag(command.ifMatch)) {
        return refuse('Conflict', `object ${command.key} does not have ETag ${command.ifMatch}`, { reason: 'PreconditionFailed' });
      }
    }
    this.replaceObject(state, command.key, this.keep(command.manifest));
    return { ok: true, value: current };
  }

  private completeMultipartUpload(command: Extract<MetaCommand, { op: 'completeMultipartUpload' }>): MetaResult {
    const state = this.bucketMap.get(command.bucket);
    if (!state) return noSuchBucket(command.bucket);
    const result = state.uploads.complete(command);
    if (!result.ok) return result;
    const manifest = result.value as ObjectManifest;
    // complete() already took the object's references; replaceObject must not take them twice.
    const previous = state.objects.get(command.key);
    this.refs.remove(previous?.layout, { kind: 'object', bucket: command.bucket, key: command.key });
    state.objects.set(command.key, manifest);
    return { ok: true, value: manifest };
  }

  private replaceObject(state: BucketState, key: string, manifest: ObjectManifest): void {
    const owner = { kind: 'object', bucket: state.record.name, key } as const;
    this.refs.add(manifest.layout, manifest.sizeBytes, owner);
    this.refs.remove(state.objects.get(key)?.layout, owner);
    state.objects.set(key, manifest);
  }

  private deleteObject(bucket: string, key: string): MetaResult {
    const state = this.bucketMap.get(bucket);
    if (!state) return noSuchBucket(bucket);
    const previous = state.objects.get(key);
    this.refs.remove(previous?.layout, { kind: 'object', bucket, key });
    state.objects.delete(key);
    return { ok: true, value: previous };
  }

  private setMemberState(nodeId: number, state: MemberState, ifState?: MemberState): MetaResult {
    const member = this.memberMap.get(nodeId);
    if (!member) return refuse('NotFound', `node-${nodeId} is not a member of the cluster`, { resource: 'node', nodeId });
    if (ifState !== undefined && member.state !== ifState) {
      return refuse('Conflict', `node-${nodeId} is ${member.state}, not ${ifState}`, { reason: 'StateChanged', nodeId, state: member.state });
    }
    const previous = member.state;
    this.memberMap.set(nodeId, { ...member, state });
    return { ok: true, value: previous };
  }

  /**
   * Point every reference to chunk (fromNodeId, chunkId) at (toNodeId, newChunkId): the mover wrote the
   * copy first, so no reader ever sees a reference to missing data. NotFound when nothing references the
   * chunk any more (the mover deletes its copy); Conflict when the target already holds another column of
   * the same layout (two moves raced) or the new id is taken.
   */
  private replaceChunk(command: Extract<MetaCommand, { op: 'replaceChunk' }>): MetaResult {
    const { chunkId, fromNodeId, toNodeId, newChunkId } = command;
    const location = this.refs.location(fromNodeId, chunkId);
    if (!location) return refuse('NotFound', `chunk ${chunkId} on node-${fromNodeId} is no longer referenced`, { resource: 'chunk', chunkId, nodeId: fromNodeId });
    if (toNodeId !== fromNodeId && location.siblingNodeIds.includes(toNodeId)) {
      return refuse('Conflict', `node-${toNodeId} already holds another column of chunk ${chunkId}'s layout`, { reason: 'SiblingOnTarget', chunkId, nodeId: toNodeId });
    }
    if (this.refs.isReferenced(toNodeId, newChunkId)) return refuse('Conflict', `chunk ${newChunkId} on node-${toNodeId} is already referenced`, { chunkId: newChunkId });
    let swapped = 0;
    for (const owner of location.owners) {
      const state = this.bucketMap.get(owner.bucket);
      assert(state !== undefined, () => `chunk ${chunkId} is referenced from missing bucket ${owner.bucket}`);
      if (owner.kind === 'part') {
        if (state.uploads.swapPartChunk(owner, chunkId, fromNodeId, toNodeId, newChunkId)) swapped++;
        continue;
      }
      const manifest = state.objects.get(owner.key);
      assert(manifest?.layout !== undefined, () => `chunk ${chunkId} is referenced from missing object ${owner.key}`);
      this.replaceObject(state, owner.key, { ...manifest, layout: swapChunk(manifest.layout, chunkId, fromNodeId, toNodeId, newChunkId) });
      swapped++;
    }
    return { ok: true, value: { swapped } };
  }
}
