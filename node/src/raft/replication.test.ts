import { describe, expect, it } from 'vitest';
import { Network, bytes } from './network-harness.testkit.js';
import { isStrataError } from '../platform/errors.js';
import type { Entry, Message } from './types.js';

function logOf(net: Network, id: number): string[] {
  const log = net.get(id).log;
  const out: string[] = [];
  for (let i = log.firstIndex(); i <= log.lastIndex(); i++) out.push(`${i}:t${log.term(i)}`);
  return out;
}

describe('log replication', () => {
  it('replicates and commits proposals on every node in order', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    for (let i = 0; i < 20; i++) net.propose(1, `v${i}`);
    net.stabilize();
    const expected = Array.from({ length: 20 }, (_, i) => `v${i}`);
    for (const id of [1, 2, 3]) {
      expect(net.get(id).applied).toEqual(expected);
      expect(net.commit(id)).toBe(22);
    }
    expect(logOf(net, 2)).toEqual(logOf(net, 1));
  });

  it('batches proposals made together into one append per follower', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.startTrace();
    for (let i = 0; i < 50; i++) net.propose(1, `v${i}`);
    net.stabilize();
    const appsWithEntries = net.traced(/^1->\d app .* n=[1-9]/);
    expect(appsWithEntries).toEqual(['1->2 app term=2 idx=2 logTerm=2 n=50 commit=2', '1->3 app term=2 idx=2 logTerm=2 n=50 commit=2']);
    expect(net.get(3).applied).toHaveLength(50);
  });

  it('splits by maxSizePerMsgBytes and keeps at most maxInflightMsgs appends in flight', () => {
    // 10-byte payloads + 16 bytes overhead = 26 bytes per entry: 3 entries per 80-byte message.
    const net = new Network({ voters: [1, 2], maxSizePerMsgBytes: 80, maxInflightMsgs: 4 });
    net.campaign(1);
    for (let i = 0; i < 30; i++) net.propose(1, `value-${String(i).padStart(4, '0')}`);
    const rd = net.node(1).ready();
    const apps = rd.messages.filter((m) => m.type === 'app');
    expect(apps.map((m) => m.entries.length)).toEqual([3, 3, 3, 3]);
    expect(net.node(1).status().progress?.[2]).toMatchObject({ state: 'replicate', next: 15 });
    net.handleReady(net.get(1), rd);
    net.stabilize();
    expect(net.get(2).applied).toHaveLength(30);
  });

  it('falls back from replicate to probe when a peer is reported unreachable', () => {
    const net = new Network({ voters: [1, 2, 3], maxInflightMsgs: 2 });
    net.campaign(1);
    expect(net.node(1).status().progress?.[2].state).toBe('replicate');
    net.isolate(2);
    for (let i = 0; i < 6; i++) {
      net.propose(1, `v${i}`);
      net.stabilize(); // one append per round: the window to 2 fills up with lost messages
    }
    expect(net.node(1).status().progress?.[2]).toMatchObject({ state: 'replicate', match: 2 });
    net.node(1).reportUnreachable(2);
    expect(net.node(1).status().progress?.[2]).toMatchObject({ state: 'probe', next: 3 });
    net.heal();
    net.tick(2);
    expect(net.get(2).applied).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
    expect(net.node(1).status().progress?.[2].state).toBe('replicate');
  });

  it('forwards a proposal from a follower to the leader', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.startTrace();
    net.propose(3, 'from-3');
    net.stabilize();
    expect(net.traced(/ prop /)).toEqual(['3->1 prop term=0 n=1']);
    for (const id of [1, 2, 3]) expect(net.get(id).applied).toEqual(['from-3']);
  });

  it('refuses a proposal with NotLeader when no leader is known', () => {
    const net = new Network({ voters: [1, 2, 3] });
    let caught: unknown;
    try {
      net.propose(2, 'x');
    } catch (err) {
      caught = err;
    }
    expect(isStrataError(caught, 'NotLeader')).toBe(true);
    expect(caught).toMatchObject({ retryable: true, details: { leader: 0 } });
  });

  it('drops proposals past maxUncommittedEntriesBytes', () => {
    const net = new Network({ voters: [1, 2, 3], maxUncommittedEntriesBytes: 100 });
    net.campaign(1);
    net.isolate(1);
    let accepted = 0;
    let dropped: unknown;
    for (let i = 0; i < 20 && dropped === undefined; i++) {
      try {
        net.node(1).propose(new Uint8Array(30));
        accepted++;
      } catch (err) {
        dropped = err;
      }
    }
    expect(accepted).toBe(3);
    expect(isStrataError(dropped, 'ProposalDropped')).toBe(true);
    // Once the entries commit, the budget is free again.
    net.heal();
    net.tick(2);
    expect(() => net.node(1).propose(new Uint8Array(30))).not.toThrow();
  });

  it('repairs a follower whose log conflicts (different terms), with few round trips', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    // Old leader 1 appends 40 entries nobody else sees.
    net.isolate(1);
    for (let i = 0; i < 40; i++) net.propose(1, `lost${i}`);
    net.stabilize();
    // 2 and 3 elect 2 and commit other entries.
    net.campaign(2);
    for (let i = 0; i < 5; i++) net.propose(2, `kept${i}`);
    net.stabilize();
    expect(logOf(net, 1)).not.toEqual(logOf(net, 2));
    net.heal();
    net.startTrace();
    net.tick(3);
    expect(logOf(net, 1)).toEqual(logOf(net, 2));
    expect(net.get(1).applied).toEqual(['kept0', 'kept1', 'kept2', 'kept3', 'kept4']);
    // Term-based backtracking: one rejection skips every entry of the old term.
    expect(net.traced(/^1->2 appResp .* reject/).length).toBeLessThanOrEqual(2);
  });

  it('commits with a majority of the voters and never with fewer', () => {
    const net = new Network({ voters: [1, 2, 3, 4, 5] });
    net.campaign(1);
    net.isolate(4);
    net.isolate(5);
    net.propose(1, 'x');
    net.stabilize();
    expect(net.get(1).applied).toEqual(['x']); // 3 of 5
    net.isolate(3);
    net.propose(1, 'y');
    net.stabilize();
    expect(net.get(1).applied).toEqual(['x']); // 2 of 5 is not enough
  });
});

describe('Figure 8: only entries of the current term are committed by counting', () => {
  const stripTerm = (term: number) => (m: Message): Message =>
    m.type === 'app' ? { ...m, entries: m.entries.filter((e: Entry) => e.term !== term) } : m;

  /** Leader 1 (term 4) holds entry 3 of term 2 on a majority {1,2,3}; node 5 holds entry 3 of term 3. */
  function setUp(): Network {
    const net = new Network({ voters: [1, 2, 3, 4, 5] });
    net.campaign(1); // term 2, entries 1..2 committed everywhere
    net.partition([1, 2], [3, 4, 5]);
    net.propose(1, 'x'); // entry 3, term 2, only on 1 and 2
    net.stabilize();
    net.heal();
    net.isolate(1);
    net.drop((m) => m.from === 5 && m.type === 'app');
    net.campaign(5); // term 3 with votes 3,4,5; its no-op (entry 3, term 3) stays local
    expect(net.leader()).toBe(5);
    net.heal();
    net.isolate(5);
    net.restart(1); // 1 crashed meanwhile and comes back as a follower of term 2
    net.campaign(1); // term 3: 3 and 4 already voted for 5
    net.rewrite(stripTerm(4));
    net.isolate(4);
    net.campaign(1); // term 4 with 1, 2, 3; the rewrite keeps its term-4 no-op from spreading
    return net;
  }

  it('an old-term entry on a majority is not committed, and is indeed overwritten later', () => {
    const net = setUp();
    expect(net.leader()).toBe(1);
    expect(net.term(1)).toBe(4);
    for (const id of [1, 2, 3]) expect(logOf(net, id)).toContain('3:t2');
    expect(net.commit(1)).toBe(2);
    // Leader 1 fails before its term-4 entry spreads; 5 (last term 3) wins and overwrites entry 3.
    net.heal();
    net.crash(1);
    net.restart(5); // 5 had crashed too: back as a follower with entry 3 of term 3
    net.campaign(5); // term 4: 2 and 3 already voted for 1
    net.campaign(5); // term 5: elected with 2, 3, 4
    expect(net.leader()).toBe(5);
    for (const id of [2, 3, 4, 5]) expect(logOf(net, id)).toContain('3:t3');
    for (const id of [2, 3, 4, 5]) expect(net.get(id).applied).not.toContain('x');
  });

  it('once an entry of the current term is on a majority, the old entry commits with it', () => {
    const net = setUp();
    expect(net.commit(1)).toBe(2);
    net.heal();
    net.isolate(5);
    net.tick(3);
    expect(net.commit(1)).toBe(4);
    for (const id of [1, 2, 3, 4]) expect(net.get(id).applied).toEqual(['x']);
    // 5 cannot win against the longer log and is repaired when it rejoins.
    net.heal();
    net.tick(30);
    expect(net.get(5).applied).toEqual(['x']);
    expect(logOf(net, 5)).toEqual(logOf(net, 1));
  });
});

describe('persist before send', () => {
  it('a single voter commits an entry only once the Ready that persists it is advanced', () => {
    const net = new Network({ voters: [1] });
    net.campaign(1);
    const node = net.node(1);
    node.propose(bytes('x'));
    const first = node.ready();
    expect(first.entries.map((e) => e.index)).toEqual([3]);
    expect(first.hardState?.commit ?? 2).toBe(2);
    expect(first.mustSync).toBe(true);
    expect(first.committedEntries).toEqual([]);
    net.handleReady(net.get(1), first);
    expect(node.hasReady()).toBe(true);
    const second = node.ready();
    expect(second.entries).toEqual([]);
    expect(second.hardState?.commit).toBe(3);
    expect(second.committedEntries.map((e) => e.index)).toEqual([3]);
    expect(second.mustSync).toBe(false);
    net.handleReady(net.get(1), second);
    expect(node.hasReady()).toBe(false);
    expect(net.get(1).applied).toEqual(['x']);
  });

  it('offers one Ready at a time', () => {
    const net = new Network({ voters: [1] });
    net.campaign(1);
    net.propose(1, 'x');
    const rd = net.node(1).ready();
    expect(net.node(1).hasReady()).toBe(false);
    expect(() => net.node(1).ready()).toThrow(/advance/);
    net.handleReady(net.get(1), rd);
    expect(net.node(1).hasReady()).toBe(true);
  });

  it('hands out committed entries only once persisted, and appResp only with the entries in the same Ready', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.keepReadies = true;
    net.campaign(1);
    net.propose(1, 'a');
    net.stabilize();
    for (const id of [2, 3]) {
      const rd = net.get(id).readies.find((r) => r.entries.some((e) => e.data.byteLength > 0));
      expect(rd?.mustSync).toBe(true);
      expect(rd?.messages.some((m) => m.type === 'appResp' && m.index === 3)).toBe(true);
    }
    expect(bytes('a')).toEqual(net.get(2).log.entries(3, 4, 1000)[0].data);
  });
});

describe('leader replication while its own append is in flight', () => {
  it('does not commit on a follower ack alone while the leader copy is unpersisted (3 voters)', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.crash(3);
    const leader = net.node(1);
    leader.propose(bytes('x'));
    const rd = leader.ready();
    const index = rd.entries[0]!.index;
    // Follower 2 receives the append before the leader has persisted it, persists it, and acks.
    for (const m of rd.messages.filter((m) => m.to === 2 && m.type === 'app')) net.get(2).node.step(m);
    const followerReady = net.get(2).node.ready();
    const ack = followerReady.messages.find((m) => m.type === 'appResp' && m.to === 1);
    expect(ack?.index).toBe(index);
    leader.step(ack!);
    expect(leader.status().hardState.commit).toBeLessThan(index);
    // Once the leader's own append is persisted (advance), leader + follower 2 form the quorum.
    net.get(1).log.append(rd.entries);
    leader.advance(rd);
    expect(leader.status().hardState.commit).toBe(index);
  });
});
