import type { AdminService, BucketInfo, ClusterStatus, HealthReport } from '../ports/admin-service.js';
import { StrataError } from '../platform/errors.js';

/** Node ids as the admin port types them (raft/ is out of bounds here). */
type NodeId = ClusterStatus['nodeId'];

type Method = keyof AdminService;

/**
 * An in-memory AdminService for tests of the HTTP layer and the client (not used in production): it
 * keeps buckets and members, records calls, and throws whatever error a test arranges per method.
 */
export class FakeAdminService implements AdminService {
  healthReport: HealthReport = { ready: true, reasons: [] };
  status: ClusterStatus;
  readonly buckets = new Map<string, BucketInfo>();
  readonly calls: { method: Method; args: unknown[] }[] = [];
  /** An error to throw from a method, every time until removed; or a function for one-off behaviour. */
  readonly failures = new Map<Method, StrataError | Error | (() => StrataError | Error | undefined)>();
  nowMs = 1_700_000_000_000;

  constructor(options: { nodeId?: NodeId; leaderId?: NodeId } = {}) {
    const nodeId = options.nodeId ?? 1;
    this.status = {
      clusterId: 'c-test',
      nodeId,
      version: '0.0.0-test',
      leaderId: options.leaderId ?? nodeId,
      term: 3,
      commitIndex: 10,
      appliedIndex: 10,
      nodes: [1, 2, 3].map((id) => ({
        id,
        name: `node-${id}`,
        address: `127.0.0.${id}:9000`,
        voter: true,
        role: id === (options.leaderId ?? nodeId) ? ('leader' as const) : ('follower' as const),
        online: true,
        state: 'active' as const,
      })),
    };
  }

  private enter(method: Method, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    const err = typeof failure === 'function' ? failure() : failure;
    if (err !== undefined) throw err;
  }

  async health(): Promise<HealthReport> {
    this.enter('health');
    return this.healthReport;
  }

  async clusterStatus(): Promise<ClusterStatus> {
    this.enter('clusterStatus');
    return this.status;
  }

  async createBucket(name: string): Promise<BucketInfo> {
    this.enter('createBucket', name);
    if (this.buckets.has(name)) throw new StrataError('AlreadyExists', `bucket ${name} already exists`, { details: { bucket: name } });
    const info = { name, createdMs: this.nowMs };
    this.buckets.set(name, info);
    return info;
  }

  async deleteBucket(name: string): Promise<void> {
    this.enter('deleteBucket', name);
    if (!this.buckets.delete(name)) throw new StrataError('NotFound', `bucket ${name} does not exist`, { details: { bucket: name } });
  }

  async listBuckets(): Promise<BucketInfo[]> {
    this.enter('listBuckets');
    return [...this.buckets.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async removeNode(id: NodeId): Promise<void> {
    this.enter('removeNode', id);
    const before = this.status.nodes.length;
    this.status.nodes = this.status.nodes.filter((n) => n.id !== id);
    if (this.status.nodes.length === before) throw new StrataError('NotFound', `node-${id} is not a member`, { details: { nodeId: id } });
  }

  async transferLeadership(to?: NodeId): Promise<NodeId> {
    this.enter('transferLeadership', to);
    const target = to ?? this.status.nodes.find((n) => n.id !== this.status.leaderId)?.id;
    if (target === undefined || !this.status.nodes.some((n) => n.id === target)) {
      throw new StrataError('NotFound', `node-${to} is not a member`, { details: { nodeId: to } });
    }
    this.status.leaderId = target;
    return target;
  }
}
