import { randomBytes } from 'node:crypto';
import { isStrataError, type Clock, type Logger } from '../../../node/src/platform/index.js';
import { resolveStrataClusterSpec, type ResolvedStrataClusterSpec } from '../api/defaults.js';
import { ADMIN_PORT, configMapName, credentialsSecretName, nodeIdOfName, ordinalOfPod, podHost, selectorString, statefulSetName } from '../api/naming.js';
import { STRATA_API_VERSION, STRATA_KIND, type BackupRecord, type StrataCluster, type StrataClusterStatus } from '../api/strata-cluster.js';
import { BOOTSTRAP_KEY, backupDestinationPath } from '../desired/config-map.js';
import { buildCredentialsSecret, type S3Keys } from '../desired/credentials-secret.js';
import { desiredChildren } from '../desired/desired-children.js';
import { containsDesired } from '../desired/drift.js';
import { MONITORING_API_VERSION } from '../desired/monitoring.js';
import { namespaceOf } from '../desired/owner.js';
import { REBALANCE_REQUEST_ANNOTATION, SCALE_OUT_REBALANCE_ANNOTATION, VERSION_LABEL, dataClaimName } from '../desired/statefulset.js';
import { describeRef, refOf, type KubeClient, type KubeObject, type ObjectRef } from '../kube/kube-client.js';
import { backupDue } from '../plan/backup-due.js';
import { planDrains } from '../plan/drain-plan.js';
import { parseGoDurationMs } from '../plan/duration.js';
import type { StrataView } from '../plan/observed.js';
import { planRebalance } from '../plan/rebalance-plan.js';
import { planScale } from '../plan/scale-plan.js';
import { planUpgrade } from '../plan/upgrade-plan.js';
import { buildStatus, type PodStatusView, type StatusInput } from '../status/build-status.js';
import { findCondition } from '../status/conditions.js';
import { deepEqual } from './deep-equal.js';
import { observeStrata } from './observe-strata.js';
import type { StrataAdminFactory } from './strata-admin.js';

export interface ClusterKey {
  namespace: string;
  name: string;
}

export interface ReconcileResult {
  /** Reconcile again after this long even if nothing is watched to change (progress polling, backups). */
  requeueAfterMs: number;
  /** Kubernetes writes made (applies, creates, deletes, status); 0 for a reconcile that found nothing to do. */
  writes: number;
}

export interface ReconcilerOptions {
  kube: KubeClient;
  strataAdmin: StrataAdminFactory;
  clock: Clock;
  logger: Logger;
  /** Admin URLs of a cluster's pods; default their DNS names through the headless Service. */
  adminEndpoints?: (cluster: StrataCluster, replicas: number) => string[];
  generateS3Keys?: () => S3Keys;
  /** While something is under way. Default 5 s. */
  busyRequeueMs?: number;
  /** When all is quiet (a periodic check of Strata's health). Default 60 s. */
  idleRequeueMs?: number;
}

export type ResolvedReconcilerOptions = Required<ReconcilerOptions>;

export function resolveReconcilerOptions(options: ReconcilerOptions): ResolvedReconcilerOptions {
  return {
    ...options,
    adminEndpoints: options.adminEndpoints ?? podAdminEndpoints,
    generateS3Keys: options.generateS3Keys ?? randomS3Keys,
    busyRequeueMs: options.busyRequeueMs ?? 5_000,
    idleRequeueMs: options.idleRequeueMs ?? 60_000,
  };
}

export function podAdminEndpoints(cluster: StrataCluster, replicas: number): string[] {
  const ns = namespaceOf(cluster);
  return Array.from({ length: Math.max(1, replicas) }, (_, ordinal) => `http://${podHost(cluster.metadata.name, ns, ordinal)}:${ADMIN_PORT}`);
}

export function randomS3Keys(): S3Keys {
  return { accessKeyId: `STRATA${randomBytes(10).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64url') };
}

const GATE_TIMEOUT_FALLBACK_MS = 30 * 60_000;

/**
 * One reconcile of one StrataCluster: observe (the CR, its StatefulSet and pods, the Strata cluster
 * through its admin API) -> plan (pure planners) -> act (Strata admin calls, server-side applies of the
 * children that differ, pod restarts) -> write status once, only if it changed. Everything it needs to
 * resume lives in the cluster: the CR status, annotations on the StatefulSet, Strata's own state.
 */
export class Reconciler {
  private readonly options: ResolvedReconcilerOptions;

  constructor(options: ReconcilerOptions) {
    this.options = resolveReconcilerOptions(options);
  }

  async reconcile(key: ClusterKey): Promise<ReconcileResult> {
    const { kube } = this.options;
    const cluster = await kube.get<StrataCluster & KubeObject>({ apiVersion: STRATA_API_VERSION, kind: STRATA_KIND, namespace: key.namespace, name: key.name });
    // Gone or going: the children carry owner references, so the garbage collector removes them.
    if (cluster === undefined || cluster.metadata.deletionTimestamp !== undefined) return { requeueAfterMs: 0, writes: 0 };
    return new ReconcileRun(this.options, cluster).run();
  }
}

/** The state of one reconcile; one instance per call. */
class ReconcileRun {
  private writes = 0;
  private readonly spec: ResolvedStrataClusterSpec;
  private readonly ns: string;
  private readonly name: string;
  private readonly log: Logger;
  private readonly problems: { reason: string; message: string }[] = [];

  constructor(
    private readonly o: ResolvedReconcilerOptions,
    private readonly cluster: StrataCluster & KubeObject,
  ) {
    this.spec = resolveStrataClusterSpec(cluster.spec);
    this.ns = namespaceOf(cluster);
    this.name = cluster.metadata.name;
    this.log = o.logger.child({ cluster: `${this.ns}/${this.name}` });
  }

  async run(): Promise<ReconcileResult> {
    const { kube } = this.o;
    const spec = this.spec;
    const sts = await kube.get(this.ref('apps/v1', 'StatefulSet', statefulSetName(this.name)));
    const stsSpec = sts?.spec as { replicas?: number } | undefined;
    const stsStatus = sts?.status as { updateRevision?: string; observedGeneration?: number } | undefined;
    const replicas = stsSpec?.replicas;
    const pods = await this.observePods();
    const admin = this.o.strataAdmin(this.o.adminEndpoints(this.cluster, replicas ?? 0));
    const strata = sts === undefined ? unreachable('the StatefulSet does not exist yet') : await observeStrata(admin, this.log);
    const nowMs = this.o.clock.wallMs();
    const base: StatusInput = { cluster: this.cluster, spec, pods, strata, nowIso: new Date(nowMs).toISOString(), paused: spec.paused, problems: this.problems };

    if (spec.paused) {
      await this.writeStatus(buildStatus(base));
      return { requeueAfterMs: this.o.idleRequeueMs, writes: this.writes };
    }

    await this.ensureCredentials();

    // Plans, from what was observed.
    const scale = planScale({ specNodes: spec.nodes, replicas, strata, deleteClaimsOnScaleIn: spec.storage.deleteClaimsOnScaleIn });
    const requested = spec.drain.map((n) => nodeIdOfName(n)).filter((id): id is number => id !== undefined);
    const drains = planDrains({ requested, victims: scale.victims, strata });
    const annotations = (sts?.metadata.annotations ?? {}) as Record<string, string>;
    const firstCreation = sts === undefined;
    const rebalance = planRebalance({
      request: spec.rebalanceRequest,
      requestDone: firstCreation ? spec.rebalanceRequest : annotations[REBALANCE_REQUEST_ANNOTATION],
      rebalanceOnScaleOut: spec.upgrade.rebalanceOnScaleOut,
      rebalancedAtReplicas: firstCreation ? spec.nodes : optionalInt(annotations[SCALE_OUT_REBALANCE_ANNOTATION]) ?? replicas,
      replicas: scale.replicas,
      readyPods: pods.filter((p) => p.ready).length,
      strata,
    });
    const templateCurrent = sts !== undefined && stsStatus?.observedGeneration === sts.metadata.generation;
    const upgradeSince = findCondition(this.cluster.status?.conditions, 'Upgrading');
    const upgrade =
      scale.direction === 'in' || !templateCurrent
        ? undefined
        : planUpgrade({
            pods,
            replicas: replicas ?? 0,
            updateRevision: stsStatus?.updateRevision,
            strata,
            strategy: spec.upgrade.strategy,
            gateTimeoutMs: parseGoDurationMs(spec.upgrade.gateTimeout) ?? GATE_TIMEOUT_FALLBACK_MS,
            nowMs,
            // An upgrade that starts now has waited for nothing yet.
            upgradeSinceMs: upgradeSince?.status === 'True' ? Date.parse(upgradeSince.lastTransitionTime) : nowMs,
          });

    // Strata actions first: the StatefulSet shrinks only after the node left the Strata cluster.
    let scaleInRefused: string | undefined;
    for (const action of scale.actions) {
      if (action.kind === 'drain') scaleInRefused = await this.drainForScaleIn(action.nodeId, admin);
      if (action.kind === 'removeNode') await this.strataCall(`removed node-${action.nodeId} from the Strata cluster`, 'NodeRemoved', () => admin.removeNode(action.nodeId));
    }
    for (const action of drains.actions) {
      if (action.kind === 'drain') await this.drainRequested(action.nodeId, admin);
      else await this.strataCall(`undrained node-${action.nodeId} (no longer in spec.drain)`, 'NodeUndrained', () => admin.undrain(action.nodeId));
    }
    let rebalanceDone = false;
    if (rebalance.rebalance) {
      rebalanceDone = await this.strataCall(`asked for a rebalance (${rebalance.why === 'scaleOut' ? 'nodes were added' : 'spec.rebalanceRequest changed'})`, 'RebalanceRequested', () => admin.rebalance());
    }
    let rebalanceState: StatusInput['rebalanceState'];
    if (strata.reachable && !rebalance.rebalance) rebalanceState = await admin.rebalanceStatus().then((s) => s.state, () => undefined);

    // Children: apply what differs (creation, drift, spec change).
    const nextAnnotations: Record<string, string> = {};
    // A rebalance that failed to start is not recorded, so the next reconcile asks again.
    const keepOld = rebalance.rebalance && !rebalanceDone;
    const requestDone = keepOld ? annotations[REBALANCE_REQUEST_ANNOTATION] : rebalance.requestDone;
    if (requestDone !== undefined) nextAnnotations[REBALANCE_REQUEST_ANNOTATION] = requestDone;
    const atReplicas = keepOld ? optionalInt(annotations[SCALE_OUT_REBALANCE_ANNOTATION]) ?? rebalance.rebalancedAtReplicas : rebalance.rebalancedAtReplicas;
    nextAnnotations[SCALE_OUT_REBALANCE_ANNOTATION] = String(atReplicas);
    // Once a Strata cluster answered, pod 0 may never bootstrap again (the key never goes back).
    const configMap = await kube.get(this.ref('v1', 'ConfigMap', configMapName(this.name)));
    const wasForbidden = (configMap?.data as Record<string, string> | undefined)?.[BOOTSTRAP_KEY] === 'forbidden';
    const bootstrap = wasForbidden || strata.reachable ? 'forbidden' : 'allowed';
    const children = desiredChildren(this.cluster, spec, {
      bootstrap,
      replicas: scale.replicas,
      annotations: nextAnnotations,
      serviceMonitorServed: spec.monitoring.serviceMonitor && (await kube.hasKind(MONITORING_API_VERSION, 'ServiceMonitor')),
      prometheusRuleServed: spec.monitoring.prometheusRule && (await kube.hasKind(MONITORING_API_VERSION, 'PrometheusRule')),
    });
    // One broken child must not keep the others from being repaired; the first failure is rethrown
    // after status is written, so the controller retries with backoff.
    let applyError: unknown;
    let stale = false;
    for (const child of children) {
      try {
        // The StatefulSet's replicas come from plans made on the StatefulSet read above: it is compared
        // with, and applied against, that very version (see applyIfDifferent).
        await this.applyIfDifferent(child, child.kind === 'StatefulSet' ? { observed: sts } : undefined);
      } catch (err) {
        if (child.kind === 'StatefulSet' && isStrataError(err, 'Conflict')) {
          // Changed since it was read (a hand scale, say): plan again from the new one, soon.
          this.log.info({ kind: child.kind, name: child.metadata.name }, 'changed since this reconcile read it; planning again');
          stale = true;
          continue;
        }
        applyError ??= err;
        this.problems.push({ reason: 'ApplyFailed', message: `${child.kind} ${child.metadata.name}: ${(err as Error).message}` });
        await this.event('Warning', 'ApplyFailed', `could not apply ${child.kind} ${child.metadata.name}: ${(err as Error).message}`);
      }
    }
    await this.removeUnwantedMonitoring(children);
    // Nothing destructive from a plan whose StatefulSet has changed since (the next reconcile plans again).
    for (const action of stale ? [] : scale.actions) {
      if (action.kind === 'deleteClaim') await this.deleteClaim(action.ordinal);
    }

    // One pod restart (or leadership move) per reconcile, after the template is applied.
    if (upgrade?.action !== undefined && !stale) {
      const action = upgrade.action;
      if (action.kind === 'deletePod') {
        const replacing = upgrade.reason === 'ReplacingUnreadyPod';
        const message = replacing ? upgrade.message : `restarting ${action.name} for the upgrade (${upgrade.outdated.length} to go)`;
        await this.deleteObject(this.ref('v1', 'Pod', action.name), replacing ? 'ReplacingUnreadyPod' : 'RestartingPod', message);
      } else {
        await this.strataCall(`moved Raft leadership away from node-${action.from} before restarting it`, 'LeadershipTransferred', () => admin.transferLeadership(action.from));
      }
    }
    if (upgrade?.state === 'stalled' && findCondition(this.cluster.status?.conditions, 'Upgrading')?.reason !== upgrade.reason) {
      await this.event('Warning', 'UpgradeStalled', upgrade.message);
    }
    if (scaleInRefused !== undefined && findCondition(this.cluster.status?.conditions, 'ScalingIn')?.reason !== 'DrainRefused') {
      await this.event('Warning', 'ScaleInRefused', scaleInRefused);
    }

    // Scheduled backup.
    let backupRun: BackupRecord | undefined;
    let backupScheduleError: string | undefined;
    let backupCheckInMs: number | undefined;
    if (spec.backup !== undefined && strata.reachable) {
      const last = this.cluster.status?.lastBackup?.time;
      const due = backupDue({
        schedule: spec.backup.schedule,
        nowMs,
        lastRunMs: last === undefined ? undefined : Date.parse(last),
        createdMs: Date.parse(this.cluster.metadata.creationTimestamp ?? new Date(nowMs).toISOString()),
      });
      backupScheduleError = due.error;
      backupCheckInMs = due.nextCheckInMs;
      if (due.due) backupRun = await this.runBackup(admin, nowMs);
    }

    const status = buildStatus({ ...base, scale, drains, upgrade, rebalance, rebalanceState, scaleInRefused, backupRun, backupScheduleError });
    await this.writeStatus(status);
    if (applyError !== undefined) throw applyError;
    const busy = status.conditions?.some((c) => c.type === 'Progressing' && c.status === 'True') ?? false;
    const requeueAfterMs = Math.min(busy ? this.o.busyRequeueMs : this.o.idleRequeueMs, backupCheckInMs ?? Number.POSITIVE_INFINITY);
    return { requeueAfterMs: stale ? 1_000 : Math.max(1_000, requeueAfterMs), writes: this.writes };
  }

  private async observePods(): Promise<PodStatusView[]> {
    const pods = await this.o.kube.list('v1', 'Pod', this.ns, selectorString(this.name));
    const views: PodStatusView[] = [];
    for (const pod of pods) {
      const ordinal = ordinalOfPod(this.name, pod.metadata.name);
      if (ordinal === undefined) continue;
      const status = pod.status as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } | undefined;
      const readyCondition = status?.conditions?.find((c) => c.type === 'Ready');
      const view: PodStatusView = {
        ordinal,
        name: pod.metadata.name,
        ready: readyCondition?.status === 'True',
        terminating: pod.metadata.deletionTimestamp !== undefined,
      };
      if (readyCondition !== undefined && readyCondition.status !== 'True' && readyCondition.lastTransitionTime !== undefined) {
        view.notReadySinceMs = Date.parse(readyCondition.lastTransitionTime);
      }
      const revision = pod.metadata.labels?.['controller-revision-hash'];
      if (revision !== undefined) view.revision = revision;
      const version = pod.metadata.labels?.[VERSION_LABEL];
      if (version !== undefined) view.version = version;
      if (pod.metadata.creationTimestamp !== undefined) view.createdMs = Date.parse(pod.metadata.creationTimestamp);
      views.push(view);
    }
    return views.sort((a, b) => a.ordinal - b.ordinal);
  }

  /** The generated Secret is created once with fresh keys and never re-applied, so keys never change. */
  private async ensureCredentials(): Promise<void> {
    const given = this.spec.s3.credentialsSecret;
    if (given !== undefined) {
      if ((await this.o.kube.get(this.ref('v1', 'Secret', given))) === undefined) {
        this.problems.push({ reason: 'CredentialsSecretMissing', message: `spec.s3.credentialsSecret ${given} does not exist in ${this.ns}` });
      }
      return;
    }
    const name = credentialsSecretName(this.name);
    if ((await this.o.kube.get(this.ref('v1', 'Secret', name))) !== undefined) return;
    try {
      await this.o.kube.create(buildCredentialsSecret(this.cluster, this.o.generateS3Keys()));
      this.writes++;
      await this.event('Normal', 'CredentialsGenerated', `generated S3 credentials in Secret ${name}`);
    } catch (err) {
      if (!isStrataError(err, 'AlreadyExists')) throw err;
    }
  }

  /**
   * Applies `desired` when the observed object lacks any field of it. With `basis`, the object is the one
   * this reconcile planned from (not read again) and the write carries its resourceVersion as a
   * precondition: applying replicas planned on an older StatefulSet over a newer one (scaled by hand in
   * between) could shrink it past pods nobody asked Strata about. The API server then answers Conflict.
   */
  private async applyIfDifferent(desired: KubeObject, basis?: { observed: KubeObject | undefined }): Promise<void> {
    const observed = basis === undefined ? await this.o.kube.get(refOf(desired)) : basis.observed;
    if (observed !== undefined && containsDesired(observed, desired)) return;
    const resourceVersion = basis === undefined ? undefined : observed?.metadata.resourceVersion;
    const object = resourceVersion === undefined ? desired : { ...desired, metadata: { ...desired.metadata, resourceVersion } };
    try {
      await this.o.kube.apply(object);
    } catch (err) {
      // Someone else owns part of a list we set (a hand-edited port, say) and the merge is invalid:
      // replace our fields wholesale with a merge patch, which takes the lists back.
      if (observed === undefined || !isStrataError(err, 'InvalidArgument')) throw err;
      this.log.warn({ kind: desired.kind, name: desired.metadata.name, err: err.message }, 'apply could not merge; repairing with a merge patch');
      await this.o.kube.mergePatch(object);
    }
    this.writes++;
    const verb = observed === undefined ? 'created' : 'updated';
    this.log.info({ kind: desired.kind, name: desired.metadata.name }, `${verb} ${desired.kind}`);
    await this.event('Normal', observed === undefined ? 'Created' : 'Updated', `${verb} ${desired.kind} ${desired.metadata.name}`);
  }

  /** Monitoring objects the spec no longer asks for are removed (turning the toggle off asks for it). */
  private async removeUnwantedMonitoring(children: KubeObject[]): Promise<void> {
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) {
      if (children.some((c) => c.kind === kind)) continue;
      if (!(await this.o.kube.hasKind(MONITORING_API_VERSION, kind))) continue;
      const ref = this.ref(MONITORING_API_VERSION, kind, this.name);
      const existing = await this.o.kube.get(ref);
      if (existing === undefined || !ownedByCluster(existing, this.cluster)) continue;
      await this.deleteObject(ref, 'Deleted', `deleted ${kind} ${this.name} (spec.monitoring no longer asks for it)`);
    }
  }

  private async deleteClaim(ordinal: number): Promise<void> {
    const ref = this.ref('v1', 'PersistentVolumeClaim', dataClaimName(this.name, ordinal));
    if ((await this.o.kube.get(ref)) === undefined) return;
    await this.deleteObject(ref, 'ClaimDeleted', `deleted PVC ${ref.name} (storage.deleteClaimsOnScaleIn)`);
  }

  private async deleteObject(ref: ObjectRef, reason: string, message: string): Promise<void> {
    if (await this.o.kube.delete(ref)) {
      this.writes++;
      this.log.info({ ref: describeRef(ref) }, message);
      await this.event('Normal', reason, message);
    }
  }

  /** Scale-in drain; returns the refusal when the node says the rest cannot hold the data. */
  private async drainForScaleIn(nodeId: number, admin: ReturnType<StrataAdminFactory>): Promise<string | undefined> {
    try {
      const plan = await admin.drain(nodeId);
      if (!plan.feasible) return `cannot remove node-${nodeId}: ${plan.reason ?? 'drain is not feasible'}`;
      await this.event('Normal', 'DrainStarted', `draining node-${nodeId} (${plan.chunks} chunks, ${plan.bytes} bytes) before removing it`);
      return undefined;
    } catch (err) {
      if (isStrataError(err, 'FailedPrecondition')) return `cannot remove node-${nodeId}: ${err.message}`;
      await this.event('Warning', 'DrainFailed', `drain of node-${nodeId} failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  private async drainRequested(nodeId: number, admin: ReturnType<StrataAdminFactory>): Promise<void> {
    try {
      const plan = await admin.drain(nodeId);
      await this.event('Normal', 'DrainStarted', `draining node-${nodeId} (spec.drain): ${plan.chunks} chunks, ${plan.bytes} bytes to move`);
    } catch (err) {
      this.problems.push({ reason: 'DrainRefused', message: `drain of node-${nodeId} refused: ${(err as Error).message}` });
      await this.event('Warning', 'DrainRefused', `drain of node-${nodeId} refused: ${(err as Error).message}`);
    }
  }

  /** A Strata admin call with its Event; failures become a Warning Event (the next reconcile retries). */
  private async strataCall(message: string, reason: string, call: () => Promise<unknown>): Promise<boolean> {
    try {
      await call();
      this.log.info({ reason }, message);
      await this.event('Normal', reason, message);
      return true;
    } catch (err) {
      this.log.warn({ reason, err: (err as Error).message }, `failed: ${message}`);
      await this.event('Warning', `${reason}Failed`, `failed: ${message}: ${(err as Error).message}`);
      return false;
    }
  }

  private async runBackup(admin: ReturnType<StrataAdminFactory>, nowMs: number): Promise<BackupRecord> {
    const destination = backupDestinationPath(this.spec)!;
    try {
      const run = await admin.backupToDestination(destination);
      const record: BackupRecord = { time: new Date(run.finishedMs || nowMs).toISOString(), ok: run.ok };
      if (run.backup?.file !== undefined) record.file = run.backup.file;
      if (run.error !== undefined) record.message = run.error;
      await this.event(run.ok ? 'Normal' : 'Warning', run.ok ? 'BackupSucceeded' : 'BackupFailed', run.ok ? `backup written: ${record.file ?? destination}` : `backup failed: ${run.error ?? 'unknown error'}`);
      return record;
    } catch (err) {
      await this.event('Warning', 'BackupFailed', `backup failed: ${(err as Error).message}`);
      return { time: new Date(nowMs).toISOString(), ok: false, message: (err as Error).message };
    }
  }

  private async writeStatus(status: StrataClusterStatus): Promise<void> {
    if (deepEqual(this.cluster.status ?? {}, status)) return;
    await this.o.kube.patchStatus(this.ref(STRATA_API_VERSION, STRATA_KIND, this.name), status);
    this.writes++;
  }

  private async event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.o.kube.createEvent({ regarding: { ...this.ref(STRATA_API_VERSION, STRATA_KIND, this.name), uid: this.cluster.metadata.uid }, type, reason, message });
    } catch (err) {
      // An Event is a courtesy: losing one must not fail the reconcile.
      this.log.warn({ err: (err as Error).message, reason }, 'could not record an Event');
    }
  }

  private ref(apiVersion: string, kind: string, name: string): ObjectRef {
    return { apiVersion, kind, namespace: this.ns, name };
  }
}

function unreachable(error: string): StrataView {
  return { reachable: false, error, members: [], drains: {} };
}

function optionalInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

function ownedByCluster(object: KubeObject, cluster: StrataCluster): boolean {
  return object.metadata.ownerReferences?.some((o) => o.kind === STRATA_KIND && o.name === cluster.metadata.name && (cluster.metadata.uid === undefined || o.uid === cluster.metadata.uid)) ?? false;
}
