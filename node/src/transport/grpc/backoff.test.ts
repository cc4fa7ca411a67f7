import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../platform/random.js';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles up to the cap, with jitter inside [base/2, base]', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, random: new SeededRandom(7) });
    const bases = [100, 200, 400, 800, 1000, 1000, 1000];
    const delays = bases.map(() => backoff.nextDelayMs());
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(bases[i] / 2);
      expect(delay).toBeLessThanOrEqual(bases[i]);
    });
    // Jitter: the capped delays are not all equal.
    expect(new Set(delays.slice(4)).size).toBeGreaterThan(1);
    expect(backoff.failures).toBe(7);
  });

  it('starts over after reset()', () => {
    const backoff = new Backoff({ initialMs: 50, maxMs: 5000, random: new SeededRandom(1) });
    for (let i = 0; i < 10; i++) backoff.nextDelayMs();
    backoff.reset();
    expect(backoff.nextDelayMs()).toBeLessThanOrEqual(50);
  });

  it('rejects a cap below the initial delay', () => {
    expect(() => new Backoff({ initialMs: 100, maxMs: 10, random: new SeededRandom(1) })).toThrow(/backoff/);
  });
});
