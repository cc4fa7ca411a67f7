import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { StrataError } from '../../../node/src/platform/index.js';
import { FIELD_MANAGER, describeRef, type EventInput, type KubeClient, type KubeObject, type ObjectRef, type WatchEventType, type WatchHandle } from './kube-client.js';

export interface ClientNodeKubeClientOptions {
  kubeConfig: KubeConfig;
  /** Wait before re-listing after a broken watch. Default 2 s. */
  rewatchDelayMs?: number;
}

export function resolveClientNodeKubeClientOptions(options: ClientNodeKubeClientOptions): Required<ClientNodeKubeClientOptions> {
  return { kubeConfig: options.kubeConfig, rewatchDelayMs: options.rewatchDelayMs ?? 2_000 };
}

/** The KubeClient port over @kubernetes/client-node 1.4.0. Returned objects are plain JSON (dates as strings). */
export class ClientNodeKubeClient implements KubeClient {
  private readonly options: Required<ClientNodeKubeClientOptions>;
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(options: ClientNodeKubeClientOptions) {
    this.options = resolveClientNodeKubeClientOptions(options);
    this.objects = KubernetesObjectApi.makeApiClient(this.options.kubeConfig);
    this.core = this.options.kubeConfig.makeApiClient(CoreV1Api);
    this.custom = this.options.kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      const header = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } };
      return toPlain<T>(await this.objects.read(header));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw toStrataError(err, `get ${describeRef(ref)}`);
    }
  }

  async list<T extends KubeObject>(apiVersion: string, kind: string, namespace: string | undefined, labelSelector?: string): Promise<T[]> {
    try {
      const list = await this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
      // Items of a list come without apiVersion/kind; put them back so refOf() works on them.
      return list.items.map((item) => ({ ...toPlain<T>(item), apiVersion, kind }));
    } catch (err) {
      throw toStrataError(err, `list ${kind} in ${namespace ?? 'all namespaces'}`);
    }
  }

  async apply<T extends KubeObject>(object: KubeObject): Promise<T> {
    try {
      const stored = await this.objects.patch(object as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
      return toPlain<T>(stored);
    } catch (err) {
      throw toStrataError(err, `apply ${object.kind} ${object.metadata.name}`);
    }
  }

  async mergePatch<T extends KubeObject>(object: KubeObject): Promise<T> {
    try {
      const stored = await this.objects.patch(object as KubernetesObject, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
      return toPlain<T>(stored);
    } catch (err) {
      throw toStrataError(err, `merge-patch ${object.kind} ${object.metadata.name}`);
    }
  }

  async create<T extends KubeObject>(object: KubeObject): Promise<T> {
    try {
      return toPlain<T>(await this.objects.create(object as KubernetesObject, undefined, undefined, FIELD_MANAGER));
    } catch (err) {
      throw toStrataError(err, `create ${object.kind} ${object.metadata.name}`);
    }
  }

  async replace<T extends KubeObject>(object: KubeObject): Promise<T> {
    try {
      return toPlain<T>(await this.objects.replace(object as KubernetesObject, undefined, undefined, FIELD_MANAGER));
    } catch (err) {
      throw toStrataError(err, `replace ${object.kind} ${object.metadata.name}`);
    }
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      await this.objects.delete({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }, undefined, undefined, undefined, undefined, 'Background');
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw toStrataError(err, `delete ${describeRef(ref)}`);
    }
  }

  async patchStatus(ref: ObjectRef, status: unknown): Promise<void> {
    const [group, version] = ref.apiVersion.split('/');
    try {
      await this.custom.patchNamespacedCustomObjectStatus(
        {
          group,
          version,
          namespace: ref.namespace ?? 'default',
          plural: pluralOf(ref.kind),
          name: ref.name,
          body: { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace }, status },
          fieldManager: FIELD_MANAGER,
          force: true,
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    } catch (err) {
      throw toStrataError(err, `write status of ${describeRef(ref)}`);
    }
  }

  async createEvent(event: EventInput): Promise<void> {
    const now = new Date();
    const namespace = event.regarding.namespace ?? 'default';
    try {
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${event.regarding.name}.`, namespace },
          involvedObject: { apiVersion: event.regarding.apiVersion, kind: event.regarding.kind, name: event.regarding.name, namespace, uid: event.regarding.uid },
          type: event.type,
          reason: event.reason,
          message: event.message.slice(0, 1000),
          source: { component: FIELD_MANAGER },
          reportingComponent: FIELD_MANAGER,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      throw toStrataError(err, `create event ${event.reason} for ${describeRef(event.regarding)}`);
    }
  }

  async hasKind(apiVersion: string, kind: string): Promise<boolean> {
    // resource() is protected in the typings only; it reads (and caches) the group's discovery document.
    const discovery = this.objects as unknown as { resource(apiVersion: string, kind: string): Promise<unknown> };
    try {
      return (await discovery.resource(apiVersion, kind)) !== undefined;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw toStrataError(err, `discover ${apiVersion} ${kind}`);
    }
  }

  watch(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    onError?: (err: unknown) => void,
    labelSelector?: string,
  ): WatchHandle {
    const prefix = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const path = `${prefix}${namespace === undefined ? '' : `/namespaces/${namespace}`}/${pluralOf(kind)}`;
    const listFn = () => this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
    const informer = makeInformer(this.options.kubeConfig, path, listFn as never, labelSelector);
    const deliver = (type: WatchEventType) => (object: KubernetesObject) => onEvent(type, { ...toPlain<KubeObject>(object), apiVersion, kind });
    informer.on('add', deliver('added'));
    informer.on('update', deliver('modified'));
    informer.on('delete', deliver('deleted'));
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const start = () => {
      informer.start().catch((err: unknown) => {
        if (stopped) return;
        onError?.(err);
        restart();
      });
    };
    const restart = () => {
      if (stopped || timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (!stopped) start();
      }, this.options.rewatchDelayMs);
    };
    // The informer stops on a watch error; list and watch again after a pause.
    informer.on('error', (err: unknown) => {
      // Stopping aborts the watch request, which the informer reports as an error: not news.
      if (stopped) return;
      onError?.(err);
      restart();
    });
    start();
    return {
      stop: () => {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
        void informer.stop();
      },
    };
  }
}

/** Resource plural of a kind (the kinds the operator touches are all regular). */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

function toPlain<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function statusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code as number;
  const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

function toStrataError(err: unknown, what: string): StrataError {
  const status = statusOf(err);
  const body = err instanceof ApiException ? (err.body as { message?: string; reason?: string } | string | undefined) : undefined;
  const detail = typeof body === 'object' && body !== null ? body.message ?? body.reason : typeof body === 'string' ? body : (err as Error).message;
  const message = `${what}: ${status === undefined ? '' : `HTTP ${status}: `}${detail ?? 'failed'}`;
  if (status === 404) return new StrataError('NotFound', message, { cause: err });
  if (status === 409) {
    const reason = typeof body === 'object' && body !== null ? body.reason : undefined;
    return new StrataError(reason === 'AlreadyExists' ? 'AlreadyExists' : 'Conflict', message, { cause: err, retryable: true });
  }
  if (status === 400 || status === 422) return new StrataError('InvalidArgument', message, { cause: err });
  if (status === 403 || status === 401) return new StrataError('FailedPrecondition', message, { cause: err });
  return new StrataError('Unavailable', message, { cause: err, retryable: true });
}
