import { describe, expect, it } from 'vitest';
import { BusyTimeMeter } from '../platform/busy-time-meter.js';
import { StrataError } from '../platform/errors.js';
import type { ChunkStore, ChunkStoreDirectory } from '../ports/chunk-store.js';
import { SimClock } from '../testing/sim-clock.js';
import { NodeUsageMonitor } from './node-usage-monitor.js';

function directory(down: Set<number>): ChunkStoreDirectory {
  return {
    forNode: (id) =>
      ({
        usage: async () => {
          if (down.has(id)) throw new StrataError('Unavailable', `node-${id} is down`, { retryable: true });
          return { usedBytes: id * 10, availableBytes: id * 1000 };
        },
      }) as unknown as ChunkStore,
  };
}

describe('NodeUsageMonitor', () => {
  it('reports members that answer as online with their free space, and the others as offline once stale', async () => {
    const clock = new SimClock();
    const down = new Set<number>();
    const members = [
      { id: 1, state: 'active' as const, zone: 'rack-a' },
      { id: 2, state: 'active' as const },
      { id: 3, state: 'draining' as const },
    ];
    const monitor = new NodeUsageMonitor({ members: () => members, chunkStores: directory(down), clock, intervalMs: 1_000, staleAfterMs: 2_500 });
    expect(await monitor.view()).toEqual([
      { id: 1, state: 'active', online: true, availableBytes: 1000, zone: 'rack-a' },
      { id: 2, state: 'active', online: true, availableBytes: 2000 },
      { id: 3, state: 'draining', online: true, availableBytes: 3000 },
    ]);
    down.add(2);
    monitor.start();
    await clock.runFor(3_100);
    const view = await monitor.view();
    expect(view.find((n) => n.id === 2)).toEqual({ id: 2, state: 'active', online: false, availableBytes: 0 });
    expect(view.find((n) => n.id === 1)?.online).toBe(true);
    expect(monitor.usedBytes().get(3)).toBe(30);
    monitor.stop();
  });
});

describe('NodeUsageMonitor and joins', () => {
  it('asks a member that just joined before answering, instead of calling it offline', async () => {
    const clock = new SimClock();
    const members = [{ id: 1, state: 'active' as const }];
    const monitor = new NodeUsageMonitor({ members: () => members, chunkStores: directory(new Set()), clock, intervalMs: 60_000 });
    await monitor.view();
    members.push({ id: 2, state: 'active' as const });
    expect((await monitor.view()).map((n) => [n.id, n.online])).toEqual([
      [1, true],
      [2, true],
    ]);
  });
});

describe('NodeUsageMonitor and foreground load', () => {
  it('reports the busiest gateway between the last two polls, its own included, and idle for silent or offline members', async () => {
    const clock = new SimClock();
    const busy = new Map<number, number>([[2, 0]]);
    const down = new Set<number>();
    const chunkStores: ChunkStoreDirectory = {
      forNode: (id) =>
        ({
          usage: async () => {
            if (down.has(id)) throw new StrataError('Unavailable', `node-${id} is down`, { retryable: true });
            // Node 3 is an older version: it reports no busy time.
            return { usedBytes: 0, availableBytes: 1, ...(busy.has(id) ? { foregroundBusyMs: busy.get(id) } : {}) };
          },
        }) as unknown as ChunkStore,
    };
    const meter = new BusyTimeMeter(clock);
    const members = [1, 2, 3].map((id) => ({ id, state: 'active' as const }));
    const monitor = new NodeUsageMonitor({ members: () => members, chunkStores, clock, intervalMs: 1_000, staleAfterMs: 2_500, self: { id: 1, busyTime: meter } });
    monitor.start();
    await clock.runFor(10);
    expect(monitor.foregroundBusyFraction()).toBe(0); // one sample each: nothing to compare yet
    busy.set(2, 250); // node 2 busy a quarter of the next second
    await clock.runFor(1_000);
    expect(monitor.foregroundBusyFraction()).toBeCloseTo(0.25, 2);
    const request = meter.begin(); // this node's own gateway busy from now on (10 ms after the last poll)
    await clock.runFor(1_000);
    expect(monitor.foregroundBusyFraction()).toBeCloseTo(0.99, 2);
    request();
    busy.set(2, 100); // node 2 restarted: its counter began again
    await clock.runFor(1_000);
    expect(monitor.foregroundBusyFraction()).toBeLessThan(0.02); // node 2 idle, this node's request ended 10 ms in
    busy.set(2, 1_100);
    await clock.runFor(1_000);
    expect(monitor.foregroundBusyFraction()).toBeCloseTo(1, 2);
    down.add(2); // offline: once stale it counts as idle
    await clock.runFor(3_000);
    expect(monitor.foregroundBusyFraction()).toBe(0);
    monitor.stop();
  });
});
