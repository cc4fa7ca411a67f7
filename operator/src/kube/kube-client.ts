/**
 * The operator's view of the Kubernetes API: just the verbs the reconciler and the controller use.
 * The real adapter (client-node-kube-client.ts) wraps @kubernetes/client-node; tests use the in-memory
 * fake in fake-kube-client.testkit.ts. Errors are StrataError: NotFound (404), Conflict (409 on a
 * stale resourceVersion), AlreadyExists (409 on create), Unavailable (anything transient).
 */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any Kubernetes object, loosely typed: builders produce precise shapes, the port moves them. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export type WatchEventType = 'added' | 'modified' | 'deleted';

export interface WatchHandle {
  stop(): void;
}

export interface EventInput {
  /** The object the event is about (involvedObject). */
  regarding: ObjectRef & { uid?: string };
  type: 'Normal' | 'Warning';
  /** CamelCase, e.g. `ScalingIn`, `DrainStarted`. */
  reason: string;
  message: string;
}

export interface KubeClient {
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, namespace: string | undefined, labelSelector?: string): Promise<T[]>;
  /** Server-side apply (fieldManager strata-operator, force on conflicts); returns the object as stored. */
  apply<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T>;
  /**
   * JSON merge patch of the given fields (as fieldManager strata-operator): the fallback when an apply
   * cannot merge with fields another manager owns (e.g. a Service port list edited by hand).
   */
  mergePatch<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T>;
  /** Create; AlreadyExists when present. */
  create<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T>;
  /** Update guarded by metadata.resourceVersion; Conflict when someone wrote in between. */
  replace<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T>;
  /** true when something was deleted, false when it was already gone. */
  delete(ref: ObjectRef): Promise<boolean>;
  /** Server-side apply of `status` on the status subresource. */
  patchStatus(ref: ObjectRef, status: unknown): Promise<void>;
  createEvent(event: EventInput): Promise<void>;
  /** Whether the API server serves this kind (e.g. monitoring.coreos.com/v1 ServiceMonitor). */
  hasKind(apiVersion: string, kind: string): Promise<boolean>;
  /**
   * Lists, then watches; `onEvent` gets every object (the initial list as `added`). On a broken watch
   * the adapter lists and watches again by itself; `onError` hears about it.
   */
  watch(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    onError?: (err: unknown) => void,
    labelSelector?: string,
  ): WatchHandle;
}

export function refOf(object: KubeObject): ObjectRef {
  return { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name };
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}`;
}

export const FIELD_MANAGER = 'strata-operator';
