import { assert } from '../platform/assert.js';
import { isStrataError } from '../platform/errors.js';
import { SeededRandom, type Random } from '../platform/random.js';
import { MetaStateMachine, encodeMetaCommand, type MetaCommand } from '../meta/index.js';
import { NONE, type NodeId } from '../raft/types.js';
import { Replica } from '../runtime/replica.js';
import type { ReplicaRaftOptions } from '../runtime/replica-options.js';
import { SimClock } from './sim-clock.js';
import { SimDisk, type CrashOptions } from './sim-disk.js';
import { SimNetwork, type SimNetworkFaults } from './sim-network.js';
import { RecordingStateMachine, SimRecorder, traceLogger, watchingMetrics } from './sim-recorder.js';

export interface SimClusterOptions {
  seed: number;
  /** Members the cluster starts with (3-7). */
  nodes: number;
  raft?: Partial<ReplicaRaftOptions>;
  snapshotEveryEntries?: number;
  keepEntriesAfterSnapshot?: number;
  proposalTimeoutMs?: number;
  maxVoters?: number;
  network?: Partial<SimNetworkFaults>;
  traceLimit?: number;
  /** How the metadata snapshot writer pauses between slices (default: a microtask, deterministic). */
  snapshotPause?: () => Promise<void>;
}

export function resolveSimClusterOptions(o: SimClusterOptions): Required<SimClusterOptions> {
  return {
    seed: o.seed,
    nodes: o.nodes,
    raft: { tickMs: 10, electionTicks: 10, heartbeatTicks: 1, preVote: true, checkQuorum: true, ...o.raft },
    // Small, so snapshots, compaction and snapshot transfer happen in every run.
    snapshotEveryEntries: o.snapshotEveryEntries ?? 64,
    keepEntriesAfterSnapshot: o.keepEntriesAfterSnapshot ?? 16,
    proposalTimeoutMs: o.proposalTimeoutMs ?? 1_500,
    maxVoters: o.maxVoters ?? 5,
    network: o.network ?? {},
    traceLimit: o.traceLimit ?? 60,
    snapshotPause: o.snapshotPause ?? (() => Promise.resolve()),
  };
}

/** One node seat in the simulation; its replica is replaced at every restart. */
export interface SimNode {
  id: NodeId;
  address: string;
  incarnation: number;
  replica: Replica | undefined;
  machine: RecordingStateMachine<MetaStateMachine> | undefined;
  /** The process runs (false after a crash until the restart). */
  up: boolean;
  /** Removed from the cluster (never comes back). */
  removed: boolean;
  /** Leadership gauges moved since the last sample. */
  dirty: boolean;
}

export const SIM_BUCKET = 'sim';

/**
 * Strata replicas in one process: the real runtime and meta state machine over SimClock, SimNetwork
 * and SimDisk, every random choice drawn from one seed. Offers the faults a scenario needs.
 */
export class SimCluster {
  readonly clock = new SimClock();
  readonly recorder: SimRecorder;
  readonly network: SimNetwork;
  readonly disk: SimDisk;
  readonly nodes = new Map<NodeId, SimNode>();
  /** Errors the runtime reported through onFatal, or thrown out of background tasks. */
  readonly fatal: string[] = [];
  private readonly root: Random;
  private readonly options: Required<SimClusterOptions>;
  private nextId = 1;

  private constructor(options: SimClusterOptions) {
    this.options = resolveSimClusterOptions(options);
    this.root = new SeededRandom(this.options.seed);
    this.recorder = new SimRecorder(() => this.clock.nowMs(), this.options.traceLimit);
    const trace = (line: string) => this.recorder.trace(line);
    this.network = new SimNetwork({ clock: this.clock, random: this.child(), faults: this.options.network, trace });
    this.disk = new SimDisk({ clock: this.clock, random: this.child(), trace });
  }

  /** A fresh, independent random stream derived from the seed (call order is fixed, so it replays). */
  child(): Random {
    return new SeededRandom(this.root.int(0x7fff_ffff));
  }

  /** Bootstrap node 1, join the others one by one, create the 'sim' bucket, wait for every node to vote. */
  static async start(options: SimClusterOptions): Promise<SimCluster> {
    assert(options.nodes >= 1 && options.nodes <= 9, 'between 1 and 9 nodes');
    const cluster = new SimCluster(options);
    const first = await cluster.openNode(cluster.newSeat());
    await cluster.await((first.replica as Replica).bootstrap(), 5_000, 'bootstrap');
    assert(await cluster.clock.runUntil(() => cluster.leaderId() === first.id, 5_000), 'bootstrap elected no leader');
    for (let i = 1; i < options.nodes; i++) {
      const node = await cluster.openNode(cluster.newSeat());
      await cluster.await(node.replica!.joinCluster(first.address), 10_000, `node-${node.id} join`);
    }
    await cluster.await(cluster.propose({ op: 'createBucket', name: SIM_BUCKET, createdMs: 0 }), 10_000, 'create bucket');
    const voters = Math.min(options.nodes, cluster.options.maxVoters);
    const ready = await cluster.clock.runUntil(() => cluster.voterCount() === voters && cluster.converged(), 20_000);
    assert(ready, () => `cluster did not settle: ${cluster.describe()}`);
    cluster.recorder.trace(`cluster of ${options.nodes} ready`);
    return cluster;
  }

  /** Run a promise to completion on the simulated clock (failing after `limitMs` of virtual time). */
  async await<T>(promise: Promise<T>, limitMs: number, what: string): Promise<T> {
    let settled: { ok: true; value: T } | { ok: false; err: unknown } | undefined;
    promise.then(
      (value) => (settled = { ok: true, value }),
      (err: unknown) => (settled = { ok: false, err }),
    );
    await this.clock.runUntil(() => settled !== undefined, limitMs);
    assert(settled, () => `${what} did not finish within ${limitMs} ms: ${this.describe()}`);
    const s = settled as { ok: true; value: T } | { ok: false; err: unknown };
    if (!s.ok) throw s.err;
    return s.value;
  }

  /** Propose through the current leader, retrying on NotLeader (setup only; workloads use their own path). */
  async propose(command: MetaCommand): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const leader = this.nodes.get(this.leaderId());
      try {
        assert(leader?.replica, 'no leader to propose to');
        return await leader.replica.propose(encodeMetaCommand(command));
      } catch (err) {
        if (attempt > 20 || !(isStrataError(err) && err.retryable)) throw err;
        await new Promise<void>((r) => this.clock.setTimeout(r, 50));
      }
    }
  }

  private newSeat(): SimNode {
    const id = this.nextId++;
    const node: SimNode = { id, address: `sim-${id}:9000`, incarnation: 0, replica: undefined, machine: undefined, up: false, removed: false, dirty: false };
    this.nodes.set(id, node);
    return node;
  }

  private async openNode(node: SimNode): Promise<SimNode> {
    node.incarnation++;
    const prefix = `node-${node.id}`;
    // Snapshot slices pause on a microtask: a macrotask would let them finish at an unsimulated moment.
    const machine = new RecordingStateMachine(new MetaStateMachine(this.options.snapshotPause), node.id, this.recorder);
    const replica = await Replica.open({
      nodeId: node.id,
      selfAddress: node.address,
      clock: this.clock.forOwner(`${prefix}#${node.incarnation}`),
      random: this.child(),
      logger: traceLogger(this.recorder, prefix),
      metrics: watchingMetrics(() => (node.dirty = true)),
      logStore: this.disk.open(node.id),
      transport: this.network.createTransport(node.id, node.address),
      stateMachine: machine,
      raft: this.options.raft,
      snapshotEveryEntries: this.options.snapshotEveryEntries,
      keepEntriesAfterSnapshot: this.options.keepEntriesAfterSnapshot,
      proposalTimeoutMs: this.options.proposalTimeoutMs,
      readTimeoutMs: this.options.proposalTimeoutMs,
      maxVoters: this.options.maxVoters,
      onFatal: (err) => this.fatal.push(`${prefix}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    });
    node.replica = replica;
    node.machine = machine;
    node.up = true;
    node.dirty = true;
    this.recorder.trace(`${prefix} started (incarnation ${node.incarnation})`);
    return node;
  }

  /** Kill a node's process (and with loseUnsynced, its machine: unsynced writes go, maybe a torn tail). */
  crash(id: NodeId, options: CrashOptions): void {
    const node = this.nodes.get(id);
    assert(node?.up, `node-${id} is not up`);
    this.clock.cancelOwner(`node-${id}#${node.incarnation}`);
    this.network.crash(id);
    this.disk.crash(id, options);
    node.up = false;
    node.replica = undefined;
    node.machine = undefined;
    this.recorder.trace(`node-${id} crashed (loseUnsynced=${options.loseUnsynced}, tornTail=${options.tornTail})`);
  }

  /** Cut the network between groups of nodes (symmetric). */
  partition(...groups: NodeId[][]): void {
    this.network.partition(...groups);
  }

  /** Cut only the direction from -> to. */
  blockOneWay(from: NodeId, to: NodeId): void {
    this.network.blockOneWay(from, to);
  }

  /** Restore every link. */
  heal(): void {
    this.network.heal();
  }

  /** Start a crashed node again from what its disk kept. */
  async restart(id: NodeId): Promise<void> {
    const node = this.nodes.get(id);
    assert(node && !node.up && !node.removed, `node-${id} cannot be restarted`);
    await this.openNode(node);
    const replica = node.replica as Replica;
    if (!replica.initialized) {
      // It crashed before its first write (mid-join): ask to join again, as an operator would.
      const via = this.liveNodes().find((n) => n.id !== id);
      if (via) {
        replica.joinCluster(via.address, 10_000).catch((err: unknown) => this.recorder.trace(`node-${id} rejoin failed: ${String(err)}`));
      }
    }
  }

  /** Start a new node and ask a live member to let it join (as a learner; the runtime promotes it). */
  async addNode(): Promise<NodeId> {
    const node = await this.openNode(this.newSeat());
    const via = this.liveNodes().find((n) => n.id !== node.id);
    assert(via, 'no live member to join through');
    this.recorder.trace(`node-${node.id} joining via node-${via.id}`);
    const replica = node.replica as Replica;
    await replica.joinCluster(via.address, 5_000);
    return node.id;
  }

  /**
   * After healing: every live node that never got its first data (its join was refused while there
   * was no leader, or timed out) asks to join again, as an operator would retry `--join`.
   */
  async ensureJoined(limitMs: number): Promise<void> {
    for (const n of this.liveNodes()) {
      const replica = n.replica as Replica;
      if (replica.initialized) continue;
      // Through the leader: a live node that was removed (and does not know it yet) answers "no leader".
      const via = this.nodes.get(this.leaderId());
      if (!via || via.id === n.id) continue;
      this.recorder.trace(`node-${n.id} has no data yet; joining again via node-${via.id}`);
      // A refused join is not a run failure by itself; the convergence checker reports a node left out.
      await this.await(replica.joinCluster(via.address, limitMs), limitMs + 1_000, `node-${n.id} rejoin`).catch((err: unknown) =>
        this.recorder.trace(`node-${n.id} rejoin failed: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
  }

  /** Remove a member through the leader; once the change is applied, stop its process for good. */
  async removeNode(id: NodeId): Promise<void> {
    const leader = this.nodes.get(this.leaderId());
    assert(leader?.replica, 'no leader');
    this.recorder.trace(`removing node-${id} via leader node-${leader.id}`);
    await leader.replica.removeNode(id);
    const node = this.nodes.get(id);
    // Runs in the background of a running clock: wait for the stop without driving the clock.
    if (node) await this.retire(node, false);
  }

  /**
   * After healing: a live node that has data but is in neither the voters nor the learners of the
   * leader's configuration was removed (its removal committed even if nobody heard the answer); stop it.
   */
  async settleMembership(limitMs: number): Promise<void> {
    await this.runUntil(() => this.leaderId() !== NONE, limitMs);
    const leader = this.nodes.get(this.leaderId());
    if (!leader?.replica) return;
    const conf = leader.replica.status().raft.conf;
    const members = new Set([...conf.voters, ...conf.learners]);
    for (const n of this.liveNodes()) {
      if (!members.has(n.id) && n.replica!.initialized) await this.retire(n, true);
    }
  }

  /** Stop a removed node for good; `drive` runs the clock meanwhile (only when nobody else does). */
  private async retire(node: SimNode, drive: boolean): Promise<void> {
    if (node.removed) return;
    node.removed = true;
    if (node.up) {
      const replica = node.replica as Replica;
      node.up = false;
      node.replica = undefined;
      node.machine = undefined;
      const stopping = replica.stop();
      await (drive ? this.await(stopping, 5_000, `node-${node.id} stop`) : stopping);
      this.clock.cancelOwner(`node-${node.id}#${node.incarnation}`);
      this.network.crash(node.id);
    }
    this.recorder.trace(`node-${node.id} removed and stopped`);
  }

  /** Nodes whose process runs and that are still members. */
  liveNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up && !n.removed);
  }

  /** Nodes that are members (running or crashed). */
  memberNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => !n.removed);
  }

  /** The leader as the highest-term live node claiming leadership sees it, or NONE. */
  leaderId(): NodeId {
    let best: NodeId = NONE;
    let bestTerm = -1;
    for (const n of this.liveNodes()) {
      const raft = n.replica!.status().raft;
      if (raft.softState.role === 'leader' && raft.hardState.term > bestTerm) {
        best = n.id;
        bestTerm = raft.hardState.term;
      }
    }
    return best;
  }

  /** Record leadership of every node whose gauges moved (called after each simulated event). */
  sample(): void {
    for (const n of this.nodes.values()) {
      if (!n.dirty || !n.replica) continue;
      n.dirty = false;
      const raft = n.replica.status().raft;
      if (raft.softState.role === 'leader') this.recorder.leader(n.id, raft.hardState.term);
    }
  }

  /** Advance virtual time, sampling leadership after every event. */
  async run(ms: number): Promise<void> {
    await this.clock.runUntil(() => {
      this.sample();
      return false;
    }, ms);
  }

  async runUntil(predicate: () => boolean, limitMs: number): Promise<boolean> {
    return this.clock.runUntil(() => {
      this.sample();
      return predicate();
    }, limitMs);
  }

  /** Every live member agrees on a live leader and has applied the same index. */
  converged(): boolean {
    const live = this.liveNodes();
    if (live.length === 0) return false;
    const leader = live[0].replica!.leaderId;
    if (leader === NONE || !live.some((n) => n.id === leader)) return false;
    const applied = live[0].replica!.status().applied;
    return live.every((n) => n.replica!.leaderId === leader && n.replica!.status().applied === applied);
  }

  voterCount(): number {
    const leader = this.nodes.get(this.leaderId());
    return leader?.replica ? leader.replica.status().raft.conf.voters.length : 0;
  }

  describe(): string {
    return [...this.nodes.values()]
      .map((n) => {
        if (n.removed) return `node-${n.id}: removed`;
        if (!n.replica) return `node-${n.id}: down`;
        const s = n.replica.status();
        return `node-${n.id}: ${s.raft.softState.role} term=${s.raft.hardState.term} leader=${n.replica.leaderId} applied=${s.applied} commit=${s.raft.hardState.commit}`;
      })
      .join('; ');
  }

  /** Stop every running replica (end of a run). */
  async stopAll(): Promise<void> {
    for (const n of this.liveNodes()) {
      const stopped = n.replica!.stop().catch((err: unknown) => {
        this.fatal.push(`node-${n.id} stop: ${String(err)}`);
      });
      await this.await(stopped, 5_000, `node-${n.id} stop`);
    }
  }
}
