/** How followers, candidates and pre-candidates handle messages (etcd's stepFollower/stepCandidate). */
import { StrataError } from '../platform/errors.js';
import { NONE, type Message, type NodeId, type Snapshot } from './types.js';
import type { RaftCore } from './raft-core.js';
import { campaign, hup, poll } from './election.js';

export function notLeader(leader: NodeId): StrataError {
  return new StrataError('NotLeader', leader === NONE ? 'no leader is known' : `node-${leader} is the leader`, {
    retryable: true,
    details: { leader },
  });
}

export function stepFollower(r: RaftCore, m: Message): void {
  switch (m.type) {
    case 'prop':
      if (r.lead === NONE) throw notLeader(NONE);
      r.send({ type: 'prop', to: r.lead, from: m.from, entries: m.entries });
      break;
    case 'app':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppendEntries(r, m);
      break;
    case 'heartbeat':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      break;
    case 'snap':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      break;
    case 'transferLeader':
      if (r.lead !== NONE) r.send({ type: 'transferLeader', to: r.lead, from: m.from });
      break;
    case 'timeoutNow':
      // The leader hands over: campaign now, past pre-vote and past the others' leases.
      hup(r, 'transfer');
      break;
    case 'readIndex':
      if (r.lead === NONE) throw notLeader(NONE);
      r.send({ type: 'readIndex', to: r.lead, from: m.from, context: m.context });
      break;
    case 'readIndexResp':
      r.readStates.push({ index: m.index, requestCtx: m.context ?? new Uint8Array(0) });
      break;
    default:
      break;
  }
}

export function stepCandidate(r: RaftCore, m: Message): void {
  const myVoteResp = r.state === 'preCandidate' ? 'preVoteResp' : 'voteResp';
  switch (m.type) {
    case 'prop':
    case 'readIndex':
      throw notLeader(NONE);
    case 'app':
      r.becomeFollower(m.term, m.from);
      handleAppendEntries(r, m);
      break;
    case 'heartbeat':
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      break;
    case 'snap':
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      break;
    case 'voteResp':
    case 'preVoteResp': {
      if (m.type !== myVoteResp) break;
      const result = poll(r, m.from, !m.reject);
      if (result === 'won') {
        if (r.state === 'preCandidate') {
          campaign(r, 'election');
        } else {
          r.becomeLeader();
          r.bcastAppend();
        }
      } else if (result === 'lost') {
        r.becomeFollower(r.term, NONE);
      }
      break;
    }
    default:
      break;
  }
}

function handleAppendEntries(r: RaftCore, m: Message): void {
  if (m.index < r.log.committed) {
    r.send({ type: 'appResp', to: m.from, index: r.log.committed });
    return;
  }
  const last = r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (last !== undefined) {
    r.send({ type: 'appResp', to: m.from, index: last });
    return;
  }
  // Reject with a hint: the last index whose term is <= the leader's term at m.index, so the leader
  // can skip a whole term of conflicting entries per round trip.
  const hint = r.log.findConflictByTerm(Math.min(m.index, r.log.lastIndex()), m.logTerm);
  const hintTerm = r.log.term(hint) ?? 0;
  r.send({ type: 'appResp', to: m.from, index: m.index, reject: true, rejectHint: hint, logTerm: hintTerm });
}

function handleHeartbeat(r: RaftCore, m: Message): void {
  r.log.commitTo(m.commit);
  r.send({ type: 'heartbeatResp', to: m.from, context: m.context });
}

function handleSnapshot(r: RaftCore, m: Message): void {
  if (m.snapshot === undefined) return;
  if (restore(r, m.snapshot)) {
    r.send({ type: 'appResp', to: m.from, index: r.log.lastIndex() });
  } else {
    r.send({ type: 'appResp', to: m.from, index: r.log.committed });
  }
}

/** Install a snapshot from the leader; false when it is not needed. */
function restore(r: RaftCore, snapshot: Snapshot): boolean {
  const { index, term, conf } = snapshot.metadata;
  if (index <= r.log.committed) return false;
  if (r.state !== 'follower') {
    // Only a follower receives snapshots; anything else is a bug in the sender or a stale message.
    r.becomeFollower(r.term + 1, NONE);
    return false;
  }
  if (r.log.matchTerm(index, term)) {
    // We already have the entries: just fast-forward the commit index.
    r.log.commitTo(index);
    return false;
  }
  r.log.restore(snapshot);
  r.setConf(conf);
  const last = r.log.lastIndex();
  for (const [id, pr] of r.prs) pr.reset(last + 1, id === r.id ? last : 0);
  r.logger.info({ index, term }, 'restored snapshot');
  return true;
}
