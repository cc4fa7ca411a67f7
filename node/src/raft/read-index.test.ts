import { describe, expect, it } from 'vitest';
import { Network, bytes, text } from './network-harness.testkit.js';
import { isStrataError } from '../platform/errors.js';

describe('ReadIndex (linearizable reads)', () => {
  it('the leader confirms leadership with one heartbeat round, then releases the read at its commit index', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.propose(1, 'a');
    net.stabilize();
    net.startTrace();
    net.node(1).readIndex(bytes('r1'));
    net.node(1).readIndex(bytes('r2'));
    net.stabilize();
    // One round confirms both reads.
    expect(net.traced(/^1->\d heartbeat /)).toEqual(['1->2 heartbeat term=2 commit=3', '1->3 heartbeat term=2 commit=3']);
    expect(net.get(1).readStates.map((rs) => [rs.index, text(rs.requestCtx)])).toEqual([
      [3, 'r1'],
      [3, 'r2'],
    ]);
  });

  it('a read needs a quorum of heartbeat answers', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.drop((m) => m.type === 'heartbeatResp');
    net.node(1).readIndex(bytes('r'));
    net.stabilize();
    expect(net.get(1).readStates).toEqual([]);
    net.heal();
    net.tick(1); // the next heartbeat carries the pending read's context
    expect(net.get(1).readStates.map((rs) => text(rs.requestCtx))).toEqual(['r']);
  });

  it('a follower asks the leader and gets the index back', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.propose(1, 'a');
    net.stabilize();
    net.startTrace();
    net.node(2).readIndex(bytes('f'));
    net.stabilize();
    expect(net.traced(/readIndex/)).toEqual(['2->1 readIndex term=0', '1->2 readIndexResp term=2 idx=3']);
    expect(net.get(2).readStates.map((rs) => [rs.index, text(rs.requestCtx)])).toEqual([[3, 'f']]);
    expect(net.get(1).readStates).toEqual([]);
  });

  it('a follower with no known leader refuses the read', () => {
    const net = new Network({ voters: [1, 2, 3] });
    let err: unknown;
    try {
      net.node(2).readIndex(bytes('x'));
    } catch (e) {
      err = e;
    }
    expect(isStrataError(err, 'NotLeader')).toBe(true);
  });

  it('a stale leader cut off from the majority cannot serve a read', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.isolate(1);
    net.campaign(2);
    net.propose(2, 'new');
    net.stabilize();
    expect(net.node(1).status().softState.role).toBe('leader'); // it does not know yet
    net.node(1).readIndex(bytes('stale'));
    net.tick(5);
    expect(net.get(1).readStates).toEqual([]);
    // Healing makes it step down; the read is never answered with the old commit index.
    net.heal();
    net.tick(3);
    expect(net.node(1).status().softState.role).toBe('follower');
    expect(net.get(1).readStates).toEqual([]);
    expect(net.get(1).applied).toEqual(['new']);
  });

  it('a new leader defers reads until it has committed an entry of its term', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.drop((m) => m.type === 'appResp');
    net.campaign(1);
    net.node(1).readIndex(bytes('early'));
    net.tick(2);
    expect(net.get(1).readStates).toEqual([]);
    net.heal();
    net.tick(2);
    expect(net.get(1).readStates.map((rs) => [rs.index, text(rs.requestCtx)])).toEqual([[2, 'early']]);
  });

  it('a single-voter leader answers at once', () => {
    const net = new Network({ voters: [1] });
    net.campaign(1);
    net.node(1).readIndex(bytes('solo'));
    net.stabilize();
    expect(net.get(1).readStates.map((rs) => rs.index)).toEqual([2]);
  });
});
