import { AdminClient, type AdminClientOptions, type ClusterStatus } from '../../../node/src/client/index.js';

/** ClusterStatus as the admin client returns it (the ports types reach the operator through the client). */
export type ClusterStatusView = ClusterStatus;

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

/** StrataAdmin over the typed AdminClient (leader following, failover and retries are the client's). */
export class AdminClientStrataAdmin implements StrataAdmin {
  constructor(private readonly client: AdminClient) {}

  /** The leader's view: only the leader knows which members are online and how far each is replicated. */
  clusterStatus(): Promise<ClusterStatusView> {
    return this.client.leaderClusterStatus();
  }

  storageStatus(): Promise<StorageStatusView> {
    return this.client.storageStatus();
  }

  rebalanceStatus(): Promise<RebalanceStatusView> {
    return this.client.rebalanceStatus();
  }

  drain(nodeId: number): Promise<DrainPlanView> {
    return this.client.drain(nodeId, { dryRun: false });
  }

  drainStatus(nodeId: number): Promise<DrainStatusView> {
    return this.client.drainStatus(nodeId);
  }

  async undrain(nodeId: number): Promise<void> {
    await this.client.undrain(nodeId);
  }

  removeNode(nodeId: number): Promise<void> {
    return this.client.removeNode(nodeId, { force: false });
  }

  async rebalance(): Promise<void> {
    await this.client.rebalance();
  }

  /** Moves leadership off `from` (to the best other voter); a no-op when `from` no longer leads. */
  async transferLeadership(from: number): Promise<number> {
    const status = await this.client.clusterStatus();
    if (status.leaderId !== from) return status.leaderId;
    return this.client.transferLeadership();
  }

  backupToDestination(destination: string): Promise<BackupRunView> {
    return this.client.backupToDestination({ destination });
  }
}

export function adminClientFactory(options: Omit<AdminClientOptions, 'endpoints'> = {}): StrataAdminFactory {
  return (endpoints) => new AdminClientStrataAdmin(new AdminClient({ retries: 1, timeoutMs: 5_000, ...options, endpoints }));
}
