import { isStrataError, type Clock, type Logger, type TimerHandle } from '../../../node/src/platform/index.js';
import type { KubeClient, KubeObject } from '../kube/kube-client.js';

export interface LeaderElectionOptions {
  kube: KubeClient;
  clock: Clock;
  logger: Logger;
  namespace: string;
  /** Lease name. Default strata-operator. */
  name?: string;
  /** This process (pod name + random suffix). */
  identity: string;
  /** How long a lease holds without renewal. Default 15 s. */
  leaseDurationMs?: number;
  /** A leader that could not renew for this long steps down. Default 10 s. */
  renewDeadlineMs?: number;
  /** Between attempts. Default 2 s. */
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  /** Called once when leadership is lost; the process should stop working (and usually exit). */
  onStoppedLeading: () => void;
}

export type ResolvedLeaderElectionOptions = Required<LeaderElectionOptions>;

export function resolveLeaderElectionOptions(options: LeaderElectionOptions): ResolvedLeaderElectionOptions {
  return { name: 'strata-operator', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...options };
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

/**
 * Leader election on a coordination.k8s.io/v1 Lease (client-node has none). As in client-go, expiry is
 * judged by this process's own clock: a lease whose record has not changed for leaseDuration since we
 * first saw it is free, so clock skew between machines does not matter. Writes are guarded by
 * resourceVersion, so two candidates cannot both win.
 */
export class LeaderElection {
  private readonly o: ResolvedLeaderElectionOptions;
  private observedRecord = '';
  private observedAtMs = 0;
  private lastRenewMs = 0;
  private leading = false;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(options: LeaderElectionOptions) {
    this.o = resolveLeaderElectionOptions(options);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** One acquire-or-renew attempt; exposed for tests. Returns whether we lead afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.o.clock.nowMs();
    const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: this.o.namespace, name: this.o.name };
    const wallIso = microTime(this.o.clock.wallMs());
    const spec: LeaseSpec = { holderIdentity: this.o.identity, leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000), renewTime: wallIso };
    try {
      const current = await this.o.kube.get<Lease>(ref);
      if (current === undefined) {
        await this.o.kube.create({ ...ref, metadata: { name: ref.name, namespace: ref.namespace }, spec: { ...spec, acquireTime: wallIso, leaseTransitions: 0 } });
        return this.won(now);
      }
      const record = JSON.stringify(current.spec ?? {});
      if (record !== this.observedRecord) {
        this.observedRecord = record;
        this.observedAtMs = now;
      }
      const holder = current.spec?.holderIdentity;
      const heldByOther = holder !== undefined && holder !== '' && holder !== this.o.identity;
      const durationMs = (current.spec?.leaseDurationSeconds ?? Math.ceil(this.o.leaseDurationMs / 1000)) * 1000;
      if (heldByOther && now - this.observedAtMs < durationMs) return this.lost();
      const transitions = current.spec?.leaseTransitions ?? 0;
      const next: Lease = {
        ...current,
        spec: holder === this.o.identity ? { ...current.spec, ...spec } : { ...spec, acquireTime: wallIso, leaseTransitions: transitions + 1 },
      };
      const stored = await this.o.kube.replace<Lease>(next);
      this.observedRecord = JSON.stringify(stored.spec ?? {});
      this.observedAtMs = now;
      return this.won(now);
    } catch (err) {
      if (!isStrataError(err, 'Conflict') && !isStrataError(err, 'AlreadyExists')) this.o.logger.warn({ err: (err as Error).message }, 'lease update failed');
      // A leader that cannot renew keeps leading until its renew deadline passes.
      if (this.leading && now - this.lastRenewMs < this.o.renewDeadlineMs) return true;
      return this.lost();
    }
  }

  /** Give the lease up (SIGTERM) so a successor need not wait for it to expire. */
  async release(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    if (!this.leading) return;
    this.leading = false;
    const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: this.o.namespace, name: this.o.name };
    try {
      const current = await this.o.kube.get<Lease>(ref);
      if (current?.spec?.holderIdentity !== this.o.identity) return;
      await this.o.kube.replace({ ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.o.clock.wallMs()) } });
      this.o.logger.info({ identity: this.o.identity }, 'released the leader lease');
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'could not release the leader lease; it expires by itself');
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    await this.tryAcquireOrRenew();
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => void this.tick(), this.o.retryPeriodMs);
  }

  private won(now: number): boolean {
    this.lastRenewMs = now;
    if (!this.leading) {
      this.leading = true;
      this.o.logger.info({ identity: this.o.identity }, 'became the leader');
      this.o.onStartedLeading();
    }
    return true;
  }

  private lost(): boolean {
    if (this.leading) {
      this.leading = false;
      this.o.logger.warn({ identity: this.o.identity }, 'lost the leader lease');
      this.o.onStoppedLeading();
    }
    return false;
  }
}

/** metav1.MicroTime wants six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
