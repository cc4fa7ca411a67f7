/**
 * The Raft state machine: term checks common to every role, voting, ticks, then the role's handler.
 * Everything is synchronous and deterministic; the output is in `msgs`, `readStates` and the log.
 */
import { NONE, type Message } from './types.js';
import { RaftCore, type RaftCoreOptions } from './raft-core.js';
import { isTransferContext, makeMessage, voteRespType } from './messages.js';
import { stepLeader } from './leader.js';
import { stepCandidate, stepFollower } from './follower.js';
import { hup } from './election.js';

export type RaftOptions = RaftCoreOptions;

export class Raft extends RaftCore {
  constructor(options: RaftOptions) {
    super(options);
  }

  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(makeMessage({ type: 'hup', from: this.id, to: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum) this.step(makeMessage({ type: 'checkQuorum', from: this.id, to: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.state === 'leader' && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== 'leader') return;
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.step(makeMessage({ type: 'beat', from: this.id, to: this.id }));
    }
  }

  step(m: Message): void {
    if (m.term > this.term && m.term !== 0) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // Leader lease: while we hear from a leader, a vote request is a disruption, not an election
        // (unless the leader itself asked for it by a transfer).
        const inLease = this.config.checkQuorum && this.lead !== NONE && this.electionElapsed < this.config.electionTicks;
        if (inLease && !isTransferContext(m.context)) {
          this.logger.debug({ from: m.from, term: m.term }, 'vote request ignored: leader lease');
          return;
        }
      }
      if (m.type === 'preVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // A granted pre-vote carries the future term; we take it when the real election starts.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term && m.term !== 0) {
      if ((this.config.checkQuorum || this.config.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // A stale leader, maybe cut off while we moved on: our answer carries the new term and makes
        // it step down (otherwise, with leases, it could keep us from ever electing anyone).
        this.send({ type: 'appResp', to: m.from });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', to: m.from, term: this.term, reject: true });
      }
      return;
    }

    switch (m.type) {
      case 'hup':
        hup(this, this.config.preVote ? 'preElection' : 'election');
        return;
      case 'vote':
      case 'preVote': {
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === 'preVote' && m.term > this.term);
        if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
          // The vote is recorded in the hard state, which the driver persists before sending this answer.
          this.send({ type: voteRespType(m.type), to: m.from, term: m.term });
          if (m.type === 'vote') {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send({ type: voteRespType(m.type), to: m.from, term: this.term, reject: true });
        }
        return;
      }
      default:
        break;
    }

    switch (this.state) {
      case 'leader':
        stepLeader(this, m);
        break;
      case 'candidate':
      case 'preCandidate':
        stepCandidate(this, m);
        break;
      case 'follower':
        stepFollower(this, m);
        break;
    }
  }
}
