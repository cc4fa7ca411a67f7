import { AdminClient, type AdminClientOptions } from '../../../node/src/client/index.js';
import { StrataError } from '../../../node/src/platform/index.js';

/** ClusterStatus as the admin client returns it (the ports types reach the operator through the client). */
export type ClusterStatusView = Awaited<ReturnType<AdminClient['clusterStatus']>>;

/** The parts of the admin API's answers the operator reads (a structural subset of the node's ports). */
export interface DrainPlanView {
  feasible: boolean;
  reason?: string;
  chunks: number;
  bytes: number;
}

export interface DrainStatusView {
  nodeId: number;
  state: 'active' | 'draining' | 'drained';
  progress: { chunksTotal: number; chunksDone: number; bytesTotal: number; bytesDone: number; rateBytesPerSec: number; etaSeconds?: number };
}

export interface RebalanceStatusView {
  state: 'idle' | 'running' | 'done' | 'failed';
}

export interface StorageStatusView {
  degradedChunks: number;
}

export interface BackupRunView {
  startedMs: number;
  finishedMs: number;
  ok: boolean;
  error?: string;
  backup?: { file?: string; sizeBytes?: number };
}

/**
 * What the reconciler asks of a Strata cluster, through its admin API (POST/GET /admin/v1/...). The
 * real implementation wraps node/src/client's AdminClient; component tests use a fake.
 */
export interface StrataAdmin {
  clusterStatus(): Promise<ClusterStatusView>;
  storageStatus(): Promise<StorageStatusView>;
  rebalanceStatus(): Promise<RebalanceStatusView>;
  drain(nodeId: number): Promise<DrainPlanView>;
  drainStatus(nodeId: number): Promise<DrainStatusView>;
  undrain(nodeId: number): Promise<void>;
  removeNode(nodeId: number): Promise<void>;
  rebalance(): Promise<void>;
  transferLeadership(from: number): Promise<number>;
  backupToDestination(destination: string): Promise<BackupRunView>;
}

/** Builds the admin API view of one cluster from its nodes' admin URLs. */
export type StrataAdminFactory = (endpoints: string[]) => StrataAdmin;

/** The AdminClient methods engineer H3 adds for the new routes; looked up at run time until they land. */
interface MaintenanceClientMethods {
  drain(nodeId: number, options?: { dryRun?: boolean }): Promise<DrainPlanView>;
  drainStatus(nodeId: number): Promise<DrainStatusView>;
  undrain(nodeId: number): Promise<DrainStatusView>;
  rebalance(): Promise<RebalanceStatusView>;
  rebalanceStatus(): Promise<RebalanceStatusView>;
  storageStatus(): Promise<StorageStatusView>;
  backupToDestination(options: { destination?: string }): Promise<BackupRunView>;
}

/** StrataAdmin over the typed AdminClient (leader following, failover and retries are the client's). */
export class AdminClientStrataAdmin implements StrataAdmin {
  constructor(private readonly client: AdminClient) {}

  clusterStatus(): Promise<ClusterStatusView> {
    return this.client.clusterStatus();
  }

  storageStatus(): Promise<StorageStatusView> {
    return this.method('storageStatus')();
  }

  rebalanceStatus(): Promise<RebalanceStatusView> {
    return this.method('rebalanceStatus')();
  }

  drain(nodeId: number): Promise<DrainPlanView> {
    return this.method('drain')(nodeId, { dryRun: false });
  }

  drainStatus(nodeId: number): Promise<DrainStatusView> {
    return this.method('drainStatus')(nodeId);
  }

  async undrain(nodeId: number): Promise<void> {
    await this.method('undrain')(nodeId);
  }

  removeNode(nodeId: number): Promise<void> {
    return this.client.removeNode(nodeId);
  }

  async rebalance(): Promise<void> {
    await this.method('rebalance')();
  }

  async transferLeadership(from: number): Promise<number> {
    const status = await this.client.clusterStatus();
    if (status.leaderId !== from) return status.leaderId;
    return this.client.transferLeadership();
  }

  backupToDestination(destination: string): Promise<BackupRunView> {
    return this.method('backupToDestination')({ destination });
  }

  private method<K extends keyof MaintenanceClientMethods>(name: K): MaintenanceClientMethods[K] {
    const fn = (this.client as unknown as Partial<MaintenanceClientMethods>)[name];
    if (typeof fn !== 'function') throw new StrataError('Unavailable', `this build's AdminClient has no ${name}()`);
    return (fn as (...args: unknown[]) => unknown).bind(this.client) as MaintenanceClientMethods[K];
  }
}

export function adminClientFactory(options: Omit<AdminClientOptions, 'endpoints'> = {}): StrataAdminFactory {
  return (endpoints) => new AdminClientStrataAdmin(new AdminClient({ retries: 1, timeoutMs: 5_000, ...options, endpoints }));
}
