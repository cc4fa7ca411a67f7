import { describe, expect, it } from 'vitest';
import { WaitAborted, waitUntil } from './wait-until.js';

describe('waitUntil', () => {
  it('returns the first defined value, retrying through thrown errors', async () => {
    let calls = 0;
    const v = await waitUntil(async () => {
      calls++;
      if (calls === 1) throw new Error('not yet');
      return calls < 3 ? undefined : 'ready';
    }, { what: 'x', timeoutMs: 2000, intervalMs: 1 });
    expect(v).toBe('ready');
    expect(calls).toBe(3);
  });

  it('times out naming what it waited for and the last problem', async () => {
    await expect(waitUntil(async () => { throw new Error('refused'); }, { what: 'the leader', timeoutMs: 30, intervalMs: 5 }))
      .rejects.toThrow(/waiting for the leader: refused/);
  });

  it('gives up at once on WaitAborted', async () => {
    const t0 = Date.now();
    await expect(waitUntil(async () => { throw new WaitAborted('node-1 exited'); }, { what: 'x', timeoutMs: 5000 }))
      .rejects.toThrow('node-1 exited');
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
