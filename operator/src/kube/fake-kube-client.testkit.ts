import { StrataError } from '../../../node/src/platform/index.js';
import type { EventInput, KubeClient, KubeObject, ObjectRef, WatchEventType, WatchHandle } from './kube-client.js';

export type FakeWrite =
  | { verb: 'apply' | 'create' | 'replace' | 'mergePatch'; kind: string; name: string; object: KubeObject }
  | { verb: 'delete'; kind: string; name: string }
  | { verb: 'patchStatus'; kind: string; name: string; status: unknown };

/**
 * An in-memory API server for component tests: stores objects by kind/namespace/name, bumps
 * resourceVersion on every write and generation on spec changes, and records every write so a test can
 * say "the second reconcile wrote nothing". Server-side apply is modelled as "replace the applied
 * top-level fields, keep status and unapplied metadata", which is what the operator's applies rely on.
 */
export class FakeKubeClient implements KubeClient {
  readonly objects = new Map<string, KubeObject>();
  readonly writes: FakeWrite[] = [];
  readonly events: EventInput[] = [];
  readonly servedKinds = new Set<string>(['v1/Pod', 'v1/Service', 'v1/ConfigMap', 'v1/Secret', 'apps/v1/StatefulSet', 'policy/v1/PodDisruptionBudget', 'coordination.k8s.io/v1/Lease']);
  private version = 1;
  private uid = 1;
  private readonly watchers: { apiVersion: string; kind: string; namespace?: string; onEvent: (t: WatchEventType, o: KubeObject) => void }[] = [];

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const found = this.objects.get(keyOf(ref));
    return found === undefined ? undefined : (clone(found) as T);
  }

  async list<T extends KubeObject>(apiVersion: string, kind: string, namespace: string | undefined, labelSelector?: string): Promise<T[]> {
    const wanted = parseSelector(labelSelector);
    return [...this.objects.values()]
      .filter((o) => o.apiVersion === apiVersion && o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace))
      .filter((o) => Object.entries(wanted).every(([k, v]) => o.metadata.labels?.[k] === v))
      .map((o) => clone(o) as T);
  }

  async apply<T extends KubeObject>(object: KubeObject): Promise<T> {
    const key = keyOf(object);
    const existing = this.objects.get(key);
    // As the API server does: a resourceVersion in the applied object is a precondition.
    this.checkPrecondition(object, existing);
    if (existing !== undefined && this.refuseApplyOf.has(object.kind)) throw new StrataError('InvalidArgument', `${object.kind} ${object.metadata.name} is invalid: spec.ports[1].name: Duplicate value`);
    const next: KubeObject = existing === undefined ? this.fresh(object) : { ...clone(existing), ...clone(object), status: existing.status };
    if (existing !== undefined) {
      next.metadata = { ...existing.metadata, ...clone(object.metadata), resourceVersion: existing.metadata.resourceVersion, uid: existing.metadata.uid, generation: existing.metadata.generation };
      if (object.status === undefined) next.status = existing.status;
      else next.status = clone(object.status);
    }
    this.store(next, existing);
    this.writes.push({ verb: 'apply', kind: object.kind, name: object.metadata.name, object: clone(object) });
    return clone(this.objects.get(key)!) as T;
  }

  private checkPrecondition(object: KubeObject, existing: KubeObject | undefined): void {
    const wanted = object.metadata.resourceVersion;
    if (wanted === undefined) return;
    if (existing === undefined) throw new StrataError('NotFound', `${object.kind} ${object.metadata.name} not found (resourceVersion ${wanted} given)`);
    if (existing.metadata.resourceVersion !== wanted) throw new StrataError('Conflict', `${object.kind} ${object.metadata.name}: the object has been modified (resourceVersion ${existing.metadata.resourceVersion}, not ${wanted})`);
  }

  /** When set, apply() of these kinds fails as the API server does when an apply cannot merge. */
  readonly refuseApplyOf = new Set<string>();

  async mergePatch<T extends KubeObject>(object: KubeObject): Promise<T> {
    const key = keyOf(object);
    const existing = this.objects.get(key);
    if (existing === undefined) throw new StrataError('NotFound', `${object.kind} ${object.metadata.name} not found`);
    this.checkPrecondition(object, existing);
    const next: KubeObject = { ...clone(existing), ...clone(object), metadata: { ...existing.metadata, ...clone(object.metadata), resourceVersion: existing.metadata.resourceVersion, uid: existing.metadata.uid, generation: existing.metadata.generation }, status: existing.status };
    this.store(next, existing);
    this.writes.push({ verb: 'mergePatch', kind: object.kind, name: object.metadata.name, object: clone(object) });
    return clone(this.objects.get(key)!) as T;
  }

  async create<T extends KubeObject>(object: KubeObject): Promise<T> {
    const key = keyOf(object);
    if (this.objects.has(key)) throw new StrataError('AlreadyExists', `${object.kind} ${object.metadata.name} exists`);
    this.store(this.fresh(object), undefined);
    this.writes.push({ verb: 'create', kind: object.kind, name: object.metadata.name, object: clone(object) });
    return clone(this.objects.get(key)!) as T;
  }

  async replace<T extends KubeObject>(object: KubeObject): Promise<T> {
    const key = keyOf(object);
    const existing = this.objects.get(key);
    if (existing === undefined) throw new StrataError('NotFound', `${object.kind} ${object.metadata.name} not found`);
    if (object.metadata.resourceVersion !== existing.metadata.resourceVersion) throw new StrataError('Conflict', `${object.kind} ${object.metadata.name}: stale resourceVersion`);
    this.store({ ...clone(object), metadata: { ...clone(object.metadata), uid: existing.metadata.uid, generation: existing.metadata.generation } }, existing);
    this.writes.push({ verb: 'replace', kind: object.kind, name: object.metadata.name, object: clone(object) });
    return clone(this.objects.get(key)!) as T;
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    const key = keyOf(ref);
    const existing = this.objects.get(key);
    if (existing === undefined) return false;
    this.objects.delete(key);
    this.writes.push({ verb: 'delete', kind: ref.kind, name: ref.name });
    this.notify('deleted', existing);
    return true;
  }

  async patchStatus(ref: ObjectRef, status: unknown): Promise<void> {
    const existing = this.objects.get(keyOf(ref));
    if (existing === undefined) throw new StrataError('NotFound', `${ref.kind} ${ref.name} not found`);
    const next = { ...clone(existing), status: clone(status) };
    this.store(next, existing);
    this.writes.push({ verb: 'patchStatus', kind: ref.kind, name: ref.name, status: clone(status) });
  }

  async createEvent(event: EventInput): Promise<void> {
    this.events.push(clone(event));
  }

  async hasKind(apiVersion: string, kind: string): Promise<boolean> {
    return this.servedKinds.has(`${apiVersion}/${kind}`);
  }

  watch(apiVersion: string, kind: string, namespace: string | undefined, onEvent: (t: WatchEventType, o: KubeObject) => void, _onError?: (err: unknown) => void, labelSelector?: string): WatchHandle {
    const wanted = parseSelector(labelSelector);
    const watcher = {
      apiVersion,
      kind,
      namespace,
      onEvent: (t: WatchEventType, o: KubeObject) => {
        if (Object.entries(wanted).every(([k, v]) => o.metadata.labels?.[k] === v)) onEvent(t, o);
      },
    };
    this.watchers.push(watcher);
    for (const o of this.objects.values()) if (matches(watcher, o)) watcher.onEvent('added', clone(o));
    return { stop: () => void this.watchers.splice(this.watchers.indexOf(watcher), 1) };
  }

  /** Test helper: put an object as if someone else (kubelet, a user) wrote it; not recorded as a write. */
  seed(object: KubeObject): KubeObject {
    const existing = this.objects.get(keyOf(object));
    const next = existing === undefined ? this.fresh(object) : { ...clone(object), metadata: { ...clone(object.metadata), uid: existing.metadata.uid, generation: existing.metadata.generation } };
    this.store(next, existing);
    return clone(this.objects.get(keyOf(object))!);
  }

  find<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, namespace: string, name: string): T | undefined {
    const found = this.objects.get(keyOf({ apiVersion, kind, namespace, name }));
    return found === undefined ? undefined : (clone(found) as T);
  }

  clearWrites(): void {
    this.writes.length = 0;
    this.events.length = 0;
  }

  private fresh(object: KubeObject): KubeObject {
    const created = clone(object);
    created.metadata = { ...created.metadata, uid: `uid-${this.uid++}`, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' };
    return created;
  }

  private store(next: KubeObject, previous: KubeObject | undefined): void {
    if (previous !== undefined && JSON.stringify(previous.spec) !== JSON.stringify(next.spec)) {
      next.metadata.generation = (previous.metadata.generation ?? 1) + 1;
    }
    next.metadata.resourceVersion = String(++this.version);
    this.objects.set(keyOf(next), next);
    this.notify(previous === undefined ? 'added' : 'modified', next);
  }

  private notify(type: WatchEventType, object: KubeObject): void {
    for (const w of [...this.watchers]) if (matches(w, object)) w.onEvent(type, clone(object));
  }
}

function matches(w: { apiVersion: string; kind: string; namespace?: string }, o: KubeObject): boolean {
  return w.apiVersion === o.apiVersion && w.kind === o.kind && (w.namespace === undefined || w.namespace === o.metadata.namespace);
}

function keyOf(ref: ObjectRef | KubeObject): string {
  const r = 'metadata' in ref ? { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.metadata.namespace, name: ref.metadata.name } : ref;
  return `${r.apiVersion}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
}

function parseSelector(selector: string | undefined): Record<string, string> {
  if (selector === undefined || selector === '') return {};
  return Object.fromEntries(selector.split(',').map((pair) => pair.split('=') as [string, string]));
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
