import { describe, expect, it } from 'vitest';
import { Network } from './network-harness.testkit.js';

describe('leader election', () => {
  it('a single node elects itself and commits its no-op', () => {
    const net = new Network({ voters: [1] });
    net.campaign(1);
    const st = net.node(1).status();
    expect(st.softState).toEqual({ leader: 1, role: 'leader' });
    expect(st.hardState.term).toBe(2);
    expect(st.hardState.vote).toBe(1);
    expect(st.hardState.commit).toBe(2); // bootstrap entry 1 + the no-op
  });

  it('a single node elects itself by ticking', () => {
    const net = new Network({ voters: [1] });
    const ticks = net.tickUntil(() => net.leader() === 1);
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(ticks).toBeLessThanOrEqual(20);
  });

  for (const size of [3, 5]) {
    it(`${size} nodes elect exactly one leader and agree on it`, () => {
      const ids = Array.from({ length: size }, (_, i) => i + 1);
      const net = new Network({ voters: ids, seed: size });
      net.tickUntil(() => net.leader() !== 0);
      net.tick(3);
      const leader = net.leader();
      expect(net.leaders()).toEqual([leader]);
      const term = net.term(leader);
      for (const id of ids) {
        const st = net.node(id).status();
        expect(st.softState.leader).toBe(leader);
        expect(st.hardState.term).toBe(term);
        // The leader's no-op is committed everywhere.
        expect(st.hardState.commit).toBe(net.node(leader).status().lastIndex);
      }
    });
  }

  function campaignGaps(options: { electionTicks: number; electionTicksMax?: number }): number[] {
    // Without peers answering, a lone voter of a 3-node cluster campaigns once per randomized timeout.
    const net = new Network({ voters: [1, 2, 3], ...options });
    net.isolate(1);
    net.crash(2);
    net.crash(3);
    const gaps: number[] = [];
    let last = net.term(1);
    let since = 0;
    for (let i = 0; i < 400; i++) {
      net.tick();
      since++;
      if (net.term(1) !== last) {
        gaps.push(since);
        last = net.term(1);
        since = 0;
      }
    }
    return gaps.slice(1);
  }

  it('randomizes election timeouts within [electionTicks, 2*electionTicks) by default', () => {
    const gaps = campaignGaps({ electionTicks: 10 });
    expect(gaps.length).toBeGreaterThan(15);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(10);
      expect(g).toBeLessThan(20);
    }
    expect(new Set(gaps).size).toBeGreaterThan(3);
  });

  it('honours electionTicksMax (the seed guide\'s election_timeout_max)', () => {
    const gaps = campaignGaps({ electionTicks: 4, electionTicksMax: 12 });
    expect(gaps.length).toBeGreaterThan(20);
    for (const g of gaps) {
      expect(g).toBeGreaterThanOrEqual(4);
      expect(g).toBeLessThan(12);
    }
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(9);
  });

  it('persists the vote in the same Ready as the vote response, with mustSync', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.keepReadies = true;
    net.campaign(1);
    const voteReady = net.get(2).readies.find((rd) => rd.messages.some((m) => m.type === 'voteResp'));
    expect(voteReady).toBeDefined();
    expect(voteReady?.hardState).toMatchObject({ term: 2, vote: 1 });
    expect(voteReady?.mustSync).toBe(true);
  });

  it('a restarted node keeps its term and vote and does not vote twice in a term', () => {
    const net = new Network({ voters: [1, 2, 3] });
    // Node 2 votes for 1 in term 2, but 1 never hears back; node 3 stays in term 1.
    net.drop((m) => m.type === 'voteResp');
    net.isolate(3);
    net.campaign(1);
    expect(net.term(3)).toBe(1);
    expect(net.node(2).status().hardState).toMatchObject({ term: 2, vote: 1 });
    net.restart(2);
    expect(net.node(2).status().hardState).toMatchObject({ term: 2, vote: 1 });
    net.heal();
    // Node 3 asks for a vote in the same term 2 (it was term 1, campaigns into 2): node 2 must refuse.
    net.keepReadies = true;
    net.isolate(1);
    net.campaign(3);
    const answers = net.get(2).readies.flatMap((rd) => rd.messages).filter((m) => m.type === 'voteResp');
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ to: 3, term: 2, reject: true });
    expect(net.node(3).status().softState.role).toBe('candidate');
  });

  it('a candidate that loses steps back and a later election succeeds', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.drop((m) => m.type === 'voteResp' && m.to === 1);
    net.campaign(1);
    expect(net.node(1).status().softState.role).toBe('candidate');
    net.heal();
    net.tickUntil(() => net.leader() !== 0);
    expect(net.leaders()).toHaveLength(1);
  });
});

describe('pre-vote', () => {
  it('a partitioned node does not raise its term and cannot disrupt the leader when it rejoins', () => {
    const net = new Network({ voters: [1, 2, 3], preVote: true });
    net.campaign(1);
    const term = net.term(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.stabilize();
    net.tick(60); // node 3 keeps pre-campaigning in vain
    expect(net.term(3)).toBe(term);
    expect(net.node(3).status().softState.role).toBe('preCandidate');
    net.heal();
    net.startTrace();
    net.tick(5);
    expect(net.leader()).toBe(1);
    expect(net.term(1)).toBe(term);
    expect(net.node(3).status().softState).toEqual({ leader: 1, role: 'follower' });
    expect(net.get(3).applied).toEqual(['a']);
  });

  it('without pre-vote, the same rejoin forces a new election (the disruption pre-vote avoids)', () => {
    const net = new Network({ voters: [1, 2, 3], preVote: false });
    net.campaign(1);
    const term = net.term(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.stabilize();
    net.tick(60);
    expect(net.term(3)).toBeGreaterThan(term + 2);
    net.heal();
    net.tickUntil(() => net.leader() !== 0 && net.term(net.leader()) > term);
    expect(net.term(net.leader())).toBeGreaterThan(term);
  });

  it('with check-quorum, a follower that hears from its leader ignores pre-votes (leader lease)', () => {
    const net = new Network({ voters: [1, 2, 3], preVote: true, checkQuorum: true });
    net.campaign(1);
    const term = net.term(1);
    // Node 3 is up to date but misses heartbeats only: its pre-vote would be log-wise acceptable.
    net.drop((m) => m.to === 3 && m.type === 'heartbeat');
    net.tickUntil(() => net.node(3).status().softState.role === 'preCandidate');
    net.heal();
    net.tick(30);
    expect(net.leader()).toBe(1);
    expect(net.term(1)).toBe(term);
  });
});

describe('check-quorum', () => {
  it('an isolated leader steps down within an election timeout and the rest elect a new one', () => {
    const net = new Network({ voters: [1, 2, 3], checkQuorum: true, preVote: true });
    net.campaign(1);
    net.isolate(1);
    const ticks = net.tickUntil(() => net.node(1).status().softState.role !== 'leader', 100);
    expect(ticks).toBeLessThanOrEqual(2 * 10);
    net.tickUntil(() => net.leader() !== 0);
    expect(net.leader()).not.toBe(1);
    net.heal();
    net.tick(5);
    expect(net.leaders()).toEqual([net.leader()]);
    expect(net.node(1).status().softState.leader).toBe(net.leader());
  });

  it('a leader in contact with a quorum stays leader', () => {
    const net = new Network({ voters: [1, 2, 3, 4, 5], checkQuorum: true });
    net.campaign(1);
    net.partition([1, 2, 3], [4, 5]);
    net.tick(50);
    expect(net.node(1).status().softState.role).toBe('leader');
  });
});
