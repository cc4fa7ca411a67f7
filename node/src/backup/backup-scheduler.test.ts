import { describe, expect, it } from 'vitest';
import { SimClock } from '../testing/sim-clock.js';
import { BackupScheduler, nextRunAfter } from './backup-scheduler.js';

const HOUR = 3_600_000;

describe('backup schedule', () => {
  it('computes due times of cron expressions', () => {
    const jan1 = Date.UTC(2026, 0, 1, 0, 30);
    expect(nextRunAfter('0 2 * * *', jan1, 'UTC')).toBe(Date.UTC(2026, 0, 1, 2, 0));
    expect(nextRunAfter('0 2 * * *', Date.UTC(2026, 0, 1, 2, 0), 'UTC')).toBe(Date.UTC(2026, 0, 2, 2, 0));
    expect(nextRunAfter('*/15 * * * *', jan1, 'UTC')).toBe(Date.UTC(2026, 0, 1, 0, 45));
    expect(nextRunAfter('30 4 * * 1', jan1, 'UTC')).toBe(Date.UTC(2026, 0, 5, 4, 30)); // 2026-01-05 is a Monday
    expect(nextRunAfter('0 0 1 * *', jan1, 'UTC')).toBe(Date.UTC(2026, 1, 1));
    expect(() => nextRunAfter('61 * * * *', jan1)).toThrow(/not a valid cron expression/);
  });

  it('runs on the leader at each due time, in steps of at most maxTimerMs, and not on a follower', async () => {
    // SimClock's wall time starts at 2026-01-01T00:00Z.
    const clock = new SimClock();
    let leader = true;
    const runs: number[] = [];
    const scheduler = new BackupScheduler({
      schedule: '0 2 * * *',
      timezone: 'UTC',
      clock,
      isLeader: () => leader,
      run: async () => runs.push(clock.wallMs()),
      maxTimerMs: HOUR,
    });
    scheduler.start();
    expect(scheduler.nextRunMs).toBe(Date.UTC(2026, 0, 1, 2));
    await clock.runFor(2 * HOUR - 1);
    expect(runs).toEqual([]);
    await clock.runFor(1);
    expect(runs).toEqual([Date.UTC(2026, 0, 1, 2)]);
    expect(scheduler.nextRunMs).toBe(Date.UTC(2026, 0, 2, 2));
    leader = false;
    await clock.runFor(24 * HOUR);
    expect(runs).toHaveLength(1); // a follower skips the due time
    expect(scheduler.nextRunMs).toBe(Date.UTC(2026, 0, 3, 2));
    leader = true;
    await clock.runFor(24 * HOUR);
    expect(runs).toEqual([Date.UTC(2026, 0, 1, 2), Date.UTC(2026, 0, 3, 2)]);
    await scheduler.stop();
    await clock.runFor(48 * HOUR);
    expect(runs).toHaveLength(2);
    expect(scheduler.nextRunMs).toBeUndefined();
  });
});
