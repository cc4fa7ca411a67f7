import { assert } from '../platform/assert.js';
import { StrataError } from '../platform/errors.js';
import { decodeMetaCommand, type MetaCommand, type MetaResult } from './commands.js';
import { newOrderedMap, type OrderedMap } from './ordered-map.js';
import type { BucketRecord, MemberRecord, ObjectEntry, ObjectManifest } from './records.js';

/** A Raft membership change as the metadata records it (the runtime passes the address it carried). */
export interface MembershipChange {
  type: 'addLearner' | 'promote' | 'remove';
  nodeId: number;
  address?: string;
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
}

interface SnapshotV1 {
  version: 1;
  clusterId: string;
  members: MemberRecord[];
  buckets: { record: BucketRecord; objects: [string, ObjectManifest][] }[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The replicated metadata: cluster identity, members, buckets and object manifests. Pure and
 * deterministic; held in memory (B+trees per bucket) and rebuilt from snapshot + log at start.
 */
export class MetaStateMachine {
  private clusterIdValue = '';
  private readonly memberMap = new Map<number, MemberRecord>();
  private readonly bucketMap = new Map<string, BucketState>();

  apply(_index: number, data: Uint8Array): MetaResult {
    return this.applyCommand(decodeMetaCommand(data));
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
  bootstrap(clusterId: string, self: { id: number; address: string }): void {
    assert(this.clusterIdValue === '' && this.memberMap.size === 0, 'bootstrap of a non-empty state machine');
    this.clusterIdValue = clusterId;
    this.memberMap.set(self.id, { id: self.id, address: self.address, state: 'active', joinedIndex: 1 });
  }

  clusterId(): string {
    return this.clusterIdValue;
  }

  members(): MemberRecord[] {
    return [...this.memberMap.values()].sort((a, b) => a.id - b.id);
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

  objectCount(bucket: string): number {
    return this.bucketMap.get(bucket)?.objects.size ?? 0;
  }

  snapshot(): Uint8Array {
    const snapshot: SnapshotV1 = {
      version: 1,
      clusterId: this.clusterIdValue,
      members: this.members(),
      buckets: [...this.bucketMap.values()].map((b) => ({ record: b.record, objects: b.objects.toArray() })),
    };
    return encoder.encode(JSON.stringify(snapshot));
  }

  restore(data: Uint8Array): void {
    let parsed: SnapshotV1;
    try {
      parsed = JSON.parse(decoder.decode(data)) as SnapshotV1;
    } catch (cause) {
      throw new StrataError('Corruption', 'metadata snapshot is not valid JSON', { cause });
    }
    if (parsed.version !== 1) throw new StrataError('Corruption', `metadata snapshot version ${String(parsed.version)} is not supported`);
    this.clusterIdValue = parsed.clusterId;
    this.memberMap.clear();
    for (const member of parsed.members) this.memberMap.set(member.id, member);
    this.bucketMap.clear();
    for (const bucket of parsed.buckets) {
      this.bucketMap.set(bucket.record.name, { record: bucket.record, objects: newOrderedMap(bucket.objects) });
    }
  }

  private createBucket(name: string, createdMs: number): MetaResult {
    if (this.bucketMap.has(name)) return { ok: false, code: 'AlreadyExists', message: `bucket ${name} already exists` };
    const record = { name, createdMs };
    this.bucketMap.set(name, { record, objects: newOrderedMap() });
    return { ok: true, value: record };
  }

  private deleteBucket(name: string): MetaResult {
    const state = this.bucketMap.get(name);
    if (!state) return { ok: false, code: 'NotFound', message: `bucket ${name} does not exist` };
    if (state.objects.size > 0) return { ok: false, code: 'Conflict', message: `bucket ${name} is not empty` };
    this.bucketMap.delete(name);
    return { ok: true };
  }

  private putObject(command: Extract<MetaCommand, { op: 'putObject' }>): MetaResult {
    const state = this.bucketMap.get(command.bucket);
    if (!state) return { ok: false, code: 'NotFound', message: `bucket ${command.bucket} does not exist` };
    const current = state.objects.get(command.key);
    if (command.ifNoneMatch === '*' && current) {
      return { ok: false, code: 'Conflict', message: `object ${command.key} already exists` };
    }
    if (command.ifMatch !== undefined && current?.etag !== command.ifMatch) {
      return { ok: false, code: 'Conflict', message: `object ${command.key} does not have ETag ${command.ifMatch}` };
    }
    state.objects.set(command.key, command.manifest);
    return { ok: true, value: current };
  }

  private deleteObject(bucket: string, key: string): MetaResult {
    const state = this.bucketMap.get(bucket);
    if (!state) return { ok: false, code: 'NotFound', message: `bucket ${bucket} does not exist` };
    const previous = state.objects.get(key);
    state.objects.delete(key);
    return { ok: true, value: previous };
  }
}
