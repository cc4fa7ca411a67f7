import { describe, expect, it } from 'vitest';
import { Network, text } from './network-harness.testkit.js';
import { decodeDropReason } from './drop-reason.js';
import type { Message } from './types.js';
import { isStrataError } from '../platform/errors.js';

describe('leadership transfer', () => {
  it('hands over to an up-to-date follower at once, past the leases of check-quorum', () => {
    const net = new Network({ voters: [1, 2, 3], checkQuorum: true, preVote: true });
    net.campaign(1);
    net.propose(1, 'a');
    net.stabilize();
    const term = net.term(1);
    net.startTrace();
    net.node(1).transferLeadership(3);
    net.stabilize();
    expect(net.traced(/timeoutNow|^3->\d vote /)).toEqual([
      `1->3 timeoutNow term=${term}`,
      `3->1 vote term=${term + 1} lastIdx=3 lastTerm=${term}`,
      `3->2 vote term=${term + 1} lastIdx=3 lastTerm=${term}`,
    ]);
    expect(net.traced(/preVote/)).toEqual([]); // a transfer skips pre-vote
    expect(net.leader()).toBe(3);
    expect(net.term(3)).toBe(term + 1);
    net.propose(3, 'b');
    net.stabilize();
    expect(net.get(1).applied).toEqual(['a', 'b']);
  });

  it('brings a lagging transferee up to date first, dropping proposals meanwhile', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `v${i}`);
    net.stabilize();
    net.heal();
    net.startTrace();
    net.node(1).transferLeadership(3);
    expect(net.node(1).status().leadTransferee).toBe(3);
    let dropped: unknown;
    try {
      net.propose(1, 'during');
    } catch (err) {
      dropped = err;
    }
    expect(isStrataError(dropped, 'ProposalDropped')).toBe(true);
    expect(dropped).toMatchObject({ retryable: true });
    net.stabilize();
    // The catch-up append comes before the timeoutNow.
    const lines = net.traced(/^1->3 (app|timeoutNow) /);
    const catchUp = lines.findIndex((l) => / n=5 /.test(l));
    expect(catchUp).toBeGreaterThanOrEqual(0);
    expect(lines.findIndex((l) => l.includes('timeoutNow'))).toBe(lines.length - 1);
    expect(catchUp).toBeLessThan(lines.length - 1);
    expect(net.leader()).toBe(3);
    expect(net.get(3).applied).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it("sends a follower's proposal refused during a transfer back to it, with the reason, instead of dropping it silently", () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.isolate(3);
    net.propose(1, 'v0');
    net.stabilize();
    net.node(1).transferLeadership(3); // node 3 is cut off: the transfer stays pending
    const refusals: Message[] = [];
    net.rewrite((m) => (m.type === 'propDropped' && refusals.push(m), m));
    net.startTrace();
    net.propose(2, 'forwarded'); // a follower forwards it to the leader
    net.stabilize();
    expect(net.traced(/prop/)).toEqual(['2->1 prop term=0 n=1', '1->2 propDropped term=0 n=1']);
    expect(refusals).toHaveLength(1);
    expect(text(refusals[0]!.entries[0]!.data)).toBe('forwarded');
    expect(decodeDropReason(refusals[0]!.context)).toMatchObject({ code: 'ProposalDropped', retryable: true, message: expect.stringContaining('leadership is moving to node-3') });
    expect(net.get(1).applied).toEqual(['v0']);
  });

  it('aborts a transfer that does not finish within an election timeout', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.isolate(3);
    net.node(1).transferLeadership(3);
    net.stabilize();
    expect(net.node(1).status().leadTransferee).toBe(3);
    net.tick(10);
    expect(net.node(1).status().leadTransferee).toBe(0);
    expect(net.leader()).toBe(1);
    expect(() => net.propose(1, 'ok')).not.toThrow();
  });

  it('a follower forwards a transfer request to the leader; learners cannot take over', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.node(2).transferLeadership(2);
    net.stabilize();
    expect(net.leader()).toBe(2);

    const withLearner = new Network({ voters: [1, 2], learners: [3] });
    withLearner.campaign(1);
    withLearner.node(1).transferLeadership(3);
    withLearner.stabilize();
    expect(withLearner.node(1).status().leadTransferee).toBe(0);
    expect(withLearner.leader()).toBe(1);
  });
});
