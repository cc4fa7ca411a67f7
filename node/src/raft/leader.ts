/** How a leader handles messages (etcd's stepLeader): proposals, reads, acks, flow control, transfers. */
import { assert } from '../platform/assert.js';
import { StrataError } from '../platform/errors.js';
import { NONE, type Message } from './types.js';
import type { RaftCore } from './raft-core.js';
import type { PeerProgress } from './progress.js';
import { hasQuorum } from './quorum.js';
import { decodeConfChange } from './conf-change-codec.js';

const EMPTY = new Uint8Array(0);

export function stepLeader(r: RaftCore, m: Message): void {
  switch (m.type) {
    case 'beat':
      r.bcastHeartbeat();
      return;
    case 'checkQuorum':
      checkQuorum(r);
      return;
    case 'prop':
      propose(r, m);
      return;
    case 'readIndex':
      readIndex(r, m);
      return;
    default:
      break;
  }
  const pr = r.prs.get(m.from);
  if (pr === undefined) return; // not (or no longer) a member
  switch (m.type) {
    case 'appResp':
      handleAppendResponse(r, m, pr);
      break;
    case 'heartbeatResp':
      handleHeartbeatResponse(r, m, pr);
      break;
    case 'snapStatus':
      if (pr.state !== 'snapshot') return;
      // On failure forget the snapshot; either way wait for a heartbeat answer before probing again.
      if (m.reject) pr.pendingSnapshot = 0;
      pr.becomeProbe();
      pr.probeSent = true;
      break;
    case 'unreachable':
      // Optimistic streaming to a peer that is not there only fills the window: probe instead.
      if (pr.state === 'replicate') pr.becomeProbe();
      break;
    case 'transferLeader':
      transferLeader(r, m, pr);
      break;
    default:
      break;
  }
}

function checkQuorum(r: RaftCore): void {
  const active = hasQuorum(r.voters, (id) => id === r.id || r.prs.get(id)?.recentActive === true);
  if (!active) {
    r.logger.warn({ term: r.term }, 'no quorum heard from within an election timeout: stepping down');
    r.becomeFollower(r.term, NONE);
    return;
  }
  for (const [id, pr] of r.prs) if (id !== r.id) pr.recentActive = false;
}

function propose(r: RaftCore, m: Message): void {
  assert(m.entries.length > 0, 'a proposal carries entries');
  if (!r.prs.has(r.id)) {
    throw new StrataError('ProposalDropped', 'this leader was removed from the cluster', { retryable: true });
  }
  if (r.leadTransferee !== NONE) {
    throw new StrataError('ProposalDropped', `leadership is moving to node-${r.leadTransferee}`, {
      retryable: true,
      details: { leader: r.id, transferee: r.leadTransferee },
    });
  }
  let confIndex = 0;
  for (let i = 0; i < m.entries.length; i++) {
    if (m.entries[i].type !== 'conf') continue;
    // One change at a time, also within a batch.
    const refused = confIndex !== 0 ? new StrataError('ProposalDropped', 'one conf change at a time', { retryable: true })
      : r.checkConfChange(decodeConfChange(m.entries[i].data));
    if (refused !== undefined) throw refused;
    confIndex = r.log.lastIndex() + i + 1;
  }
  if (!r.appendEntry(m.entries)) {
    throw new StrataError('ProposalDropped', 'too many uncommitted bytes', { retryable: true });
  }
  if (confIndex !== 0) r.pendingConfIndex = confIndex;
  // Sent at the next ready(), so proposals arriving together travel in one append per follower.
  r.pendingBroadcast = true;
}

function readIndex(r: RaftCore, m: Message): void {
  if (r.isSingleton()) {
    respondToRead(r, m, r.log.committed);
    return;
  }
  // Until an entry of this term is committed, our commit index may be behind the cluster's.
  if (!r.committedEntryInCurrentTerm()) {
    r.pendingReadIndexMessages.push(m);
    return;
  }
  startRead(r, m);
}

function startRead(r: RaftCore, m: Message): void {
  r.readOnly.addRequest(r.log.committed, m);
  r.readOnly.recvAck(r.id, m.context);
  r.pendingReadHeartbeat = true;
}

function respondToRead(r: RaftCore, req: Message, index: number): void {
  if (req.from === NONE || req.from === r.id) {
    r.readStates.push({ index, requestCtx: req.context ?? EMPTY });
  } else {
    r.send({ type: 'readIndexResp', to: req.from, index, context: req.context });
  }
}

/**
 * The driver persisted the leader's log up to `index`: only now does its own copy count for the commit
 * quorum (etcd's self-acknowledgement after a storage append), which is what lets the driver replicate
 * entries before its own fsync has finished without ever committing on an unpersisted leader copy.
 */
export function ownAppendPersisted(r: RaftCore, index: number): void {
  const pr = r.prs.get(r.id);
  if (pr === undefined || !pr.maybeUpdate(index)) return;
  if (r.maybeCommit()) {
    releasePendingReads(r);
    r.pendingCommitBroadcast = true;
  }
}

function releasePendingReads(r: RaftCore): void {
  if (r.pendingReadIndexMessages.length === 0 || !r.committedEntryInCurrentTerm()) return;
  const pending = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const m of pending) startRead(r, m);
}

function handleAppendResponse(r: RaftCore, m: Message, pr: PeerProgress): void {
  pr.recentActive = true;
  if (m.reject) {
    // Jump back past every entry of a term the follower cannot have (fast backtracking).
    let nextProbe = m.rejectHint;
    if (m.logTerm > 0) nextProbe = r.log.findConflictByTerm(m.rejectHint, m.logTerm);
    if (pr.maybeDecrTo(m.index, nextProbe)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      r.sendAppend(m.from);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!pr.maybeUpdate(m.index)) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') {
    pr.inflights.freeLE(m.index);
  }
  if (r.maybeCommit()) {
    releasePendingReads(r);
    r.pendingCommitBroadcast = true;
  } else if (wasPaused) {
    r.sendAppend(m.from);
  }
  // The window may have room again: send what is waiting.
  while (r.maybeSendAppend(m.from, false));
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) {
    r.sendTimeoutNow(m.from);
  }
}

function handleHeartbeatResponse(r: RaftCore, m: Message, pr: PeerProgress): void {
  pr.recentActive = true;
  pr.probeSent = false;
  if (pr.match < r.log.lastIndex()) r.sendAppend(m.from);
  if (m.context === undefined || m.context.byteLength === 0) return;
  const acks = r.readOnly.recvAck(m.from, m.context);
  if (acks === undefined || !hasQuorum(r.voters, (id) => acks.has(id))) return;
  for (const status of r.readOnly.advance(m.context)) respondToRead(r, status.req, status.index);
}

function transferLeader(r: RaftCore, m: Message, pr: PeerProgress): void {
  const transferee = m.from;
  if (pr.isLearner) {
    r.logger.warn({ transferee }, 'cannot transfer leadership to a learner');
    return;
  }
  if (r.leadTransferee !== NONE) {
    if (r.leadTransferee === transferee) return; // already on its way
    r.abortLeaderTransfer();
  }
  if (transferee === r.id) return;
  // The transfer must finish within an election timeout (tickHeartbeat aborts it).
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.match === r.log.lastIndex()) r.sendTimeoutNow(transferee);
  else r.sendAppend(transferee);
}
