import { describe, expect, it } from 'vitest';
import { Network, bytes } from './network-harness.testkit.js';
import { isStrataError } from '../platform/errors.js';
import type { ConfChange } from './types.js';

function refusal(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

function change(net: Network, leader: number, cc: ConfChange): void {
  net.node(leader).proposeConfChange(cc);
  net.stabilize();
}

describe('membership changes', () => {
  it('adds a learner that catches up from the bootstrap snapshot, never counts, then is promoted', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.propose(1, 'a');
    net.stabilize();
    net.addEmptyNode(4);
    net.startTrace();
    change(net, 1, { type: 'addLearner', nodeId: 4, context: bytes('10.0.0.4:9000') });
    expect(net.get(1).conf).toEqual({ voters: [1, 2, 3], learners: [4] });
    // The new node first gets the bootstrap snapshot (entry 1 is compacted), then the rest of the log.
    expect(net.traced(/^1->4 snap/)).toEqual(['1->4 snap term=2 snapIdx=1 snapTerm=1']);
    expect(net.get(4).applied).toEqual(['a']);
    expect(net.get(4).conf).toEqual({ voters: [1, 2, 3], learners: [4] });
    expect(net.node(4).status().softState).toEqual({ leader: 1, role: 'learner' });
    expect(net.node(1).status().progress?.[4]).toMatchObject({ isLearner: true, state: 'replicate' });

    // Learners do not count: with 2 and 3 cut off, nothing commits although 4 has it.
    net.isolate(2);
    net.isolate(3);
    net.propose(1, 'b');
    net.stabilize();
    expect(net.get(4).log.lastIndex()).toBe(net.get(1).log.lastIndex());
    expect(net.get(1).applied).toEqual(['a']);
    net.heal();
    net.tick(3);
    expect(net.get(1).applied).toEqual(['a', 'b']);

    // Learners never campaign nor vote: the leader fails, 2 or 3 takes over without 4.
    net.startTrace();
    net.isolate(1);
    net.tickUntil(() => net.leader() !== 0 && net.leader() !== 1);
    expect(net.traced(/^4->\d+ (vote|preVote)/)).toEqual([]);
    expect(net.traced(/^\d+->4 (vote|preVote) /)).toEqual([]);
    net.heal();
    net.tick(3);
    const leader = net.leader();
    expect([2, 3]).toContain(leader);

    change(net, leader, { type: 'promote', nodeId: 4 });
    expect(net.get(leader).conf).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    expect(net.get(4).conf).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    expect(net.node(4).status().softState.role).toBe('follower');
    const other = leader === 2 ? 3 : 2;
    // Now 4 counts: leader, 1 and 4 are 3 of 4.
    net.isolate(other);
    net.propose(leader, 'c');
    net.stabilize();
    expect(net.get(leader).applied).toEqual(['a', 'b', 'c']);
    expect(net.get(4).applied).toEqual(['a', 'b', 'c']);
  });

  it('removes a follower: it stops receiving entries and the quorum shrinks', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    change(net, 1, { type: 'remove', nodeId: 3 });
    expect(net.get(1).conf).toEqual({ voters: [1, 2], learners: [] });
    expect(net.get(3).conf).toEqual({ voters: [1, 2], learners: [] });
    net.startTrace();
    net.propose(1, 'x');
    net.tick(3);
    expect(net.traced(/->3 /)).toEqual([]);
    expect(net.get(2).applied).toEqual(['x']);
    expect(net.node(1).status().progress?.[3]).toBeUndefined();
    // The removed node never campaigns.
    net.tick(40);
    expect(net.leader()).toBe(1);
  });

  it('removes the leader: it steps down once the change is applied and the rest elect a leader', () => {
    const net = new Network({ voters: [1, 2, 3], checkQuorum: true, preVote: true });
    net.campaign(1);
    const term = net.term(1);
    change(net, 1, { type: 'remove', nodeId: 1 });
    expect(net.node(1).status().softState.role).toBe('follower');
    expect(net.get(2).conf).toEqual({ voters: [2, 3], learners: [] });
    net.tickUntil(() => net.leader() !== 0);
    const leader = net.leader();
    expect([2, 3]).toContain(leader);
    expect(net.term(leader)).toBeGreaterThan(term);
    net.propose(leader, 'after');
    net.stabilize();
    expect(net.get(leader === 2 ? 3 : 2).applied).toEqual(['after']);
    expect(net.get(1).applied).toEqual([]);
  });

  it('allows one unapplied change at a time, and none before the leader commits in its term', () => {
    const net = new Network({ voters: [1, 2, 3] });
    // A fresh leader whose no-op is not committed yet refuses changes.
    net.drop((m) => m.type === 'appResp');
    net.campaign(1);
    const early = refusal(() => net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 }));
    expect(isStrataError(early, 'ProposalDropped')).toBe(true);
    expect(early).toMatchObject({ retryable: true });
    net.heal();
    net.tick(2);

    net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
    const second = refusal(() => net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 5 }));
    expect(isStrataError(second, 'ProposalDropped')).toBe(true);
    net.stabilize();
    // Applied now: the next one is accepted.
    change(net, 1, { type: 'addLearner', nodeId: 5 });
    expect(net.get(1).conf.learners).toEqual([4, 5]);
  });

  it('refuses nonsensical changes and changes proposed on a follower', () => {
    const net = new Network({ voters: [1, 2] });
    net.campaign(1);
    expect(isStrataError(refusal(() => net.node(1).proposeConfChange({ type: 'promote', nodeId: 2 })), 'InvalidArgument')).toBe(true);
    expect(isStrataError(refusal(() => net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 2 })), 'InvalidArgument')).toBe(true);
    expect(isStrataError(refusal(() => net.node(1).proposeConfChange({ type: 'remove', nodeId: 9 })), 'InvalidArgument')).toBe(true);
    const onFollower = refusal(() => net.node(2).proposeConfChange({ type: 'addLearner', nodeId: 3 }));
    expect(isStrataError(onFollower, 'NotLeader')).toBe(true);
    expect(onFollower).toMatchObject({ details: { leader: 1 } });
    change(net, 1, { type: 'remove', nodeId: 2 });
    const last = refusal(() => net.node(1).proposeConfChange({ type: 'remove', nodeId: 1 }));
    expect(isStrataError(last, 'InvalidArgument')).toBe(true);
  });

  it('keeps the configuration in snapshots and replays conf entries up to config.applied on restart', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.addEmptyNode(4);
    change(net, 1, { type: 'addLearner', nodeId: 4 });
    net.snapshotAndCompact(1);
    expect(net.get(1).log.snapshot().metadata.conf).toEqual({ voters: [1, 2, 3], learners: [4] });
    // A node joining now gets that snapshot, and with it learner 4.
    net.addEmptyNode(5);
    net.startTrace();
    change(net, 1, { type: 'addLearner', nodeId: 5 });
    expect(net.traced(/^1->5 snap/)).toEqual(['1->5 snap term=2 snapIdx=3 snapTerm=2']);
    expect(net.get(5).conf).toEqual({ voters: [1, 2, 3], learners: [4, 5] });
    // Node 2 restarts with a durable state machine: the changes it applied are not handed out again,
    // yet its configuration is right.
    net.restart(2, false);
    expect(net.node(2).status().conf).toEqual({ voters: [1, 2, 3], learners: [4, 5] });
  });
});
