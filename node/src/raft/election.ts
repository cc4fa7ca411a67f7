/** Starting elections (pre-vote, real, or on a leader's handover) and counting the answers. */
import type { NodeId } from './types.js';
import type { RaftCore } from './raft-core.js';
import { voteResult, type VoteResult } from './quorum.js';
import { CAMPAIGN_TRANSFER } from './messages.js';

export type CampaignType = 'preElection' | 'election' | 'transfer';

/** Campaign if this node may: a voter, not installing a snapshot, with no committed conf change unapplied. */
export function hup(r: RaftCore, type: CampaignType): void {
  if (r.state === 'leader') return;
  if (!r.promotable()) {
    r.logger.debug({ term: r.term }, 'not promotable: no campaign');
    return;
  }
  if (hasUnappliedConfChanges(r)) {
    // Our configuration may be about to change: campaigning with the old one is not safe.
    r.logger.warn({ term: r.term }, 'unapplied conf changes: no campaign');
    return;
  }
  campaign(r, type);
}

function hasUnappliedConfChanges(r: RaftCore): boolean {
  if (r.log.applied >= r.log.committed) return false;
  const entries = r.log.slice(r.log.applied + 1, r.log.committed + 1, Infinity) ?? [];
  return entries.some((e) => e.type === 'conf');
}

export function campaign(r: RaftCore, type: CampaignType): void {
  let term: number;
  let voteType: 'vote' | 'preVote';
  if (type === 'preElection') {
    r.becomePreCandidate();
    voteType = 'preVote';
    term = r.term + 1; // the term we would campaign for, without taking it
  } else {
    r.becomeCandidate();
    voteType = 'vote';
    term = r.term;
  }
  if (poll(r, r.id, true) === 'won') {
    // A single voter wins at once.
    if (type === 'preElection') campaign(r, 'election');
    else r.becomeLeader();
    return;
  }
  const lastIndex = r.log.lastIndex();
  const lastTerm = r.log.lastTerm();
  for (const id of r.voters) {
    if (id === r.id) continue;
    r.send({
      type: voteType,
      to: id,
      term,
      index: lastIndex,
      logTerm: lastTerm,
      context: type === 'transfer' ? CAMPAIGN_TRANSFER : undefined,
    });
  }
}

export function poll(r: RaftCore, id: NodeId, granted: boolean): VoteResult {
  if (!r.votes.has(id)) r.votes.set(id, granted);
  return voteResult(r.voters, r.votes);
}
