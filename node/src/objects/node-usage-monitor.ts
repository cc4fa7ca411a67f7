import type { BusyTimeMeter } from '../platform/busy-time-meter.js';
import type { Clock, TimerHandle } from '../platform/clock.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import type { ChunkStoreDirectory } from '../ports/chunk-store.js';
import type { MemberState } from '../meta/records.js';
import type { PlacementNode } from '../placement/placement.js';

export interface NodeUsageMonitorOptions {
  /** The cluster's members as the replicated metadata knows them. */
  members: () => { id: number; state: MemberState; zone?: string }[];
  chunkStores: ChunkStoreDirectory;
  clock: Clock;
  logger?: Logger;
  /** How often every member's chunk store is asked for its usage. */
  intervalMs?: number;
  /** A member that has not answered for this long counts as offline. */
  staleAfterMs?: number;
  /** This node's id and its S3 gateway's activity, which its own store does not report. */
  self?: { id: number; busyTime: BusyTimeMeter };
}

interface Sample {
  availableBytes: number;
  usedBytes: number;
  /** The member's cumulative gateway busy time, when it reports one. */
  foregroundBusyMs?: number;
  atMs: number;
}

/**
 * This node's view of where new shards may go: every member's free space, polled over the cluster port.
 * Answering the poll is what "online" means for placement, the same on every node (Raft heartbeats only
 * show the leader who is alive).
 */
export class NodeUsageMonitor {
  private readonly samples = new Map<number, Sample>();
  /** Each member's sample before its latest: busy time grows between the two. */
  private readonly previous = new Map<number, Sample>();
  /** Members asked at least once: a member not asked yet (it just joined) is polled before answering. */
  private readonly asked = new Set<number>();
  private timer?: TimerHandle;
  private readonly intervalMs: number;
  private readonly staleAfterMs: number;
  private readonly logger: Logger;
  private polling?: Promise<void>;

  constructor(private readonly options: NodeUsageMonitorOptions) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.staleAfterMs = options.staleAfterMs ?? 3 * this.intervalMs + 1_000;
    this.logger = options.logger ?? silentLogger;
  }

  start(): void {
    this.timer = this.options.clock.setInterval(() => void this.poll(), this.intervalMs);
    void this.poll();
  }

  stop(): void {
    this.timer?.cancel();
  }

  /** Poll every member now (at most one poll at a time). */
  poll(): Promise<void> {
    this.polling ??= this.pollAll().finally(() => (this.polling = undefined));
    return this.polling;
  }

  /** The placement view; polls first when a member was never asked (right after start, or a join). */
  async view(): Promise<PlacementNode[]> {
    if (this.options.members().some((m) => !this.asked.has(m.id))) await this.poll();
    const now = this.options.clock.nowMs();
    return this.options.members().map((member) => {
      const sample = this.samples.get(member.id);
      const online = sample !== undefined && now - sample.atMs <= this.staleAfterMs;
      return { id: member.id, state: member.state, online, availableBytes: online ? sample.availableBytes : 0, ...(member.zone ? { zone: member.zone } : {}) };
    });
  }

  /**
   * The busiest S3 gateway between the last two polls: the fraction of that time (0..1) during which it
   * had a request in flight. Members offline, or not reporting, count as idle. The data movers' load signal.
   */
  foregroundBusyFraction(): number {
    const now = this.options.clock.nowMs();
    let busiest = 0;
    for (const [id, latest] of this.samples) {
      const before = this.previous.get(id);
      if (now - latest.atMs > this.staleAfterMs || before === undefined) continue;
      if (latest.foregroundBusyMs === undefined || before.foregroundBusyMs === undefined || latest.atMs <= before.atMs) continue;
      // A restarted member's counter starts again from 0: the negative difference counts as idle.
      const fraction = (latest.foregroundBusyMs - before.foregroundBusyMs) / (latest.atMs - before.atMs);
      busiest = Math.max(busiest, Math.min(1, fraction));
    }
    return busiest;
  }

  /** Bytes of chunks held per node, as last reported. */
  usedBytes(): Map<number, number> {
    return new Map([...this.samples].map(([id, s]) => [id, s.usedBytes]));
  }

  private async pollAll(): Promise<void> {
    await Promise.all(
      this.options.members().map(async (member) => {
        this.asked.add(member.id);
        try {
          const usage = await this.options.chunkStores.forNode(member.id).usage();
          const self = this.options.self;
          const sample: Sample = { ...usage, atMs: this.options.clock.nowMs() };
          if (self !== undefined && member.id === self.id) sample.foregroundBusyMs = self.busyTime.busyMs();
          const latest = this.samples.get(member.id);
          if (latest !== undefined) this.previous.set(member.id, latest);
          this.samples.set(member.id, sample);
        } catch (err) {
          this.logger.debug({ node: member.id, err: String(err) }, 'chunk store usage not available');
        }
      }),
    );
  }
}
