import { assert } from '../platform/assert.js';
import { StrataError, isStrataError } from '../platform/errors.js';
import type { TimerHandle } from '../platform/clock.js';
import type { JoinRequest, JoinResponse, PeerAddress, TransportHandler } from '../ports/transport.js';
import type { SnapshotCapture } from '../ports/state-machine.js';
import { decodeConfChange } from '../raft/conf-change-codec.js';
import { decodeDropReason } from '../raft/drop-reason.js';
import { MemoryRaftLog } from '../raft/memory-log.js';
import { RawNode } from '../raft/raw-node.js';
import { NONE, type ConfChange, type ConfState, type Entry, type Message, type NodeId, type RaftStatus, type Ready, type Snapshot, type SnapshotMetadata } from '../raft/types.js';
import { newIncarnation, unwrapCommand, wrapCommand, type ProposalId } from './command-envelope.js';
import { decodeMemberContext, encodeMemberContext } from './member-context.js';
import { ConfChangeWaiters } from './conf-change-waiters.js';
import { LeaderWait, waitsForLeader } from './leader-wait.js';
import { ProposalTracker } from './proposal-tracker.js';
import { snapshotDue, snapshotPhase } from './snapshot-schedule.js';
import { ReadIndexBatcher } from './read-index-batcher.js';
import { ReplicaMetrics } from './replica-metrics.js';
import { resolveReplicaOptions, type ReplicaOptions, type ReplicaOptionsInput } from './replica-options.js';
import type { Clock } from '../platform/clock.js';
import type { Random } from '../platform/random.js';

/** The in-memory log's copy of a snapshot taken locally: its bytes are only ever on disk. */
const EMPTY_SNAPSHOT_DATA = new Uint8Array(0);

export interface ReplicaStatus {
  nodeId: NodeId;
  clusterId: string;
  applied: number;
  /** The newest snapshot in the log (taken here or received from the leader). */
  snapshotIndex: number;
  raft: RaftStatus;
  members: PeerAddress[];
}

/**
 * One node's seat in the metadata Raft group: the driver loop around the pure core
 * (persist -> send -> apply -> advance), proposal futures, linearizable reads, snapshots, joins and
 * membership. Everything it touches comes in through ports, so the simulator runs the same code.
 */
export class Replica {
  private node!: RawNode;
  private readonly log = new MemoryRaftLog();
  private readonly proposals: ProposalTracker;
  private readonly reads: ReadIndexBatcher;
  private readonly confWaiters: ConfChangeWaiters;
  private readonly leaderWait: LeaderWait;
  private readonly metrics: ReplicaMetrics;
  private clusterIdValue: string;
  private applied = 0;
  private leader: NodeId = NONE;
  private ticker?: TimerHandle;
  private stopped = false;
  private removed = false;
  /** The snapshot being serialized and saved in the background, if any. */
  private snapshotting: Promise<void> | undefined;
  private readonly snapshotAbort = new AbortController();
  private wake?: () => void;
  private loopDone?: Promise<void>;
  private ticks = 0;
  /** When a message from each peer last arrived: this node's view of who is online. */
  private readonly lastHeardMs = new Map<NodeId, number>();

  private constructor(private readonly options: ReplicaOptions) {
    this.clusterIdValue = options.clusterId;
    // Proposal ids and read contexts outlive this process (in the log, in flight to and from the
    // leader); the incarnation keeps those of an earlier process of this node from answering ours.
    const incarnation = newIncarnation(options.random);
    this.proposals = new ProposalTracker(options.clock, { nodeId: options.nodeId, incarnation });
    this.confWaiters = new ConfChangeWaiters(options.clock);
    this.leaderWait = new LeaderWait(options.clock);
    this.metrics = new ReplicaMetrics(options.metrics);
    this.reads = new ReadIndexBatcher({
      clock: options.clock,
      nodeId: options.nodeId,
      incarnation,
      timeoutMs: options.readTimeoutMs,
      retryAfterMs: options.raft.tickMs * options.raft.electionTicks,
      leaderWaitMs: options.leaderWaitMs,
      requestReadIndex: (context) => this.node.readIndex(context),
    });
  }

  /** Load the node's log, start its transport, its ticks and its driver loop. */
  static async open(input: ReplicaOptionsInput & { clock: Clock; random: Random }): Promise<Replica> {
    const replica = new Replica(resolveReplicaOptions(input));
    await replica.load();
    await replica.options.transport.start(replica.transportHandler());
    replica.ticker = replica.options.clock.setInterval(() => replica.onTick(), replica.options.raft.tickMs);
    replica.loopDone = replica.runLoop();
    return replica;
  }

  get nodeId(): NodeId {
    return this.options.nodeId;
  }

  get clusterId(): string {
    return this.clusterIdValue;
  }

  /** True once the node has a log: it was bootstrapped, joined, or restarted with data. */
  get initialized(): boolean {
    return this.log.lastIndex() > 0;
  }

  /** Start a new single-node cluster: a bootstrap snapshot at index 1 holding the cluster ID and this node. */
  async bootstrap(): Promise<string> {
    if (this.initialized) throw new StrataError('InvalidArgument', `node-${this.nodeId} already has data of cluster ${this.clusterIdValue}`);
    const { stateMachine, random, nodeId, selfAddress } = this.options;
    const clusterId = randomHex(random, 16);
    stateMachine.bootstrap(clusterId, { id: nodeId, address: selfAddress, zone: this.options.zone, adminUrl: this.options.adminUrl });
    const snapshot: Snapshot = {
      metadata: { index: 1, term: 1, conf: { voters: [nodeId], learners: [] } },
      data: stateMachine.snapshot(),
    };
    const hardState = { term: 1, vote: NONE, commit: 1 };
    await this.options.logStore.save({ snapshot, hardState, entries: [] }, true);
    this.log.applySnapshot(snapshot);
    this.log.setHardState(hardState);
    this.applied = 1;
    this.setClusterId(clusterId);
    this.node = this.newRawNode();
    this.node.campaign();
    this.kick();
    return clusterId;
  }

  /** Join an existing cluster through any of its members (retried while the answer is retryable). */
  async joinCluster(seedAddress: string, timeoutMs = 60_000): Promise<string> {
    const { clock, transport, nodeId, selfAddress } = this.options;
    const deadline = clock.nowMs() + timeoutMs;
    let delayMs = 100;
    for (;;) {
      try {
        const response = await transport.join(seedAddress, { nodeId, address: selfAddress, clusterId: this.clusterIdValue, zone: this.options.zone, adminUrl: this.options.adminUrl });
        this.setClusterId(response.clusterId);
        for (const peer of response.members) if (peer.id !== nodeId) transport.setPeer(peer);
        return response.clusterId;
      } catch (err) {
        const retryable = !isStrataError(err) || err.retryable;
        if (!retryable || clock.nowMs() + delayMs > deadline) throw err;
        this.options.logger.info({ err: String(err), seedAddress }, 'join not accepted yet; retrying');
        await sleep(clock, delayMs);
        delayMs = Math.min(delayMs * 2, 2_000);
      }
    }
  }

  /** Replicate a command; resolves with the state machine's result once applied on this node. */
  async propose(command: Uint8Array): Promise<unknown> {
    this.assertRunning();
    const startedMs = this.options.clock.nowMs();
    const { id, done } = this.proposals.register(this.options.proposalTimeoutMs);
    void this.submitProposal(id, wrapCommand(id, command), startedMs + this.options.leaderWaitMs);
    try {
      return await done;
    } finally {
      this.metrics.observeOperation('propose', this.options.clock.nowMs() - startedMs);
    }
  }

  /**
   * Hands a proposal to Raft. A refusal that a leader will lift (none known for a moment, a transfer)
   * is retried when a leader is learned or every tick, until `untilMs`; then the proposal fails with it.
   */
  private async submitProposal(id: ProposalId, entry: Uint8Array, untilMs: number): Promise<void> {
    for (;;) {
      if (this.stopped) return; // stop() has failed every pending proposal
      try {
        this.node.propose(entry);
        this.kick();
        return;
      } catch (err) {
        const leftMs = untilMs - this.options.clock.nowMs();
        if (!waitsForLeader(err) || leftMs <= 0) {
          this.proposals.reject(id, this.withLeaderHint(err));
          return;
        }
        await this.leaderWait.wait(Math.min(this.options.raft.tickMs, leftMs));
      }
    }
  }

  /**
   * A node we forwarded proposals to refused them (a leadership transfer, no leader known there, too
   * many uncommitted bytes): they entered no log, so each is proposed again under a fresh id after a
   * tick (or as soon as a leader is learned), within the usual leader wait; a refusal that waiting
   * cannot lift fails its proposal now. Without this the proposer waited for its timeout (10 s) and
   * answered "it may still take effect" for an entry that never existed.
   */
  private proposalsDropped(message: Message): void {
    const reason = decodeDropReason(message.context);
    for (const entry of message.entries) {
      if (entry.type !== 'normal') continue;
      const command = unwrapCommand(entry.data);
      if (command === undefined) continue;
      const id = this.proposals.renew(command.id);
      if (id === undefined) continue; // not ours, answered, timed out, or a duplicate of an earlier refusal
      if (!waitsForLeader(reason)) {
        this.proposals.reject(id, reason);
        continue;
      }
      const untilMs = this.options.clock.nowMs() + this.options.leaderWaitMs;
      void this.leaderWait.wait(this.options.raft.tickMs).then(() => this.submitProposal(id, wrapCommand(id, command.payload), untilMs));
    }
  }

  /** Resolves once this node's state machine reflects every write committed before the call (ReadIndex). */
  async linearizableRead(): Promise<void> {
    this.assertRunning();
    const startedMs = this.options.clock.nowMs();
    const done = this.reads.read();
    this.kick();
    try {
      await done;
    } finally {
      this.metrics.observeOperation('read', this.options.clock.nowMs() - startedMs);
    }
  }

  /** Remove a member (leader only); resolves once the change is applied here. */
  async removeNode(id: NodeId): Promise<void> {
    this.assertLeader();
    if (!this.options.stateMachine.members().some((m) => m.id === id)) {
      throw new StrataError('NotFound', `node-${id} is not a member of the cluster`);
    }
    await this.proposeConfChange({ type: 'remove', nodeId: id });
  }

  /** Hand leadership to `to` (or the most caught-up other voter); resolves with the new leader. */
  async transferLeadership(to?: NodeId): Promise<NodeId> {
    this.assertLeader();
    const status = this.node.status();
    const target = to ?? pickTransferTarget(status);
    if (target === undefined) throw new StrataError('InvalidArgument', 'no other voter to transfer leadership to');
    if (!status.conf.voters.includes(target)) throw new StrataError('InvalidArgument', `node-${target} is not a voter`);
    this.node.transferLeadership(target);
    this.kick();
    const deadline = this.options.clock.nowMs() + this.options.raft.tickMs * this.options.raft.electionTicks * 4;
    while (this.options.clock.nowMs() < deadline) {
      if (this.leader !== NONE && this.leader !== this.nodeId) return this.leader;
      await sleep(this.options.clock, this.options.raft.tickMs);
    }
    throw new StrataError('Timeout', `leadership did not move to node-${target}`, { retryable: true });
  }

  status(): ReplicaStatus {
    return {
      nodeId: this.nodeId,
      clusterId: this.clusterIdValue,
      applied: this.applied,
      snapshotIndex: this.log.snapshot().metadata.index,
      raft: this.node.status(),
      members: this.options.stateMachine.members(),
    };
  }

  /**
   * Where the state machine stands: the applied index, its term and the Raft configuration in force
   * there. Read it in the same synchronous step as the state machine's snapshot() and the two agree
   * (metadata backups rely on this).
   */
  appliedPoint(): { index: number; term: number; conf: ConfState } {
    const conf = this.node.status().conf;
    return { index: this.applied, term: this.log.term(this.applied), conf: { voters: [...conf.voters], learners: [...conf.learners] } };
  }

  get leaderId(): NodeId {
    return this.leader;
  }

  get isRemoved(): boolean {
    return this.removed;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ticker?.cancel();
    this.kick();
    await this.loopDone;
    this.snapshotAbort.abort(new StrataError('Stopped', `node-${this.nodeId} is stopping`));
    await this.snapshotting;
    const err = new StrataError('Stopped', `node-${this.nodeId} is stopping`, { retryable: true });
    this.proposals.rejectAll(err);
    this.reads.failAll(err);
    this.confWaiters.rejectAll(err);
    this.leaderWait.wake();
    await this.options.transport.stop();
    await this.options.logStore.close();
  }

  // ---- loading and the driver loop ----

  private async load(): Promise<void> {
    const persisted = await this.options.logStore.load();
    if (persisted.snapshot) {
      this.log.applySnapshot(persisted.snapshot);
      this.options.stateMachine.restore(persisted.snapshot.data);
      this.applied = persisted.snapshot.metadata.index;
      this.log.releaseSnapshotData(this.applied);
    }
    this.log.setHardState(persisted.hardState);
    if (persisted.entries.length > 0) this.log.append(persisted.entries);
    const clusterId = this.options.stateMachine.clusterId();
    if (clusterId !== '') this.setClusterId(clusterId);
    this.syncPeers();
    this.node = this.newRawNode();
  }

  private newRawNode(): RawNode {
    const { raft, nodeId, random, logger } = this.options;
    return new RawNode({
      config: {
        id: nodeId,
        electionTicks: raft.electionTicks,
        electionTicksMax: raft.electionTicksMax,
        heartbeatTicks: raft.heartbeatTicks,
        maxSizePerMsgBytes: raft.maxSizePerMsgBytes,
        maxInflightMsgs: raft.maxInflightMsgs,
        maxUncommittedEntriesBytes: raft.maxUncommittedEntriesBytes,
        preVote: raft.preVote,
        checkQuorum: raft.checkQuorum,
        applied: this.applied,
      },
      log: this.log,
      random,
      logger: logger.child({ component: 'raft' }),
    });
  }

  private async runLoop(): Promise<void> {
    try {
      while (!this.stopped) {
        this.reads.flush();
        if (!this.node.hasReady()) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          continue;
        }
        await this.handleReady(this.node.ready());
      }
    } catch (err) {
      this.options.logger.error({ err }, 'the Raft driver loop failed; stopping the node');
      this.stopped = true;
      this.options.onFatal(err);
    }
  }

  private async handleReady(ready: Ready): Promise<void> {
    if (ready.softState) this.onSoftState(ready.softState.leader, ready.softState.role === 'leader');
    if (ready.hardState) this.metrics.term.set(ready.hardState.term);

    // Messages that depend on nothing this Ready persists go out before the fsync: a leader's appends
    // and heartbeats (Raft thesis 10.2.1: the core counts the leader's own copy only after advance(),
    // so nothing commits on an unpersisted leader copy) and any node's forwarded proposals and read
    // requests. Votes and acknowledgements still wait for the fsync.
    let messages = ready.messages;
    if (messages.length > 0) {
      const isLeader = this.leader === this.nodeId;
      const sendsEarly = (m: Message) => isForwardedRequest(m) || (isLeader && isLeaderReplication(m));
      const early = messages.filter(sendsEarly);
      if (early.length > 0) {
        this.send(early);
        messages = messages.filter((m) => !sendsEarly(m));
      }
    }

    // Committed entries were persisted by an earlier Ready (the core's rule), so unless a snapshot
    // must be installed first they are applied while this Ready's own writes are on their way to disk.
    const applyFirst = ready.snapshot === undefined;
    let persisting: Promise<void> | undefined;
    const startedMs = this.options.clock.nowMs();
    if (ready.snapshot || ready.entries.length > 0 || ready.hardState) {
      persisting = this.options.logStore.save({ hardState: ready.hardState, entries: ready.entries, snapshot: ready.snapshot }, ready.mustSync);
    }
    if (applyFirst) this.applyCommitted(ready);
    if (persisting) {
      await persisting;
      this.metrics.persistSeconds.observe((this.options.clock.nowMs() - startedMs) / 1000);
    }
    if (ready.snapshot) {
      this.installSnapshot(ready.snapshot);
      this.log.releaseSnapshotData(ready.snapshot.metadata.index);
    }
    if (ready.hardState) this.log.setHardState(ready.hardState);
    if (ready.entries.length > 0) this.log.append(ready.entries);

    if (messages.length > 0) this.send(messages);

    if (!applyFirst) this.applyCommitted(ready);
    this.node.advance(ready);
    this.maybeSnapshot();
  }

  private applyCommitted(ready: Ready): void {
    for (const entry of ready.committedEntries) this.applyEntry(entry);
    for (const readState of ready.readStates) this.reads.confirmed(readState.requestCtx, readState.index);
    this.reads.applied(this.applied);
  }

  private installSnapshot(snapshot: Snapshot): void {
    this.log.applySnapshot(snapshot);
    this.options.stateMachine.restore(snapshot.data);
    this.applied = snapshot.metadata.index;
    const clusterId = this.options.stateMachine.clusterId();
    if (clusterId !== '' && clusterId !== this.clusterIdValue) this.setClusterId(clusterId);
    this.syncPeers();
    this.options.logger.info({ index: snapshot.metadata.index, term: snapshot.metadata.term }, 'installed a snapshot');
  }

  private applyEntry(entry: Entry): void {
    if (entry.index <= this.applied) return;
    if (entry.type === 'conf') {
      this.applyConfEntry(entry);
    } else if (entry.data.length > 0) {
      const command = unwrapCommand(entry.data);
      assert(command, () => `entry ${entry.index} has no proposal header`);
      const result = this.options.stateMachine.apply(entry.index, command.payload);
      // Only a proposal of this very process is answered: the same node before a restart used the same
      // sequence numbers, and its entries can be applied long after it died.
      const tookMs = this.proposals.resolve(command.id, result);
      if (tookMs !== undefined) this.metrics.proposalSeconds.observe(tookMs / 1000);
    }
    this.applied = entry.index;
  }

  private applyConfEntry(entry: Entry): void {
    const change = decodeConfChange(entry.data);
    const conf = this.node.applyConfChange(change);
    const member = decodeMemberContext(change.context);
    const address = member?.address;
    this.options.stateMachine.applyMembership(entry.index, { type: change.type, nodeId: change.nodeId, address, zone: member?.zone, adminUrl: member?.adminUrl });
    if (change.type === 'remove') {
      if (change.nodeId === this.nodeId) {
        this.removed = true;
        this.options.logger.warn('this node was removed from the cluster');
      } else {
        this.options.transport.removePeer(change.nodeId);
      }
    } else if (address && change.nodeId !== this.nodeId) {
      this.options.transport.setPeer({ id: change.nodeId, address });
    }
    this.confWaiters.applied(change);
    this.options.logger.info({ change: { type: change.type, nodeId: change.nodeId, address }, conf }, 'membership changed');
  }

  /**
   * Every snapshotEveryEntries applied entries, a snapshot is taken in the background: the state is
   * captured at the applied index now, then serialized and saved while the loop goes on (one at a time).
   * Holding the loop for it stalled a node with a big state for a second and cost a leader its quorum.
   * Each node's snapshot indexes are shifted by its own phase (snapshot-schedule.ts), so nodes take
   * theirs at different times.
   */
  private maybeSnapshot(): void {
    if (this.snapshotting || this.stopped) return;
    const every = this.options.snapshotEveryEntries;
    if (!snapshotDue(this.applied, this.log.snapshot().metadata.index, every, snapshotPhase(this.nodeId, every))) return;
    const index = this.applied;
    const conf = this.node.status().conf;
    const metadata: SnapshotMetadata = { index, term: this.log.term(index), conf: { voters: [...conf.voters], learners: [...conf.learners] } };
    const capture = this.options.stateMachine.captureSnapshot();
    this.snapshotting = this.takeSnapshot(metadata, capture)
      .catch((err: unknown) => {
        if (this.stopped) return;
        this.options.logger.error({ err, index }, 'taking a snapshot failed; stopping the node');
        this.stopped = true;
        this.kick();
        this.options.onFatal(err);
      })
      .finally(() => (this.snapshotting = undefined));
  }

  /**
   * Streams the captured state into the log store (never whole in memory: 0018), then makes it the
   * in-memory log's snapshot, already released: a follower that needs it gets it read back from disk.
   */
  private async takeSnapshot(metadata: SnapshotMetadata, capture: SnapshotCapture): Promise<void> {
    const { keepEntriesAfterSnapshot, logStore, clock } = this.options;
    const { index, conf } = metadata;
    const startedMs = clock.nowMs();
    let bytes = 0;
    await logStore.saveSnapshot(metadata, async (out) => (bytes = await capture.writeTo(out, this.snapshotAbort.signal)));
    // A leader's snapshot installed meanwhile covers this one (and replaced the log it was cut from).
    if (this.stopped || this.log.snapshot().metadata.index >= index) return;
    this.log.createSnapshot(index, conf, EMPTY_SNAPSHOT_DATA);
    this.log.releaseSnapshotData(index);
    const compactTo = Math.min(index, this.applied - keepEntriesAfterSnapshot);
    if (!this.stopped && compactTo >= this.log.firstIndex() && this.log.snapshot().metadata.index === index) {
      this.log.compact(compactTo);
      await logStore.compact(compactTo);
    }
    this.options.logger.info({ index, bytes, ms: Math.round(clock.nowMs() - startedMs) }, 'took a snapshot');
  }

  /** Hands messages to the transport; a snapshot whose bytes were released is read back from disk first. */
  private send(messages: Message[]): void {
    const released = (m: Message): boolean => m.type === 'snap' && m.snapshot?.released === true;
    const now = messages.filter((m) => !released(m));
    if (now.length > 0) this.options.transport.send(now);
    for (const m of messages) if (released(m)) void this.sendStoredSnapshot(m);
  }

  private async sendStoredSnapshot(message: Message): Promise<void> {
    const index = message.snapshot!.metadata.index;
    try {
      const stored = await this.options.logStore.readSnapshot();
      if (this.stopped) return;
      if (stored?.metadata.index !== index) throw new StrataError('Conflict', `the stored snapshot is at ${stored?.metadata.index ?? 'none'} now`);
      this.options.transport.send([{ ...message, snapshot: stored }]);
    } catch (err) {
      if (this.stopped) return;
      // The core sends the then-current snapshot again later, as after a failed transfer.
      this.options.logger.info({ to: message.to, index, err: (err as Error).message }, 'could not read the snapshot back to send it; retrying later');
      this.node.reportSnapshot(message.to, false);
      this.kick();
    }
  }

  private onSoftState(leader: NodeId, isLeader: boolean): void {
    if (leader !== this.leader) {
      this.options.logger.info({ leader, previous: this.leader }, leader === NONE ? 'leader lost' : 'leader elected');
      this.leader = leader;
      this.reads.leaderChanged();
      if (leader !== NONE) this.leaderWait.wake();
    }
    this.metrics.isLeader.set(isLeader ? 1 : 0);
  }

  private onTick(): void {
    if (this.stopped) return;
    this.node.tick();
    this.ticks++;
    this.metrics.nodesTotal.set(this.options.stateMachine.members().length);
    this.metrics.nodesOnline.set(this.onlineMembers().length);
    if (this.ticks % this.options.raft.heartbeatTicks === 0) this.promoteCaughtUpLearners();
    this.kick();
  }

  /**
   * Members this node heard from within an election timeout, itself included. On the leader that is
   * every live member (they all answer its heartbeats); a follower mostly hears from the leader.
   */
  onlineMembers(): NodeId[] {
    const horizonMs = this.options.clock.nowMs() - this.options.raft.tickMs * this.options.raft.electionTicks;
    return this.options.stateMachine
      .members()
      .map((m) => m.id)
      .filter((id) => id === this.nodeId || (this.lastHeardMs.get(id) ?? -Infinity) >= horizonMs);
  }

  /** On the leader: promote caught-up learners while there is room for voters. */
  private promoteCaughtUpLearners(): void {
    if (this.leader !== this.nodeId) return;
    const status = this.node.status();
    const progress = status.progress ?? {};
    if (status.conf.voters.length >= this.options.maxVoters) return;
    for (const learner of status.conf.learners) {
      const p = progress[learner];
      if (p && p.recentActive && p.match + this.options.learnerCatchUpEntries >= status.lastIndex) {
        try {
          this.node.proposeConfChange({ type: 'promote', nodeId: learner });
          this.options.logger.info({ nodeId: learner, match: p.match }, 'promoting a caught-up learner to voter');
        } catch (err) {
          if (!isStrataError(err)) throw err;
        }
        return;
      }
    }
  }

  private transportHandler(): TransportHandler {
    return {
      onMessages: (messages: Message[]) => {
        if (this.stopped) return;
        const now = this.options.clock.nowMs();
        for (const message of messages) {
          this.lastHeardMs.set(message.from, now);
          if (message.type === 'propDropped') {
            this.proposalsDropped(message);
            continue;
          }
          try {
            this.node.step(message);
          } catch (err) {
            if (!isStrataError(err)) throw err;
          }
        }
        this.kick();
      },
      onUnreachable: (peer) => {
        if (this.stopped) return;
        this.node.reportUnreachable(peer);
        this.kick();
      },
      onSnapshotStatus: (peer, ok) => {
        if (this.stopped) return;
        this.node.reportSnapshot(peer, ok);
        this.kick();
      },
      onJoin: (request) => this.handleJoin(request),
    };
  }

  private async handleJoin(request: JoinRequest): Promise<JoinResponse> {
    this.assertRunning();
    if (request.clusterId !== '' && this.clusterIdValue !== '' && request.clusterId !== this.clusterIdValue) {
      throw new StrataError('ClusterMismatch', `node-${request.nodeId} belongs to cluster ${request.clusterId}, this is cluster ${this.clusterIdValue}`);
    }
    if (this.leader !== this.nodeId) {
      const leaderAddress = this.options.stateMachine.members().find((m) => m.id === this.leader)?.address;
      if (this.leader === NONE || !leaderAddress) throw new StrataError('NoLeader', 'the cluster has no leader right now', { retryable: true });
      return this.options.transport.join(leaderAddress, request);
    }
    const members = this.options.stateMachine.members();
    const existing = members.find((m) => m.id === request.nodeId);
    if (existing && existing.address !== request.address) {
      throw new StrataError('DuplicateNodeId', `node-${request.nodeId} is already a member at ${existing.address}; pick another --node-id`);
    }
    const sameAddress = members.find((m) => m.address === request.address && m.id !== request.nodeId);
    if (sameAddress) {
      throw new StrataError('AlreadyExists', `address ${request.address} already belongs to node-${sameAddress.id}`);
    }
    if (!existing) {
      await this.proposeConfChange({
        type: 'addLearner',
        nodeId: request.nodeId,
        context: encodeMemberContext({ address: request.address, zone: request.zone, adminUrl: request.adminUrl }),
      });
    }
    return { clusterId: this.clusterIdValue, members: this.options.stateMachine.members() };
  }

  private async proposeConfChange(change: ConfChange): Promise<void> {
    const done = this.confWaiters.register(change, this.options.proposalTimeoutMs);
    try {
      this.node.proposeConfChange(change);
    } catch (err) {
      this.confWaiters.reject(change, this.withLeaderHint(err));
    }
    this.kick();
    await done;
  }

  // ---- helpers ----

  private setClusterId(clusterId: string): void {
    this.clusterIdValue = clusterId;
    this.options.transport.setClusterId(clusterId);
  }

  private syncPeers(): void {
    for (const member of this.options.stateMachine.members()) {
      if (member.id !== this.nodeId && member.address) this.options.transport.setPeer(member);
    }
  }

  private kick(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private assertRunning(): void {
    if (this.stopped) throw new StrataError('Stopped', `node-${this.nodeId} is stopped`, { retryable: true });
  }

  private assertLeader(): void {
    this.assertRunning();
    if (this.leader !== this.nodeId) throw this.withLeaderHint(new StrataError('NotLeader', `node-${this.nodeId} is not the leader`, { retryable: true }));
  }

  /** NotLeader errors name the leader (id and cluster address) so clients can go there directly. */
  private withLeaderHint(err: unknown): unknown {
    if (!isStrataError(err, 'NotLeader')) return err;
    const leaderAddress = this.options.stateMachine.members().find((m) => m.id === this.leader)?.address;
    return new StrataError('NotLeader', this.leader === NONE ? 'no leader is known right now' : `node-${this.leader} is the leader`, {
      retryable: true,
      cause: err.cause,
      details: { leaderId: this.leader, leaderAddress },
    });
  }
}

function isLeaderReplication(message: Message): boolean {
  return message.type === 'app' || message.type === 'heartbeat';
}

/** A proposal or read request a follower forwards to the leader, or a refused one going back: no persisted state. */
function isForwardedRequest(message: Message): boolean {
  return message.type === 'prop' || message.type === 'readIndex' || message.type === 'propDropped';
}

function pickTransferTarget(status: RaftStatus): NodeId | undefined {
  let best: NodeId | undefined;
  let bestMatch = -1;
  for (const voter of status.conf.voters) {
    if (voter === status.id) continue;
    const match = status.progress?.[voter]?.match ?? 0;
    if (match > bestMatch) {
      best = voter;
      bestMatch = match;
    }
  }
  return best;
}

function randomHex(random: Random, bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i++) out += random.int(256).toString(16).padStart(2, '0');
  return out;
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
