/**
 * RawNode: the driver's handle on the Raft core (etcd's RawNode). The driver loop is:
 *   tick()/step()/propose()/... as events arrive;
 *   if (hasReady()) { rd = ready(); persist rd.snapshot, rd.entries, rd.hardState (fsync if mustSync) and
 *   mirror them into the MemoryRaftLog; send rd.messages; apply rd.committedEntries (calling
 *   applyConfChange for 'conf' entries); serve rd.readStates once applied >= their index; advance(rd) }
 * One Ready at a time: hasReady() is false until the outstanding Ready has been advanced.
 */
import { assert } from '../platform/assert.js';
import { isStrataError } from '../platform/errors.js';
import type { Random } from '../platform/random.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import {
  type ConfChange,
  type ConfState,
  type HardState,
  type Message,
  type NodeId,
  type Progress,
  type RaftConfig,
  type RaftLogReader,
  type RaftStatus,
  type Ready,
  type SoftState,
} from './types.js';
import { Raft } from './raft.js';
import { makeMessage } from './messages.js';
import { encodeConfChange } from './conf-change-codec.js';
import { encodeDropReason } from './drop-reason.js';
import { notLeader } from './follower.js';
import { ownAppendPersisted } from './leader.js';

export interface RawNodeOptions {
  config: RaftConfig;
  /** The in-memory mirror of the durable log (raft/memory-log.ts MemoryRaftLog). */
  log: RaftLogReader;
  random: Random;
  logger?: Logger;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export class RawNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private outstanding: Ready | undefined;

  constructor(options: RawNodeOptions) {
    const logger = (options.logger ?? silentLogger).child({ component: 'raft', node: options.config.id });
    this.raft = new Raft({ config: options.config, log: options.log, random: options.random, logger });
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  /** One logical clock tick (the runtime calls it every heartbeat_interval / heartbeatTicks). */
  tick(): void {
    this.raft.tick();
  }

  /** Start an election now (pre-vote first when enabled). */
  campaign(): void {
    this.raft.step(makeMessage({ type: 'hup', from: this.raft.id, to: this.raft.id }));
  }

  /** Propose a command. Throws StrataError('NotLeader' | 'ProposalDropped') when it cannot be taken. On a follower it is forwarded to the leader. */
  propose(data: Uint8Array): void {
    this.raft.step(
      makeMessage({
        type: 'prop',
        from: this.raft.id,
        to: this.raft.id,
        entries: [{ term: 0, index: 0, type: 'normal', data }],
      }),
    );
  }

  /** Propose a membership change (leader only; one at a time). Throws StrataError('ProposalDropped') when refused. */
  proposeConfChange(change: ConfChange): void {
    if (this.raft.state !== 'leader') throw notLeader(this.raft.lead);
    this.raft.step(
      makeMessage({
        type: 'prop',
        from: this.raft.id,
        to: this.raft.id,
        entries: [{ term: 0, index: 0, type: 'conf', data: encodeConfChange(change) }],
      }),
    );
  }

  /** Called by the driver when a 'conf' entry is applied; returns the new configuration. */
  applyConfChange(change: ConfChange): ConfState {
    return this.raft.applyConfChange(change);
  }

  /** Feed a message from a peer or a local message (unreachable, snapStatus, ...). */
  step(message: Message): void {
    try {
      this.raft.step(message);
    } catch (err) {
      if (message.from !== this.raft.id && message.type === 'prop' && isStrataError(err)) {
        // A forwarded proposal goes back to its proposer with the reason: it never entered a log here,
        // so the proposer may propose it again at once instead of timing out.
        this.raft.send({ type: 'propDropped', to: message.from, entries: message.entries, context: encodeDropReason(err) });
        return;
      }
      // A read forwarded by a peer cannot be refused to anyone: its reader times out.
      if (message.from !== this.raft.id && message.type === 'readIndex' && isStrataError(err)) return;
      throw err;
    }
  }

  hasReady(): boolean {
    if (this.outstanding !== undefined) return false;
    const r = this.raft;
    if (r.hasPendingBroadcast() || r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.log.hasUnstableEntries() || r.log.hasPendingSnapshot() || r.log.hasNextEntries()) return true;
    if (!sameHardState(r.hardState(), this.prevHardState)) return true;
    const soft = r.softState();
    return soft.leader !== this.prevSoftState.leader || soft.role !== this.prevSoftState.role;
  }

  ready(): Ready {
    assert(this.outstanding === undefined, 'advance() the previous Ready before asking for another');
    const r = this.raft;
    r.flushBroadcast();
    const entries = r.log.unstableEntries();
    const rd: Ready = {
      entries,
      committedEntries: r.log.nextEntries(),
      messages: r.msgs,
      readStates: r.readStates,
      mustSync: entries.length > 0,
    };
    r.msgs = [];
    r.readStates = [];
    const soft = r.softState();
    if (soft.leader !== this.prevSoftState.leader || soft.role !== this.prevSoftState.role) {
      rd.softState = soft;
      this.prevSoftState = soft;
    }
    const hard = r.hardState();
    if (!sameHardState(hard, this.prevHardState)) {
      rd.hardState = hard;
      // A new term or vote must be on disk before any message leaves; a new commit index need not.
      if (hard.term !== this.prevHardState.term || hard.vote !== this.prevHardState.vote) rd.mustSync = true;
    }
    const snapshot = r.log.unstable.snapshot;
    if (snapshot !== undefined) {
      rd.snapshot = snapshot;
      rd.mustSync = true;
    }
    this.outstanding = rd;
    return rd;
  }

  /** The driver has persisted, sent and applied everything in `ready`. */
  advance(ready: Ready): void {
    assert(ready === this.outstanding, 'advance() must be given the outstanding Ready');
    this.outstanding = undefined;
    const r = this.raft;
    if (ready.hardState !== undefined) this.prevHardState = ready.hardState;
    const n = ready.entries.length;
    if (n > 0) {
      r.log.stableTo(ready.entries[n - 1].index, ready.entries[n - 1].term);
      if (r.state === 'leader') ownAppendPersisted(r, ready.entries[n - 1].index);
    }
    let applied = 0;
    if (ready.snapshot !== undefined) {
      r.log.stableSnapTo(ready.snapshot.metadata.index);
      applied = ready.snapshot.metadata.index;
    }
    const c = ready.committedEntries.length;
    if (c > 0) applied = Math.max(applied, ready.committedEntries[c - 1].index);
    r.log.appliedTo(applied);
    if (r.state === 'leader') r.reduceUncommittedSize(ready.committedEntries);
  }

  /** Ask for a linearizable read; a ReadState with this context appears in a later Ready. */
  readIndex(context: Uint8Array): void {
    this.raft.step(makeMessage({ type: 'readIndex', from: this.raft.id, to: this.raft.id, context }));
  }

  /** Move leadership to `to` (must be an up-to-date voter). */
  transferLeadership(to: NodeId): void {
    this.raft.step(makeMessage({ type: 'transferLeader', from: to, to: this.raft.id }));
  }

  reportUnreachable(peer: NodeId): void {
    this.raft.step(makeMessage({ type: 'unreachable', from: peer, to: this.raft.id }));
  }

  reportSnapshot(peer: NodeId, ok: boolean): void {
    this.raft.step(makeMessage({ type: 'snapStatus', from: peer, to: this.raft.id, reject: !ok }));
  }

  status(): RaftStatus {
    const r = this.raft;
    const status: RaftStatus = {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      conf: r.confState(),
      leadTransferee: r.leadTransferee,
    };
    if (r.state === 'leader') {
      const progress: Record<NodeId, Progress> = {};
      for (const [id, pr] of r.prs) progress[id] = pr.toStatus();
      status.progress = progress;
    }
    return status;
  }
}

