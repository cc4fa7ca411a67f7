/**
 * The state of one Raft peer and the transitions shared by every role: terms and votes, role changes,
 * elections, appending and committing, sending appends/heartbeats, and membership. The per-role message
 * handling lives in leader.ts and follower.ts; raft.ts dispatches to them. Mirrors etcd's raft.go.
 */
import { assert } from '../platform/assert.js';
import { StrataError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { Random } from '../platform/random.js';
import {
  NONE,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type RaftConfig,
  type RaftLogReader,
  type ReadState,
  type Role,
  type SoftState,
} from './types.js';
import { RaftLog } from './raft-log.js';
import { PeerProgress } from './progress.js';
import { ReadOnly } from './read-only.js';
import { committedIndex } from './quorum.js';
import { carriesOwnTerm, isTermless, makeMessage, type MessageFields } from './messages.js';
import { payloadSizeBytes } from './entry-size.js';
import { decodeConfChange } from './conf-change-codec.js';
import { validateRaftConfig } from './raft-config.js';
import { applyToConf, refuseChange } from './membership.js';

export type RaftStateType = 'follower' | 'candidate' | 'preCandidate' | 'leader';

export interface RaftCoreOptions {
  config: RaftConfig;
  log: RaftLogReader;
  random: Random;
  logger: Logger;
}

export class RaftCore {
  readonly id: NodeId;
  readonly config: RaftConfig;
  readonly log: RaftLog;
  readonly random: Random;
  readonly logger: Logger;

  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  state: RaftStateType = 'follower';

  /** Progress of every member (voters and learners, self included); meaningful on the leader. */
  readonly prs = new Map<NodeId, PeerProgress>();
  voters: NodeId[] = [];
  learners: NodeId[] = [];
  readonly votes = new Map<NodeId, boolean>();

  msgs: Message[] = [];
  readStates: ReadState[] = [];

  leadTransferee: NodeId = NONE;
  /** Index of the newest conf entry in the log; no new change until it is applied. */
  pendingConfIndex = 0;
  uncommittedSize = 0;
  readOnly = new ReadOnly();
  /** Reads that arrived before this leader committed an entry of its term. */
  pendingReadIndexMessages: Message[] = [];

  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** Proposals appended since the last broadcast: sent as one batch per follower at the next ready(). */
  pendingBroadcast = false;
  /** The commit index moved: every follower hears of it at the next ready() (one message each). */
  pendingCommitBroadcast = false;
  /** Reads are waiting for a heartbeat round: one round at the next ready() confirms all of them. */
  pendingReadHeartbeat = false;

  constructor(options: RaftCoreOptions) {
    validateRaftConfig(options.config);
    this.config = options.config;
    this.id = options.config.id;
    this.random = options.random;
    this.logger = options.logger;
    this.log = new RaftLog({ storage: options.log });
    const { hardState, conf } = options.log.initialState();
    this.setConf(conf);
    this.loadState(hardState);
    this.loadApplied(options.config.applied);
    this.becomeFollower(this.term, NONE);
  }

  private loadState(hs: HardState): void {
    const commit = Math.max(hs.commit, this.log.committed);
    assert(commit <= this.log.lastIndex(), () => `hard state commit ${commit} is past the last index ${this.log.lastIndex()}`);
    this.log.committed = commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  /**
   * Restart at `applied`: entries up to it are not handed out again, so the conf changes among them are
   * replayed here (the stored configuration is the snapshot's).
   */
  private loadApplied(applied: number): void {
    const snapIndex = this.log.firstIndex() - 1;
    if (applied <= snapIndex) return;
    assert(applied <= this.log.lastIndex(), () => `applied ${applied} is past the last index ${this.log.lastIndex()}`);
    // Applied entries were committed, even if the (unsynced) commit in the hard state lags behind.
    if (applied > this.log.committed) this.log.committed = applied;
    const entries = this.log.slice(snapIndex + 1, applied + 1, Infinity) ?? [];
    for (const e of entries) {
      if (e.type === 'conf') this.changeMembership(decodeConfChange(e.data));
    }
    this.log.appliedTo(applied);
  }

  // ---- observation -------------------------------------------------------------------------------

  role(): Role {
    if (this.state === 'follower' && this.prs.get(this.id)?.isLearner === true) return 'learner';
    return this.state;
  }

  softState(): SoftState {
    return { leader: this.lead, role: this.role() };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  confState(): ConfState {
    return { voters: [...this.voters], learners: [...this.learners] };
  }

  isVoter(id: NodeId): boolean {
    const pr = this.prs.get(id);
    return pr !== undefined && !pr.isLearner;
  }

  /** Only a voter that is not installing a snapshot may campaign. */
  promotable(): boolean {
    return this.isVoter(this.id) && !this.log.hasPendingSnapshot();
  }

  isSingleton(): boolean {
    return this.voters.length === 1 && this.voters[0] === this.id;
  }

  // ---- sending -----------------------------------------------------------------------------------

  send(fields: MessageFields): void {
    const m = makeMessage(fields);
    // Forwarded messages keep their origin (a forwarded proposal, read or transfer request).
    if (m.from === NONE) m.from = this.id;
    if (carriesOwnTerm(m.type)) {
      // Answers may carry term 0 (a fresh node rejecting a pre-vote); requests never do.
      assert(m.term !== 0 || m.type === 'voteResp' || m.type === 'preVoteResp', () => `${m.type} must carry its term`);
    } else if (!isTermless(m.type)) {
      m.term = this.term;
    }
    this.msgs.push(m);
  }

  // ---- role changes ------------------------------------------------------------------------------

  resetRandomizedElectionTimeout(): void {
    const e = this.config.electionTicks;
    const max = this.config.electionTicksMax ?? 2 * e;
    this.randomizedElectionTimeout = e + this.random.int(max - e);
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.leadTransferee = NONE;
    this.votes.clear();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.prs) pr.reset(last + 1, id === this.id ? last : 0);
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
    this.pendingBroadcast = false;
    this.pendingCommitBroadcast = false;
    this.pendingReadHeartbeat = false;
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'follower';
  }

  becomeCandidate(): void {
    assert(this.state !== 'leader', 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = 'candidate';
  }

  /** Pre-candidates change neither term nor vote: a lost pre-election leaves no trace. */
  becomePreCandidate(): void {
    assert(this.state !== 'leader', 'a leader cannot become a pre-candidate');
    this.votes.clear();
    this.lead = NONE;
    this.state = 'preCandidate';
  }

  becomeLeader(): void {
    assert(this.state === 'candidate' || this.state === 'leader', 'only a candidate becomes leader');
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'leader';
    const self = this.prs.get(this.id);
    assert(self !== undefined, 'a leader is a member');
    self.becomeReplicate();
    self.recentActive = true;
    // Conservative: entries of earlier terms may hold an unapplied conf change.
    this.pendingConfIndex = this.log.lastIndex();
    // The no-op commits the entries of earlier terms (Figure 8) and makes ReadIndex possible.
    const ok = this.appendEntry([{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }]);
    assert(ok, 'the empty entry of a new leader is always accepted');
    this.logger.info({ term: this.term }, 'became leader');
  }

  // ---- log ---------------------------------------------------------------------------------------

  /** Leader: append proposals (assigning term and index); false when the uncommitted limit refuses them. */
  appendEntry(proposed: Entry[]): boolean {
    const li = this.log.lastIndex();
    const entries = new Array<Entry>(proposed.length);
    for (let i = 0; i < proposed.length; i++) {
      const p = proposed[i];
      entries[i] = { term: this.term, index: li + 1 + i, type: p.type, data: p.data };
    }
    if (!this.increaseUncommittedSize(entries)) return false;
    // The leader's own copy counts for the commit quorum only once persisted (see ownAppendPersisted),
    // so the driver may send these entries to followers while it is still writing them.
    this.log.append(entries);
    return true;
  }

  private increaseUncommittedSize(entries: Entry[]): boolean {
    const limit = this.config.maxUncommittedEntriesBytes;
    const size = payloadSizeBytes(entries);
    // One entry is always allowed when nothing is uncommitted, however large.
    if (limit > 0 && size > 0 && this.uncommittedSize > 0 && this.uncommittedSize + size > limit) return false;
    this.uncommittedSize += size;
    return true;
  }

  reduceUncommittedSize(entries: Entry[]): void {
    if (this.uncommittedSize === 0) return;
    const size = payloadSizeBytes(entries);
    this.uncommittedSize = size > this.uncommittedSize ? 0 : this.uncommittedSize - size;
  }

  maybeCommit(): boolean {
    const index = committedIndex(this.voters, (id) => this.prs.get(id)?.match ?? 0);
    return this.log.maybeCommit(index, this.term);
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  // ---- replication (leader) ----------------------------------------------------------------------

  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Send the next append (or the snapshot, when the entries are compacted) to `to`; returns whether a
   * message went out. With sendIfEmpty false, nothing is sent when there are no new entries.
   */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const entries = this.log.entriesFrom(pr.next, this.config.maxSizePerMsgBytes);
    if (entries !== undefined && entries.length === 0 && !sendIfEmpty) return false;
    if (prevTerm === undefined || entries === undefined) {
      return this.sendSnapshot(to, pr);
    }
    this.send({ type: 'app', to, index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed });
    const n = entries.length;
    if (n > 0) {
      if (pr.state === 'replicate') {
        const last = entries[n - 1].index;
        pr.optimisticUpdate(last);
        pr.inflights.add(last);
      } else if (pr.state === 'probe') {
        pr.probeSent = true;
      }
    }
    return true;
  }

  private sendSnapshot(to: NodeId, pr: PeerProgress): boolean {
    // A peer we have not heard from lately might be down: do not push a big snapshot at it.
    if (!pr.recentActive) return false;
    const snapshot = this.log.snapshot();
    assert(snapshot.metadata.index > 0, 'entries are compacted, so a snapshot exists');
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send({ type: 'snap', to, snapshot });
    this.logger.info({ to, index: snapshot.metadata.index }, 'sending snapshot');
    return true;
  }

  /** Send to every peer, as many appends as flow control allows (one at least, to carry the commit index). */
  bcastAppend(): void {
    this.pendingBroadcast = false;
    this.pendingCommitBroadcast = false;
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      this.sendAppend(id);
      if (pr.state === 'replicate') while (this.maybeSendAppend(id, false));
    }
  }

  /** Send the entries proposed since the last broadcast (called when building a Ready). */
  flushBroadcast(): void {
    if (this.state !== 'leader') return;
    if (this.pendingCommitBroadcast) {
      this.bcastAppend();
    } else if (this.pendingBroadcast) {
      this.pendingBroadcast = false;
      for (const id of this.prs.keys()) {
        if (id === this.id) continue;
        while (this.maybeSendAppend(id, false));
      }
    }
    if (this.pendingReadHeartbeat) {
      this.pendingReadHeartbeat = false;
      this.bcastHeartbeat();
    }
  }

  hasPendingBroadcast(): boolean {
    return this.pendingBroadcast || this.pendingCommitBroadcast || this.pendingReadHeartbeat;
  }

  sendHeartbeat(to: NodeId, context: Uint8Array | undefined): void {
    const pr = this.prs.get(to);
    // Never tell a follower to commit past what it is known to have.
    const commit = Math.min(pr?.match ?? 0, this.log.committed);
    this.send({ type: 'heartbeat', to, commit, context });
  }

  bcastHeartbeat(): void {
    this.bcastHeartbeatWithCtx(this.readOnly.lastPendingRequestCtx());
  }

  bcastHeartbeatWithCtx(context: Uint8Array | undefined): void {
    for (const id of this.prs.keys()) {
      if (id !== this.id) this.sendHeartbeat(id, context);
    }
  }

  sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', to });
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  // ---- membership --------------------------------------------------------------------------------

  /** Replace the configuration, keeping the progress of members that stay. */
  setConf(conf: ConfState): void {
    const voters = [...new Set(conf.voters)].sort((a, b) => a - b);
    const learners = [...new Set(conf.learners)].filter((id) => !voters.includes(id)).sort((a, b) => a - b);
    this.voters = voters;
    this.learners = learners;
    const members = new Set([...voters, ...learners]);
    for (const id of [...this.prs.keys()]) if (!members.has(id)) this.prs.delete(id);
    const last = this.log.lastIndex();
    for (const id of members) {
      const isLearner = !voters.includes(id);
      const pr = this.prs.get(id);
      if (pr !== undefined) {
        pr.isLearner = isLearner;
      } else {
        const created = new PeerProgress({
          next: last + 1,
          match: id === this.id ? last : 0,
          maxInflightMsgs: this.config.maxInflightMsgs,
          isLearner,
        });
        // A new member counts as active, so check-quorum does not step down before it could answer.
        created.recentActive = true;
        this.prs.set(id, created);
      }
    }
  }

  /** Apply one single-server change to the configuration (no-op when it does not fit). */
  changeMembership(cc: ConfChange): void {
    const next = applyToConf(this.confState(), cc);
    if (next === undefined) {
      this.logger.warn({ change: cc.type, node: cc.nodeId }, 'conf change does not fit the configuration: ignored');
      return;
    }
    this.setConf(next);
  }

  /** Why a conf change cannot be proposed now (undefined when it can). */
  checkConfChange(cc: ConfChange): StrataError | undefined {
    if (this.pendingConfIndex > this.log.applied) {
      return new StrataError('ProposalDropped', 'a conf change is still unapplied', { retryable: true });
    }
    if (!this.committedEntryInCurrentTerm()) {
      return new StrataError('ProposalDropped', 'the leader has not committed an entry of its term yet', { retryable: true });
    }
    return refuseChange(this.confState(), cc);
  }

  /** The driver applied a conf entry: the change takes effect now. */
  applyConfChange(cc: ConfChange): ConfState {
    this.changeMembership(cc);
    if (this.state === 'leader') {
      if (!this.isVoter(this.id)) {
        // Removed (or, impossibly, demoted): stop leading; the remaining voters elect a new leader.
        this.logger.info({ term: this.term }, 'removed from the configuration: stepping down');
        this.becomeFollower(this.term, NONE);
      } else {
        if (this.leadTransferee !== NONE && !this.isVoter(this.leadTransferee)) this.abortLeaderTransfer();
        // A smaller quorum may commit more; tell everyone.
        if (this.maybeCommit()) this.pendingCommitBroadcast = true;
        // Probe a new member now rather than at the next heartbeat: it starts catching up at once.
        if (cc.type === 'addLearner' && cc.nodeId !== this.id) this.sendAppend(cc.nodeId);
      }
    } else if (this.state !== 'follower' && !this.isVoter(this.id)) {
      this.becomeFollower(this.term, NONE);
    }
    return this.confState();
  }


}
