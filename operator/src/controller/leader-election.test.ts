import { describe, expect, it } from 'vitest';
import { silentLogger, StrataError } from '../../../node/src/platform/index.js';
import { FakeKubeClient } from '../kube/fake-kube-client.testkit.js';
import { LeaderElection, microTime } from './leader-election.js';
import { ManualClock } from './manual-clock.testkit.js';

function candidate(kube: FakeKubeClient, clock: ManualClock, identity: string) {
  const events: string[] = [];
  const le = new LeaderElection({
    kube,
    clock,
    logger: silentLogger,
    namespace: 'ops',
    identity,
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => events.push('stopped'),
  });
  return { le, events };
}

const lease = (kube: FakeKubeClient) => kube.find('coordination.k8s.io/v1', 'Lease', 'ops', 'strata-operator') as { spec: Record<string, unknown> } | undefined;

describe('LeaderElection', () => {
  it('the first candidate creates the lease and leads; a second waits', async () => {
    const kube = new FakeKubeClient();
    const clock = new ManualClock();
    const a = candidate(kube, clock, 'a');
    const b = candidate(kube, clock, 'b');
    expect(await a.le.tryAcquireOrRenew()).toBe(true);
    expect(await b.le.tryAcquireOrRenew()).toBe(false);
    expect(lease(kube)?.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(a.events).toEqual(['started']);
    expect(b.events).toEqual([]);
  });

  it('takes over a lease that was not renewed for its duration (by the local clock)', async () => {
    const kube = new FakeKubeClient();
    const clock = new ManualClock();
    const a = candidate(kube, clock, 'a');
    const b = candidate(kube, clock, 'b');
    await a.le.tryAcquireOrRenew();
    await b.le.tryAcquireOrRenew();
    clock.advance(14_000);
    expect(await b.le.tryAcquireOrRenew()).toBe(false);
    clock.advance(1_500);
    expect(await b.le.tryAcquireOrRenew()).toBe(true);
    expect(lease(kube)?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    // The old leader notices on its next attempt.
    expect(await a.le.tryAcquireOrRenew()).toBe(false);
    expect(a.events).toEqual(['started', 'stopped']);
  });

  it('renewals keep the lease', async () => {
    const kube = new FakeKubeClient();
    const clock = new ManualClock();
    const a = candidate(kube, clock, 'a');
    const b = candidate(kube, clock, 'b');
    await a.le.tryAcquireOrRenew();
    for (let i = 0; i < 10; i++) {
      clock.advance(2_000);
      expect(await a.le.tryAcquireOrRenew()).toBe(true);
      expect(await b.le.tryAcquireOrRenew()).toBe(false);
    }
    expect(a.events).toEqual(['started']);
  });

  it('a leader that cannot renew past its deadline steps down', async () => {
    const kube = new FakeKubeClient();
    const clock = new ManualClock();
    const a = candidate(kube, clock, 'a');
    await a.le.tryAcquireOrRenew();
    kube.replace = async () => {
      throw new StrataError('Unavailable', 'API server down');
    };
    clock.advance(5_000);
    expect(await a.le.tryAcquireOrRenew()).toBe(true);
    clock.advance(6_000);
    expect(await a.le.tryAcquireOrRenew()).toBe(false);
    expect(a.events).toEqual(['started', 'stopped']);
  });

  it('release() frees the lease at once for a successor', async () => {
    const kube = new FakeKubeClient();
    const clock = new ManualClock();
    const a = candidate(kube, clock, 'a');
    const b = candidate(kube, clock, 'b');
    await a.le.tryAcquireOrRenew();
    await a.le.release();
    expect(lease(kube)?.spec).toMatchObject({ holderIdentity: '' });
    expect(await b.le.tryAcquireOrRenew()).toBe(true);
  });

  it('writes MicroTime with six fractional digits', () => {
    expect(microTime(Date.parse('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05.678000Z');
  });
});
