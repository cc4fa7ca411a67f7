import { describe, expect, it } from 'vitest';
import { Network } from './network-harness.testkit.js';

function values(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

describe('snapshots', () => {
  it('sends the snapshot to a follower that needs compacted entries, then resumes appends', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.isolate(3);
    for (const v of values('a', 10)) net.propose(1, v);
    net.stabilize();
    net.snapshotAndCompact(1); // snapshot at 12, entries <= 12 gone
    expect(net.get(1).log.firstIndex()).toBe(13);
    net.heal();
    net.startTrace();
    net.tick(2);
    expect(net.traced(/ snap |->1 appResp .*(reject|idx=12)/).slice(0, 3)).toEqual([
      '3->1 appResp term=2 reject idx=12 hint=2 hintTerm=2',
      '1->3 snap term=2 snapIdx=12 snapTerm=2',
      '3->1 appResp term=2 idx=12',
    ]);
    expect(net.get(3).applied).toEqual(values('a', 10));
    expect(net.get(3).log.firstIndex()).toBe(13);
    expect(net.node(1).status().progress?.[3]).toMatchObject({ state: 'replicate', match: 12 });
    // Later entries flow as appends again.
    net.startTrace();
    net.propose(1, 'b');
    net.stabilize();
    expect(net.traced(/^1->3 /)[0]).toBe('1->3 app term=2 idx=12 logTerm=2 n=1 commit=12');
    expect(net.get(3).applied).toEqual([...values('a', 10), 'b']);
  });

  it('retries a snapshot whose sending failed (reportSnapshot false)', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.isolate(3);
    for (const v of values('a', 5)) net.propose(1, v);
    net.stabilize();
    net.snapshotAndCompact(1);
    net.heal();
    net.drop((m) => m.type === 'snap');
    net.startTrace();
    net.tick(2);
    expect(net.node(1).status().progress?.[3].state).toBe('probe');
    net.heal();
    net.tick(3);
    // Each heartbeat answer from 3 retries; every try before the heal was lost, the first after it lands.
    const snaps = net.traced(/ snap /);
    expect(snaps.length).toBeGreaterThanOrEqual(2);
    expect(snaps.slice(0, -1).every((l) => l === 'DROP 1->3 snap term=2 snapIdx=7 snapTerm=2')).toBe(true);
    expect(snaps[snaps.length - 1]).toBe('1->3 snap term=2 snapIdx=7 snapTerm=2');
    expect(net.get(3).applied).toEqual(values('a', 5));
  });

  it('restarts from a snapshot plus later entries, re-applying only what follows the snapshot', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    for (const v of values('a', 5)) net.propose(1, v);
    net.stabilize();
    net.snapshotAndCompact(2); // node 2: snapshot at 7
    for (const v of values('b', 5)) net.propose(1, v);
    net.stabilize();
    const before = net.node(2).status();
    const restarted = net.restart(2, true); // state machine rebuilt from the snapshot: applied = 7
    expect(restarted.applied).toEqual(values('a', 5));
    expect(net.node(2).status().hardState).toEqual(before.hardState);
    net.stabilize();
    expect(net.get(2).applied).toEqual([...values('a', 5), ...values('b', 5)]);
    expect(net.node(2).status().applied).toBe(12);
  });

  it('restarts with a durable state machine at config.applied without handing entries out twice', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    for (const v of values('a', 5)) net.propose(1, v);
    net.stabilize();
    net.restart(3, false);
    net.stabilize();
    expect(net.get(3).applied).toEqual(values('a', 5));
    net.propose(1, 'c');
    net.stabilize();
    expect(net.get(3).applied).toEqual([...values('a', 5), 'c']);
  });

  it('a follower whose log already holds the snapshot index only fast-forwards its commit', () => {
    const net = new Network({ voters: [1, 2, 3] });
    net.campaign(1);
    net.drop((m) => m.to === 3 && ((m.type === 'app' && m.entries.length === 0) || m.type === 'heartbeat'));
    for (const v of values('a', 3)) net.propose(1, v);
    net.stabilize();
    expect(net.get(3).log.lastIndex()).toBe(5);
    expect(net.commit(3)).toBeLessThan(5);
    net.heal();
    net.snapshotAndCompact(1);
    const snapshot = net.get(1).log.snapshot();
    net.keepReadies = true;
    net.node(3).step({
      type: 'snap', from: 1, to: 3, term: net.term(1), logTerm: 0, index: 0, entries: [], commit: 0,
      reject: false, rejectHint: 0, snapshot,
    });
    net.stabilize();
    expect(net.commit(3)).toBe(5);
    expect(net.get(3).applied).toEqual(values('a', 3));
    expect(net.get(3).readies.some((rd) => rd.snapshot !== undefined)).toBe(false);
    expect(net.get(3).log.firstIndex()).toBe(2); // its own log was kept
  });
});
