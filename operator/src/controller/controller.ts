import type { Clock, Logger, TimerHandle } from '../../../node/src/platform/index.js';
import { APP_NAME, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, MANAGER } from '../api/naming.js';
import { STRATA_API_VERSION, STRATA_KIND } from '../api/strata-cluster.js';
import type { KubeClient, KubeObject, WatchHandle } from '../kube/kube-client.js';
import type { ClusterKey, ReconcileResult } from '../reconcile/reconciler.js';
import type { OperatorMetrics } from './operator-metrics.js';
import { WorkQueue } from './work-queue.js';

export interface ControllerOptions {
  kube: KubeClient;
  reconciler: { reconcile(key: ClusterKey): Promise<ReconcileResult> };
  clock: Clock;
  logger: Logger;
  metrics: OperatorMetrics;
  /** Watch one namespace (WATCH_NAMESPACE); undefined = all. */
  namespace?: string;
  /** Concurrent reconciles (never two on one cluster). Default 2. */
  workers?: number;
  /** Every cluster is reconciled at least this often. Default 5 min. */
  resyncMs?: number;
  queue?: WorkQueue;
}

export function resolveControllerOptions(options: ControllerOptions) {
  return { workers: 2, resyncMs: 300_000, ...options, queue: options.queue ?? new WorkQueue({ clock: options.clock }) };
}

/** Kinds the operator creates; a change to one wakes its owning StrataCluster (drift is repaired). */
const OWNED_KINDS: readonly [string, string][] = [
  ['apps/v1', 'StatefulSet'],
  ['v1', 'Service'],
  ['v1', 'ConfigMap'],
  ['policy/v1', 'PodDisruptionBudget'],
];

/**
 * Watches StrataClusters and what they own, feeds their keys into the de-duplicating work queue, and
 * runs reconciles on a few workers with per-key backoff on errors and the reconciler's requeue delay
 * on success. Holds no state that matters across restarts: a new process lists everything and
 * reconciles it, which resumes whatever was under way.
 */
export class StrataController {
  private readonly o: ReturnType<typeof resolveControllerOptions>;
  private readonly queue: WorkQueue;
  private readonly watches: WatchHandle[] = [];
  private readonly workers: Promise<void>[] = [];
  private resync: TimerHandle | undefined;
  private started = false;

  constructor(options: ControllerOptions) {
    this.o = resolveControllerOptions(options);
    this.queue = this.o.queue;
  }

  get running(): boolean {
    return this.started;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const { kube, namespace, logger } = this.o;
    const onError = (what: string) => (err: unknown) => logger.warn({ err: (err as Error)?.message ?? String(err), what }, 'watch broke; listing and watching again');
    this.watches.push(kube.watch(STRATA_API_VERSION, STRATA_KIND, namespace, (_t, o) => this.enqueueObject(o), onError(STRATA_KIND)));
    // Only objects labelled as ours: a cluster-wide watch must not cache every ConfigMap of the cluster.
    // (Secrets are not watched: the generated one is only ever created, so there is no drift to repair,
    // and the operator needs no list/watch permission on Secrets.)
    for (const [apiVersion, kind] of OWNED_KINDS) {
      this.watches.push(kube.watch(apiVersion, kind, namespace, (_t, o) => this.enqueueOwner(o), onError(kind), `${LABEL_MANAGED_BY}=${MANAGER}`));
    }
    // Pods are owned by the StatefulSet, not the cluster: find the cluster by the instance label.
    this.watches.push(kube.watch('v1', 'Pod', namespace, (_t, o) => this.enqueueByLabel(o), onError('Pod'), `${LABEL_NAME}=${APP_NAME}`));
    for (let i = 0; i < this.o.workers; i++) this.workers.push(this.work());
    this.resync = this.o.clock.setInterval(() => void this.resyncAll(), this.o.resyncMs);
    logger.info({ namespace: namespace ?? '(all)', workers: this.o.workers }, 'controller started');
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.resync?.cancel();
    for (const w of this.watches.splice(0)) w.stop();
    this.queue.shutdown();
    await Promise.all(this.workers.splice(0));
  }

  enqueue(key: ClusterKey): void {
    this.queue.add(`${key.namespace}/${key.name}`);
  }

  private enqueueObject(o: KubeObject): void {
    this.enqueue({ namespace: o.metadata.namespace ?? 'default', name: o.metadata.name });
  }

  private enqueueOwner(o: KubeObject): void {
    const owner = o.metadata.ownerReferences?.find((r) => r.kind === STRATA_KIND && r.apiVersion.startsWith('strata.io/'));
    if (owner !== undefined) this.enqueue({ namespace: o.metadata.namespace ?? 'default', name: owner.name });
  }

  private enqueueByLabel(o: KubeObject): void {
    const instance = o.metadata.labels?.[LABEL_INSTANCE];
    if (o.metadata.labels?.[LABEL_NAME] === APP_NAME && instance !== undefined) this.enqueue({ namespace: o.metadata.namespace ?? 'default', name: instance });
  }

  private async resyncAll(): Promise<void> {
    try {
      for (const c of await this.o.kube.list(STRATA_API_VERSION, STRATA_KIND, this.o.namespace)) this.enqueueObject(c);
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'resync list failed');
    }
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.next();
      if (key === undefined) return;
      const [namespace, name] = key.split('/');
      const startedMs = this.o.clock.nowMs();
      try {
        const result = await this.o.reconciler.reconcile({ namespace, name });
        this.queue.forget(key);
        this.o.metrics.observeReconcile(result.requeueAfterMs > 0 ? 'requeue' : 'success', (this.o.clock.nowMs() - startedMs) / 1000);
        if (result.requeueAfterMs > 0) this.queue.addAfter(key, result.requeueAfterMs);
        if (result.writes > 0) this.o.logger.debug({ cluster: key, writes: result.writes }, 'reconciled');
      } catch (err) {
        this.o.metrics.observeReconcile('error', (this.o.clock.nowMs() - startedMs) / 1000);
        const delayMs = this.queue.addRateLimited(key);
        this.o.logger.error({ cluster: key, err: (err as Error).message, retryInMs: delayMs }, 'reconcile failed');
      } finally {
        this.queue.done(key);
      }
    }
  }
}
