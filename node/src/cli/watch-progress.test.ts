import { describe, expect, it } from 'vitest';
import { progressLine } from './watch-progress.js';

const progress = { chunksTotal: 30, chunksDone: 12, bytesTotal: 2 * 2 ** 30, bytesDone: 2 ** 30, failures: 0, rateBytesPerSec: 8 * 2 ** 20, etaSeconds: 128 };

describe('progressLine', () => {
  it('shows the move limit in force while the work runs, and not once it is done', () => {
    const line = progressLine({ label: 'progress', progress: { ...progress, limitBytesPerSec: 8 * 2 ** 20 }, done: false, note: 'draining' });
    expect(line).toMatch(/chunks 12\/30 {2}limit 8(\.0)? MiB\/s {2}\(draining\)$/);
    expect(progressLine({ label: 'progress', progress: { ...progress, limitBytesPerSec: 8 * 2 ** 20 }, done: true })).not.toContain('limit');
    expect(progressLine({ label: 'progress', progress, done: false })).not.toContain('limit');
  });
});
