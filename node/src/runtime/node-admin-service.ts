import type { Clock } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import type { AdminService, BucketInfo, ClusterStatus, HealthReport, NodeRole, NodeStatus } from '../ports/admin-service.js';
import { NONE, type NodeId } from '../raft/types.js';
import type { MetadataService } from './metadata-service.js';
import type { Replica } from './replica.js';
import type { MemberRecord } from '../meta/records.js';

export interface NodeAdminServiceOptions {
  replica: Replica;
  metadata: MetadataService;
  clock: Clock;
  /** The replicated member records (data state, zone), beside the replica's Raft view. */
  memberRecords(): readonly MemberRecord[];
  /** Extra readiness checks (e.g. the data directory is writable); each returns a reason or undefined. */
  storageCheck(): Promise<string | undefined>;
  /** This node's Strata version, for the status. */
  version: string;
}

/** The admin API's view of a node, wired to the replica and the metadata. */
export class NodeAdminService implements AdminService {
  constructor(private readonly options: NodeAdminServiceOptions) {}

  async health(): Promise<HealthReport> {
    const { replica } = this.options;
    const reasons: string[] = [];
    if (replica.isRemoved) reasons.push('this node was removed from the cluster');
    if (!replica.initialized) reasons.push('not part of a cluster yet (no Raft log)');
    else if (replica.leaderId === NONE) reasons.push('no Raft leader is known');
    const storage = await this.options.storageCheck();
    if (storage) reasons.push(storage);
    return { ready: reasons.length === 0, reasons };
  }

  async clusterStatus(): Promise<ClusterStatus> {
    const status = this.options.replica.status();
    const online = new Set(this.options.replica.onlineMembers());
    const { raft } = status;
    const voters = new Set(raft.conf.voters);
    const records = new Map(this.options.memberRecords().map((record) => [record.id, record]));
    const nodes: NodeStatus[] = status.members.map((member) => {
      const progress = raft.progress?.[member.id];
      const isSelf = member.id === status.nodeId;
      return {
        id: member.id,
        name: `node-${member.id}`,
        address: member.address,
        voter: voters.has(member.id),
        role: roleOf(member.id, status.nodeId, raft.softState.leader, raft.softState.role, voters),
        online: online.has(member.id),
        matchIndex: isSelf ? raft.lastIndex : progress?.match,
        state: records.get(member.id)?.state ?? 'active',
        ...(records.get(member.id)?.zone === undefined ? {} : { zone: records.get(member.id)?.zone }),
        ...(records.get(member.id)?.adminUrl === undefined ? {} : { adminUrl: records.get(member.id)?.adminUrl }),
      };
    });
    return {
      clusterId: status.clusterId,
      nodeId: status.nodeId,
      version: this.options.version,
      leaderId: raft.softState.leader,
      term: raft.hardState.term,
      commitIndex: raft.hardState.commit,
      appliedIndex: status.applied,
      nodes,
    };
  }

  async createBucket(name: string): Promise<BucketInfo> {
    return (await this.options.metadata.execute({ op: 'createBucket', name, createdMs: this.options.clock.wallMs() })) as BucketInfo;
  }

  async deleteBucket(name: string): Promise<void> {
    await this.options.metadata.execute({ op: 'deleteBucket', name });
  }

  async listBuckets(): Promise<BucketInfo[]> {
    return this.options.metadata.read((meta) => meta.listBuckets());
  }

  async removeNode(id: NodeId): Promise<void> {
    if (!Number.isInteger(id) || id <= 0) throw new StrataError('InvalidArgument', `node id must be a positive integer, got ${id}`);
    await this.options.replica.removeNode(id);
  }

  async transferLeadership(to?: NodeId): Promise<NodeId> {
    return this.options.replica.transferLeadership(to);
  }
}

function roleOf(id: NodeId, self: NodeId, leader: NodeId, selfRole: string, voters: Set<NodeId>): NodeRole {
  if (id === leader) return 'leader';
  if (!voters.has(id)) return 'learner';
  if (id === self) return selfRole === 'candidate' || selfRole === 'preCandidate' ? 'candidate' : 'follower';
  return 'follower';
}
